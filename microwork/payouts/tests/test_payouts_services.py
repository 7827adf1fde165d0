"""Payout services: money, states, batches and their files (SPEC HM16, AM15, MW03)."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from django.core import mail

from microwork.core.errors import Conflict, Forbidden, InsufficientFunds, InvalidInput
from microwork.ledger.models import AccountKind, Entry
from microwork.ledger.selectors import ledger_audit
from microwork.notifications.models import Notice
from microwork.payouts import services
from microwork.payouts.models import Payout, PayoutAccount, PayoutBatch, PayoutState, PayoutTransition
from microwork.payouts.services import PayoutBelowMinimum, PayoutNotMultiple
from microwork.testing import make_tasker

from .conftest import available, balance_of, fund, stock_vouchers

pytestmark = pytest.mark.usefixtures("books_stay_right")

PAIN_001 = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


def paypal(user, email=None):
    return services.payout_account_create(user=user, method="paypal", paypal_email=email or f"pp-{user.email}")


def iban(user, number="FR7630006000011234567890189", holder="Alice Martin"):
    return services.payout_account_create(user=user, method="iban", iban=number, holder=holder)


# --- Requests: HM16 and AM15 ------------------------------------------------------


def test_hm16_service_refuses_below_minimum_and_not_multiple(alice):
    fund(alice, 50_00)
    account = paypal(alice)
    with pytest.raises(PayoutBelowMinimum):
        services.payout_request(user=alice, amount_cents=9_99, account=account)
    with pytest.raises(PayoutNotMultiple):
        services.payout_request(user=alice, amount_cents=15_00, account=account)
    for ok in (10_00, 20_00):
        services.payout_request(user=alice, amount_cents=ok, account=account)
    assert available(alice) == 20_00


def test_hm16_and_am15_nobody_beyond_the_balance(alice, emma):
    fund(alice, 10_00)
    fund(emma, 10_00)
    with pytest.raises(InsufficientFunds):
        services.payout_request(user=alice, amount_cents=20_00, account=paypal(alice))
    with pytest.raises(InsufficientFunds):
        services.payout_request(user=emma, amount_cents=10_01, account=paypal(emma))
    assert (available(alice), available(emma)) == (10_00, 10_00)
    assert not Payout.objects.exists()
    assert not Entry.objects.filter(kind="payout_request").exists()


def test_am15_expert_any_amount(emma):
    fund(emma, 20_00)
    payout = services.payout_request(user=emma, amount_cents=12_34, account=paypal(emma))
    assert payout.state == PayoutState.REQUESTED
    assert available(emma) == 7_66


def test_request_moves_money_to_payouts_in_flight(alice):
    fund(alice, 25_00)
    before = balance_of(AccountKind.PAYOUTS_IN_FLIGHT)
    payout = services.payout_request(user=alice, amount_cents=20_00, account=paypal(alice))
    assert balance_of(AccountKind.PAYOUTS_IN_FLIGHT) == before + 20_00
    entry = Entry.objects.get(ref=f"payout:{payout.pk}")
    assert (entry.kind, entry.created_by_id) == ("payout_request", alice.pk)
    step = PayoutTransition.objects.get(payout=payout)
    assert (step.to_state, step.by_id) == ("requested", alice.pk)
    assert step.at is not None


def test_an_account_of_someone_else_is_refused(alice, bob):
    fund(alice, 10_00)
    with pytest.raises(Forbidden):
        services.payout_request(user=alice, amount_cents=10_00, account=paypal(bob))


def test_zero_or_negative_amounts_are_invalid(emma):
    with pytest.raises(InvalidInput):
        services.payout_request(user=emma, amount_cents=0, account=paypal(emma))


# --- Accounts ------------------------------------------------------------------------


def test_iban_is_checked_and_bic_derived(alice):
    account = iban(alice, "DE89 3704 0044 0532 0130 00")
    assert (account.iban, account.bic) == ("DE89370400440532013000", "COBADEFFXXX")
    with pytest.raises(InvalidInput) as bad:
        iban(alice, "DE89 3704 0044 0532 0130 01")
    assert bad.value.field == "iban"


def test_hm16_an_iban_outside_the_sepa_zone_never_reaches_a_sepa_batch(alice, bob, staff):
    # refused when the account is added
    with pytest.raises(services.IbanNotSepa) as refused:
        iban(alice, "BR1800360305000010009795493C1")
    assert (refused.value.code, refused.value.field, refused.value.status) == ("iban_not_sepa", "iban", 422)
    assert not PayoutAccount.objects.filter(user=alice).exists()
    # an account saved before the rule: no new payout to it...
    fund(alice, 20_00)
    fund(bob, 10_00)
    old = iban(alice)
    waiting = services.payout_request(user=alice, amount_cents=10_00, account=old)
    PayoutAccount.objects.filter(pk=old.pk).update(iban="BR1800360305000010009795493C1", bic="")
    old.refresh_from_db()
    with pytest.raises(services.IbanNotSepa):
        services.payout_request(user=alice, amount_cents=10_00, account=old)
    assert available(alice) == 10_00
    # ...and the one already asked for stays out of the bank's file, for staff to fail
    services.payout_request(user=bob, amount_cents=10_00, account=iban(bob, "DE89370400440532013000", "Bob Müller"))
    batch = services.payout_batch_create(by=staff, method="iban")
    assert batch.count == 1
    assert b"BR18" not in bytes(batch.export)
    assert b"DE89370400440532013000" in bytes(batch.export)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.batch_id) == (PayoutState.REQUESTED, None)
    services.payout_fail(payout=waiting, by=staff, reason="Bank outside the SEPA zone")
    assert available(alice) == 20_00


def test_one_default_per_user(alice, bob):
    first = paypal(alice)
    second = services.payout_account_create(user=alice, method="gift_voucher", make_default=True)
    bobs = paypal(bob)
    first.refresh_from_db()
    assert (first.is_default, second.is_default, bobs.is_default) == (False, True, True)
    services.payout_account_make_default(account=first)
    assert list(alice.payout_accounts.filter(is_default=True)) == [first]


# --- Batches and their files ---------------------------------------------------------


def test_sepa_file_validates_against_pain_001_and_sums_to_the_batch(alice, bob, staff):
    carol = make_tasker("carol@example.fr", "+33612340000")
    fund(alice, 30_00)
    fund(bob, 50_00)
    fund(carol, 10_00)
    services.payout_request(user=alice, amount_cents=30_00, account=iban(alice))
    services.payout_request(
        user=bob, amount_cents=50_00, account=iban(bob, "DE89370400440532013000", "Bob Müller-Lüdenscheidt")
    )
    services.payout_request(user=carol, amount_cents=10_00, account=iban(carol, "BE68539007547034", "Carol Dupont"))
    batch = services.payout_batch_create(by=staff, method="iban")
    assert (batch.count, batch.total_cents) == (3, 90_00)
    assert batch.export_name.endswith(".xml")
    xml = bytes(batch.export)
    schema = xmlschema.XMLSchema(str(PAIN_001))
    assert schema.is_valid(xml), schema.validate(xml)
    data = schema.to_dict(xml)
    header = data["CstmrCdtTrfInitn"]["GrpHdr"]
    assert int(header["NbOfTxs"]) == batch.count
    assert Decimal(str(header["CtrlSum"])) * 100 == batch.total_cents
    infos = data["CstmrCdtTrfInitn"]["PmtInf"]
    transfers = [tx for info in infos for tx in info["CdtTrfTxInf"]]
    assert len(transfers) == 3
    assert sum(Decimal(str(tx["Amt"]["InstdAmt"]["$"])) for tx in transfers) * 100 == batch.total_cents
    assert {tx["CdtrAcct"]["Id"]["IBAN"] for tx in transfers} == {
        "FR7630006000011234567890189",
        "DE89370400440532013000",
        "BE68539007547034",
    }
    assert Payout.objects.filter(batch=batch, state=PayoutState.PROCESSING).count() == 3


def test_paypal_csv_rows_sum_to_the_batch_total(alice, emma, staff):
    fund(alice, 20_00)
    fund(emma, 12_34)
    services.payout_request(user=alice, amount_cents=20_00, account=paypal(alice, "alice@paypal.example"))
    services.payout_request(user=emma, amount_cents=12_34, account=paypal(emma, "emma@paypal.example"))
    batch = services.payout_batch_create(by=staff, method="paypal")
    rows = list(csv.DictReader(io.StringIO(bytes(batch.export).decode())))
    assert [row["Email"] for row in rows] == ["alice@paypal.example", "emma@paypal.example"]
    assert sum(Decimal(row["Amount"]) for row in rows) * 100 == batch.total_cents == 32_34
    assert {row["Currency"] for row in rows} == {"EUR"}
    assert len({row["Reference ID"] for row in rows}) == batch.count == 2


def test_a_batch_takes_only_its_method_and_only_requested_payouts(alice, bob, staff):
    fund(alice, 20_00)
    fund(bob, 10_00)
    services.payout_request(user=alice, amount_cents=10_00, account=paypal(alice))
    services.payout_request(user=bob, amount_cents=10_00, account=iban(bob))
    services.payout_batch_create(by=staff, method="paypal")
    with pytest.raises(Conflict):
        services.payout_batch_create(by=staff, method="paypal")  # nothing left for PayPal
    assert Payout.objects.get(user=bob).state == PayoutState.REQUESTED


def test_only_staff_batch(alice):
    with pytest.raises(Forbidden):
        services.payout_batch_create(by=alice, method="paypal")


def test_marking_paid_moves_money_to_the_payouts_world_account(alice, bob, staff):
    fund(alice, 20_00)
    fund(bob, 10_00)
    services.payout_request(user=alice, amount_cents=20_00, account=paypal(alice))
    services.payout_request(user=bob, amount_cents=10_00, account=paypal(bob))
    in_flight, world = balance_of(AccountKind.PAYOUTS_IN_FLIGHT), balance_of(AccountKind.PAYOUTS)
    batch = services.payout_batch_create(by=staff, method="paypal")
    services.payout_batch_mark_paid(batch=batch, by=staff)
    assert balance_of(AccountKind.PAYOUTS_IN_FLIGHT) == in_flight - 30_00
    assert balance_of(AccountKind.PAYOUTS) == world + 30_00
    assert set(Payout.objects.values_list("state", flat=True)) == {PayoutState.PAID}
    # marking it paid again moves nothing
    services.payout_batch_mark_paid(batch=batch, by=staff)
    assert Entry.objects.filter(kind="payout_paid").count() == 2
    assert ledger_audit() == []
    paid = Notice.objects.filter(user=alice, kind="payout_paid")
    assert paid.count() == 1


def test_failing_a_line_returns_the_money_and_tells_why(alice, bob, staff, django_capture_on_commit_callbacks):
    fund(alice, 20_00)
    fund(bob, 10_00)
    failing = services.payout_request(user=alice, amount_cents=20_00, account=paypal(alice))
    other = services.payout_request(user=bob, amount_cents=10_00, account=paypal(bob))
    batch = services.payout_batch_create(by=staff, method="paypal")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.payout_fail(payout=failing, by=staff, reason="PayPal account closed")
        services.payout_batch_mark_paid(batch=batch, by=staff)
    failing.refresh_from_db()
    other.refresh_from_db()
    assert (failing.state, other.state) == (PayoutState.FAILED, PayoutState.PAID)
    assert failing.failure_reason == "PayPal account closed"
    assert available(alice) == 20_00
    notice = Notice.objects.get(user=alice, kind="payout_failed")
    assert notice.body == "PayPal account closed"
    assert notice.url == "/credits/"
    assert [m.to for m in mail.outbox] == [[alice.email], [bob.email]]
    assert "PayPal account closed" in mail.outbox[0].body
    steps = list(PayoutTransition.objects.filter(payout=failing).order_by("pk").values_list("to_state", "by_id"))
    assert steps == [("requested", alice.pk), ("processing", staff.pk), ("failed", staff.pk)]
    assert PayoutTransition.objects.get(payout=failing, to_state="failed").reason == "PayPal account closed"
    with pytest.raises(Conflict):
        services.payout_fail(payout=other, by=staff, reason="too late")


def test_a_requested_payout_can_fail_before_any_batch(alice, staff):
    fund(alice, 10_00)
    payout = services.payout_request(user=alice, amount_cents=10_00, account=paypal(alice))
    services.payout_fail(payout=payout, by=staff, reason="Suspicious account")
    assert available(alice) == 10_00
    with pytest.raises(InvalidInput):
        services.payout_fail(payout=payout, by=staff, reason=" ")


def test_processing_is_notified(alice, staff):
    fund(alice, 10_00)
    services.payout_request(user=alice, amount_cents=10_00, account=paypal(alice))
    services.payout_batch_create(by=staff, method="paypal")
    assert Notice.objects.filter(user=alice, kind="payout_processing").count() == 1


# --- Gift vouchers ---------------------------------------------------------------------


def test_voucher_codes_are_unique_hashed_and_shown_once(staff):
    stock_vouchers(staff, *[10_00] * 12)
    owners = [make_tasker(f"v{n}@example.fr", f"+336000000{n:02d}") for n in range(12)]
    payouts = []
    for owner in owners:
        fund(owner, 10_00)
        account = services.payout_account_create(user=owner, method="gift_voucher")
        payouts.append(services.payout_request(user=owner, amount_cents=10_00, account=account))
    batch = services.payout_batch_create(by=staff, method="gift_voucher")
    assert bytes(batch.export) == b""
    codes = [services.voucher_code_reveal(payout=p, user=p.user) for p in payouts]
    assert len(set(codes)) == len(codes)
    stored = {p.pk: p for p in Payout.objects.filter(pk__in=[p.pk for p in payouts])}
    for payout, code in zip(payouts, codes, strict=True):
        row = stored[payout.pk]
        assert row.voucher_code_hash == Payout.hash_code(code)
        assert len(row.voucher_code_hash) == 64
        assert row.voucher_code_once == ""
        assert code not in (row.voucher_code_hash, row.failure_reason)
    with pytest.raises(Conflict) as again:
        services.voucher_code_reveal(payout=payouts[0], user=owners[0])
    assert again.value.code == "voucher_already_shown"
    with pytest.raises(Forbidden):
        services.voucher_code_reveal(payout=payouts[1], user=owners[0])


def test_a_failed_voucher_forgets_its_code(alice, staff):
    stock_vouchers(staff, 10_00)
    fund(alice, 10_00)
    account = services.payout_account_create(user=alice, method="gift_voucher")
    payout = services.payout_request(user=alice, amount_cents=10_00, account=account)
    services.payout_batch_create(by=staff, method="gift_voucher")
    services.payout_fail(payout=payout, by=staff, reason="Voucher provider down")
    payout.refresh_from_db()
    assert payout.voucher_code_once == ""
    with pytest.raises(Conflict):
        services.voucher_code_reveal(payout=payout, user=alice)


def test_batch_totals_are_stored(alice, staff):
    fund(alice, 30_00)
    services.payout_request(user=alice, amount_cents=10_00, account=paypal(alice))
    services.payout_request(user=alice, amount_cents=20_00, account=paypal(alice))
    batch = services.payout_batch_create(by=staff, method="paypal")
    assert PayoutBatch.objects.get(pk=batch.pk).total_cents == 30_00


def test_hm16_a_voucher_whose_code_was_shown_cannot_fail_and_pay_twice(alice, staff):
    # given a gift voucher whose code alice has already seen
    stock_vouchers(staff, 10_00)
    fund(alice, 10_00)
    account = services.payout_account_create(user=alice, method="gift_voucher")
    payout = services.payout_request(user=alice, amount_cents=10_00, account=account)
    services.payout_batch_create(by=staff, method="gift_voucher")
    services.voucher_code_reveal(payout=payout, user=alice)
    # when staff try to fail it
    with pytest.raises(Conflict) as refused:
        services.payout_fail(payout=payout, by=staff, reason="Provider down")
    # then it is refused and the money does not come back as well
    assert refused.value.code == "voucher_already_shown"
    payout.refresh_from_db()
    assert payout.state == "processing"
    assert available(alice) == 0
    assert ledger_audit() == []


def test_hm16_payout_history_lists_each_step_oldest_first_with_who(alice, staff):
    from microwork.core.serialisers import history_out

    fund(alice, 20_00)
    payout = services.payout_request(user=alice, amount_cents=20_00, account=paypal(alice))
    services.payout_fail(payout=payout, by=staff, reason="Compte fermé")
    lines = history_out(payout.transitions)
    steps = [(line["to_state"], line["by_id"]) for line in lines]
    assert steps == [("requested", str(alice.pk)), ("failed", str(staff.pk))]
    assert lines[-1]["reason"] == "Compte fermé"
    assert list(lines[0]) == ["from_state", "to_state", "at", "reason", "by_id"]
    assert "by_id" not in history_out(payout.transitions, who=False)[0]
