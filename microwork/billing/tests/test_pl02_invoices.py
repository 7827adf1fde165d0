"""Monthly platform invoices (SPEC PL02, HM10, AM12; issue 13, items 1 and 2)."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from microwork import testing
from microwork.billing import selectors, services
from microwork.billing.models import Invoice, InvoiceCounter, InvoicedEntry, InvoiceKind, LineCategory
from microwork.ledger.models import AccountKind, Posting
from microwork.ledger.selectors import ledger_audit
from microwork.ledger.services import system_account
from microwork.ops.tick import run_due
from microwork.testing import make_published

from .conftest import FIRST_OF_DECEMBER, IN_NOVEMBER, approved, order_accepted, taskers

pytestmark = pytest.mark.django_db


def test_pl02_tick_issues_one_invoice_per_customer_for_the_month_before(
    acme, staff, alice, django_capture_on_commit_callbacks
):
    # given acme paid for one approved place in November (reward 300, fee 60, VAT 12: HM10)
    with time_machine.travel(IN_NOVEMBER, tick=False):
        approved(make_published(acme, staff), alice, acme)
    # when tick runs on the first of December
    mail.outbox.clear()
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False), django_capture_on_commit_callbacks(execute=True):
        counts = run_due()
    # then one invoice for November, numbered in the year of issue, with the fee and VAT apart from the reward
    assert counts["invoices_issued"] == 1
    invoice = Invoice.objects.get(customer=acme)
    assert invoice.number == "MW-2026-000001"
    assert invoice.period == date(2026, 11, 1)
    assert invoice.kind == InvoiceKind.INVOICE
    assert (invoice.total_excl_vat_cents, invoice.vat_cents, invoice.disbursements_cents) == (60, 12, 300)
    assert invoice.total_cents == 372
    fee, reward = invoice.lines.all()
    assert (fee.category, fee.quantity, fee.unit_cents, fee.vat_rate_bp) == (LineCategory.FEE, 1, 60, 2000)
    assert (reward.category, reward.amount_cents, reward.vat_rate_bp) == (LineCategory.DISBURSEMENT, 300, 0)
    assert invoice.seller["siret"] and invoice.seller["vat_number"]
    assert invoice.buyer["siret"] == testing.ACME_SIRET
    # and acme is told by email once it is issued
    assert [m.to for m in mail.outbox] == [["acme@example.fr"]]
    assert "MW-2026-000001" in mail.outbox[0].subject


def test_pl02_tick_again_issues_nothing_more(acme, staff, alice):
    with time_machine.travel(IN_NOVEMBER, tick=False):
        approved(make_published(acme, staff), alice, acme)
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        run_due()
        assert run_due()["invoices_issued"] == 0
    assert Invoice.objects.count() == 1
    assert InvoiceCounter.objects.get(year=2026).last_number == 1


def test_pl02_the_current_month_waits_for_its_end(acme, staff, alice):
    with time_machine.travel(IN_NOVEMBER, tick=False):
        approved(make_published(acme, staff), alice, acme)
        assert run_due()["invoices_issued"] == 0
    assert not Invoice.objects.exists()


def test_pl02_every_charge_is_on_exactly_one_invoice_and_numbers_have_no_gaps(acme, staff, alice, bob):
    # given two companies charged in November, and a buyer of a packaged service
    other = testing.make_company("globex@example.fr", balance_cents=100_00)
    expert = testing.make_verified_expert("emma@example.fr")
    buyer = testing.make_company("buyer@example.fr", balance_cents=500_00)
    with time_machine.travel(IN_NOVEMBER, tick=False):
        approved(make_published(acme, staff), alice, acme)
        approved(make_published(acme, staff, title="Second shelf"), bob, acme)
        approved(make_published(other, staff), alice, other)
        order_accepted(buyer, expert)
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        assert run_due()["invoices_issued"] == 3
    invoices = list(Invoice.objects.order_by("sequence"))
    assert [i.sequence for i in invoices] == [1, 2, 3]
    assert {i.customer_id for i in invoices} == {acme.pk, other.pk, buyer.pk}
    # every entry that paid the platform is on exactly one invoice
    assert selectors.charges_uninvoiced(period=date(2026, 11, 1)) == []
    assert InvoicedEntry.objects.count() == 4
    # the buyer's invoice: the commission (10%, VAT included) is the fee, the expert's price apart (AM12)
    bought = Invoice.objects.get(customer=buyer)
    assert bought.total_excl_vat_cents + bought.vat_cents == 1_000
    assert bought.disbursements_cents == 9_000
    assert bought.total_cents == 10_000
    assert ledger_audit() == []


def test_hm10_vat_per_rate_on_the_sum_of_lines_with_one_ledger_adjustment(acme, staff):
    # given 3 places at 210 cents: fee 42 each, VAT 8.4 rounded to 8 place by place (24 set aside)
    workers = taskers(3)
    with time_machine.travel(IN_NOVEMBER, tick=False):
        mission = make_published(acme, staff, reward_cents=210, places=3)
        for tasker in workers:
            approved(mission, tasker, acme)
    vat_before = system_account(AccountKind.VAT).balance_cents
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        run_due()
    invoice = Invoice.objects.get(customer=acme)
    # then the invoice computes VAT once on the sum of the lines: 20% of 126 = 25.20 -> 25 (BR-CO-17)
    (fee, _reward) = invoice.lines.all()
    assert (fee.quantity, fee.unit_cents, fee.amount_cents) == (3, 42, 126)
    assert invoice.vat_cents == 25
    assert invoice.vat_reserved_cents == 24
    assert invoice.vat_adjustment_cents == 1
    # and one ledger entry moves the cent so VAT collected equals VAT invoiced
    assert system_account(AccountKind.VAT).balance_cents == vat_before + 1
    assert selectors.vat_audit() == []
    assert ledger_audit() == []


def test_hm10_vat_audit_finds_vat_collected_unlike_vat_invoiced(acme, staff, alice):
    with time_machine.travel(IN_NOVEMBER, tick=False):
        approved(make_published(acme, staff), alice, acme)
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        run_due()
        # a charge of December tied to November's invoice, which does not count its VAT
        approved(make_published(acme, staff, title="December shelf"), alice, acme)
    assert selectors.vat_audit() == []
    charge = Posting.objects.filter(account__kind=AccountKind.VAT, entry__kind="claim_approve").latest("pk")
    InvoicedEntry.objects.create(entry_id=charge.entry_id, invoice=Invoice.objects.get())
    # VAT collected on invoiced charges no longer matches VAT invoiced
    assert selectors.vat_audit() != []
    assert any("VAT" in problem for problem in ledger_audit())


def test_pl02_credit_note_for_fees_given_back_in_the_same_sequence(acme, staff, alice):
    """A fee given back (an entry that takes money out of the platform's
    revenue, as a settlement that reverses a charge would) is credited on a
    credit note, numbered in the invoices' sequence."""
    from microwork.ledger.services import entry_post, funds_of

    with time_machine.travel(IN_NOVEMBER, tick=False):
        claim = approved(make_published(acme, staff), alice, acme)
        entry_post(
            kind="claim_settle",
            idempotency_key="settle-back:1",
            lines=[
                (system_account(AccountKind.REVENUE), -60),
                (system_account(AccountKind.VAT), -12),
                (funds_of(acme), 72),
            ],
            ref=f"claim:{claim.pk}",
        )
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        assert run_due()["invoices_issued"] == 2
    invoice = Invoice.objects.get(kind=InvoiceKind.INVOICE)
    credit = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert {invoice.sequence, credit.sequence} == {1, 2}
    assert (credit.total_excl_vat_cents, credit.vat_cents, credit.total_cents) == (60, 12, 72)
    assert selectors.vat_audit() == []


def test_pl02_an_issued_invoice_is_never_issued_again_for_the_month(acme, staff, alice):
    with time_machine.travel(IN_NOVEMBER, tick=False):
        approved(make_published(acme, staff), alice, acme)
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        first = services.invoice_issue(customer=acme, period=date(2026, 11, 1))
        again = services.invoice_issue(customer=acme, period=date(2026, 11, 1))
    assert first is not None and again is not None
    assert again.pk == first.pk
    assert Invoice.objects.count() == 1


def test_pl02_a_charge_booked_after_its_month_was_invoiced_goes_on_the_next_invoice(acme, staff, alice, bob):
    # given acme's October invoice is issued
    october = datetime.fromisoformat("2026-10-20T10:00:00+02:00")
    with time_machine.travel(october, tick=False):
        approved(make_published(acme, staff), alice, acme)
    with time_machine.travel(datetime.fromisoformat("2026-11-01T06:00:00+01:00"), tick=False):
        assert run_due()["invoices_issued"] == 1
    # and a charge dated 31 October committed only after that invoice was made
    with time_machine.travel(datetime.fromisoformat("2026-10-31T23:59:59+01:00"), tick=False):
        approved(make_published(acme, staff, title="Late shelf"), bob, acme)
    # when December's tick runs (acme had no other charge in November)
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        assert run_due()["invoices_issued"] == 1
    # then the late charge is on the November invoice, and on no other
    late = Invoice.objects.get(period=date(2026, 11, 1))
    assert late.total_excl_vat_cents == 60
    assert selectors.charges_uninvoiced(period=date(2026, 11, 1)) == []
    assert InvoicedEntry.objects.count() == 2
    assert Invoice.objects.get(period=date(2026, 10, 1)).number == "MW-2026-000001"
    assert late.number == "MW-2026-000002"


def test_pl02_a_closing_account_is_invoiced_at_once_before_its_details_are_erased(
    acme, staff, alice, django_capture_on_commit_callbacks
):
    from microwork.billing.models import BillingProfile
    from microwork.ops import closure as closures

    services.billing_profile_save(
        user=acme, billing_name="Acme SAS", address_line1="12 rue des Lilas", postcode="69003", city="Lyon"
    )
    # given acme was charged this month and asks to close its account
    with time_machine.travel(IN_NOVEMBER, tick=False):
        approved(make_published(acme, staff), alice, acme)
        closure = closures.closure_request(user=acme)
    # when tick applies the closure, mid-November
    with (
        time_machine.travel(closure.effective_at + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert run_due()["accounts_closed"] == 1
    # then November is invoiced at once, to the name and address acme gave
    invoice = Invoice.objects.get(customer=acme)
    assert invoice.period == date(2026, 11, 1)
    assert invoice.buyer["name"] == "Acme SAS" and invoice.buyer["city"] == "Lyon"
    assert not BillingProfile.objects.filter(user=acme).exists()
    # and December's tick has nothing more to invoice
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        assert run_due()["invoices_issued"] == 0
