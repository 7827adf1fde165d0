"""The one posting function, its guards, and the audit that rechecks the books."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.db.models import F, Sum

from microwork.core.errors import InsufficientFunds, InvalidInput
from microwork.core.money import percent_of
from microwork.ledger import selectors
from microwork.ledger.models import Account, AccountKind, Entry, Posting
from microwork.ledger.payments import topup_create
from microwork.ledger.selectors import ledger_audit, wallet_balance, wallet_postings
from microwork.ledger.services import (
    LedgerKeyReused,
    UnbalancedEntry,
    entry_post,
    escrow_of,
    funds_of,
    system_account,
    transfer,
    wallet_of,
)
from microwork.testing import earn, make_company

# --- Accounts ---------------------------------------------------------------


def test_accounts_are_created_once_with_the_right_overdraft_flag(acme, alice):
    # given a company, a tasker and the platform
    # when their accounts are asked for twice
    company_wallet = funds_of(acme)
    tasker_wallet = wallet_of(alice)
    gateway = system_account(AccountKind.GATEWAY)
    payouts = system_account(AccountKind.PAYOUTS)
    escrow = escrow_of("mission:1")
    # then each is one row, created on first use
    assert funds_of(acme).pk == company_wallet.pk
    assert escrow_of("mission:1").pk == escrow.pk
    assert escrow_of("mission:2").pk != escrow.pk
    assert system_account(AccountKind.GATEWAY).pk == gateway.pk
    # and only a company's wallet and the outside world may hold a negative balance
    assert company_wallet.may_go_negative is True
    assert tasker_wallet.may_go_negative is False
    assert escrow.may_go_negative is False
    assert system_account(AccountKind.REVENUE).may_go_negative is False
    assert system_account(AccountKind.VAT).may_go_negative is False
    assert system_account(AccountKind.PAYOUTS_IN_FLIGHT).may_go_negative is False
    assert gateway.may_go_negative is True
    assert payouts.may_go_negative is True


# --- Balanced entries ---------------------------------------------------------


def test_balanced_entry_writes_postings_and_moves_cached_balances(acme, alice):
    # given a company with 100 EUR and an empty escrow
    company_wallet = funds_of(acme)
    escrow = escrow_of("mission:1")
    revenue = system_account(AccountKind.REVENUE)
    # when one entry moves 372 cents from the wallet to escrow and revenue
    entry = entry_post(
        kind="hold",
        idempotency_key="hold-1",
        lines=[(company_wallet, -372), (escrow, 300), (revenue, 72)],
        memo="one place",
        ref="mission:1",
        by=acme,
    )
    # then the entry is recorded with one posting per account
    assert entry.kind == "hold"
    assert entry.ref == "mission:1"
    assert entry.created_by == acme
    assert sorted(entry.postings.values_list("account_id", "amount_cents")) == sorted(
        [(company_wallet.pk, -372), (escrow.pk, 300), (revenue.pk, 72)]
    )
    # and the cached balances moved, in the database and on the objects passed in
    assert company_wallet.balance_cents == 100_00 - 372
    assert Account.objects.get(pk=company_wallet.pk).balance_cents == 100_00 - 372
    assert Account.objects.get(pk=escrow.pk).balance_cents == 300
    assert Account.objects.get(pk=revenue.pk).balance_cents == 72
    assert ledger_audit() == []


def test_zero_lines_are_dropped_and_lines_on_one_account_are_merged(acme):
    # given a company wallet, an escrow and a revenue account
    company_wallet = funds_of(acme)
    escrow = escrow_of("mission:1")
    revenue = system_account(AccountKind.REVENUE)
    # when an entry lists the escrow twice and the revenue with zero
    entry = entry_post(
        kind="hold",
        idempotency_key="hold-merge",
        lines=[(company_wallet, -100), (escrow, 60), (escrow, 40), (revenue, 0)],
    )
    # then one posting per account that moves, none of zero
    assert sorted(entry.postings.values_list("account_id", "amount_cents")) == sorted(
        [(company_wallet.pk, -100), (escrow.pk, 100)]
    )
    assert not Posting.objects.filter(account=revenue).exists()


@pytest.mark.parametrize(
    "amounts",
    [
        pytest.param((-100, 99), id="one-cent-short"),
        pytest.param((-100, 101), id="one-cent-over"),
        pytest.param((100, 100), id="both-credits"),
        pytest.param((-1, 0), id="debit-against-zero"),
    ],
)
def test_entry_post_refuses_unbalanced_lines_and_writes_nothing(acme, books, amounts):
    # given a company wallet and an escrow
    lines = [(funds_of(acme), amounts[0]), (escrow_of("mission:1"), amounts[1])]
    before = books()
    # when the postings do not sum to zero
    with pytest.raises(UnbalancedEntry, match="not zero"):
        entry_post(kind="hold", idempotency_key="unbalanced", lines=lines)
    # then nothing is written
    assert books() == before
    assert not Entry.objects.filter(idempotency_key="unbalanced").exists()


@pytest.mark.parametrize(
    "amounts",
    [pytest.param((0, 0), id="zeros"), pytest.param((250, -250), id="cancel-out-on-one-account")],
)
def test_entry_post_refuses_an_entry_that_moves_nothing(acme, books, amounts):
    # given lines that are all zero once merged per account
    wallet = funds_of(acme)
    before = books()
    # when they are posted
    with pytest.raises(UnbalancedEntry, match="must move money"):
        entry_post(kind="noop", idempotency_key="noop", lines=[(wallet, amounts[0]), (wallet, amounts[1])])
    # then nothing is written
    assert books() == before


@pytest.mark.parametrize("lines_count", [0, 1])
def test_entry_post_refuses_fewer_than_two_lines(acme, books, lines_count):
    # given one line or none
    lines = [(funds_of(acme), 0)][:lines_count]
    before = books()
    # when posted
    with pytest.raises(UnbalancedEntry, match="at least two"):
        entry_post(kind="single", idempotency_key="single", lines=lines)
    # then nothing is written
    assert books() == before


@pytest.mark.parametrize(
    "amounts",
    [
        pytest.param((-1.0, 1.0), id="float"),
        pytest.param((Decimal("-1"), Decimal("1")), id="decimal"),
        pytest.param(("-100", "100"), id="string"),
        pytest.param((-1, True), id="bool"),
        pytest.param((-0.5, 0.5), id="fraction-of-a-cent"),
    ],
)
def test_entry_post_refuses_amounts_that_are_not_integer_cents(acme, books, amounts):
    # given amounts that are not plain ints
    lines = [(funds_of(acme), amounts[0]), (escrow_of("mission:1"), amounts[1])]
    before = books()
    # when posted
    with pytest.raises(UnbalancedEntry, match="integer cents"):
        entry_post(kind="hold", idempotency_key="not-int", lines=lines)
    # then nothing is written
    assert books() == before


@pytest.mark.parametrize("amount_cents", [0, -100])
def test_transfer_refuses_an_amount_that_is_not_positive(acme, books, amount_cents):
    # given a company wallet and an escrow
    before = books()
    # when a transfer of nothing or less is asked for
    with pytest.raises(InvalidInput):
        transfer(
            kind="hold",
            idempotency_key="transfer-0",
            source=funds_of(acme),
            destination=escrow_of("mission:1"),
            amount_cents=amount_cents,
        )
    # then nothing is written
    assert books() == before


# --- Idempotency --------------------------------------------------------------


def test_same_idempotency_key_twice_posts_once(acme):
    # given a company wallet and an escrow
    wallet = funds_of(acme)
    escrow = escrow_of("mission:1")
    # when the same command is posted twice with one key
    first = transfer(kind="hold", idempotency_key="hold-once", source=wallet, destination=escrow, amount_cents=500)
    second = transfer(kind="hold", idempotency_key="hold-once", source=wallet, destination=escrow, amount_cents=500)
    # then the second returns the first entry and money moved once
    assert second.pk == first.pk
    assert Entry.objects.filter(idempotency_key="hold-once").count() == 1
    assert Posting.objects.filter(entry=first).count() == 2
    assert Account.objects.get(pk=wallet.pk).balance_cents == 100_00 - 500
    assert Account.objects.get(pk=escrow.pk).balance_cents == 500
    assert ledger_audit() == []


def test_replayed_key_with_other_lines_is_refused_and_moves_nothing(acme, alice, books):
    # given an entry already posted under a key
    wallet = funds_of(acme)
    transfer(kind="hold", idempotency_key="k", source=wallet, destination=escrow_of("m:1"), amount_cents=100)
    before = books()
    # when another command reuses the key, even one that would otherwise be refused
    with pytest.raises(LedgerKeyReused, match="'k'"):
        entry_post(kind="other", idempotency_key="k", lines=[(wallet_of(alice), -(10**9)), (wallet, 10**9)])
    # or the same accounts with another amount
    with pytest.raises(LedgerKeyReused):
        transfer(kind="hold", idempotency_key="k", source=wallet, destination=escrow_of("m:1"), amount_cents=101)
    # then nothing moves
    assert books() == before
    # and the very same command again is still a harmless replay
    again = transfer(kind="hold", idempotency_key="k", source=wallet, destination=escrow_of("m:1"), amount_cents=100)
    assert again.kind == "hold"
    assert books() == before


def test_distinct_keys_post_twice(acme):
    # given a company wallet and an escrow
    wallet = funds_of(acme)
    escrow = escrow_of("mission:1")
    # when two commands with different keys move the same amount
    transfer(kind="hold", idempotency_key="a", source=wallet, destination=escrow, amount_cents=100)
    transfer(kind="hold", idempotency_key="b", source=wallet, destination=escrow, amount_cents=100)
    # then both are posted
    assert Account.objects.get(pk=escrow.pk).balance_cents == 200
    assert Entry.objects.filter(idempotency_key__in=["a", "b"]).count() == 2


# --- Balances that may not go negative ---------------------------------------


def test_tasker_wallet_cannot_go_negative_and_nothing_is_written(alice, books):
    # given a tasker who earned 5 EUR
    earn(alice, 500)
    wallet = wallet_of(alice)
    in_flight = system_account(AccountKind.PAYOUTS_IN_FLIGHT)
    before = books()
    # when she tries to pay out one cent more than she holds
    with pytest.raises(InsufficientFunds):
        transfer(kind="payout", idempotency_key="payout-1", source=wallet, destination=in_flight, amount_cents=501)
    # then nothing is written and the key stays free
    assert books() == before
    assert not Entry.objects.filter(idempotency_key="payout-1").exists()
    # and the exact balance may be paid out, leaving zero
    transfer(kind="payout", idempotency_key="payout-1", source=wallet, destination=in_flight, amount_cents=500)
    assert wallet_balance(alice).available_cents == 0


def test_overdraft_cannot_take_a_tasker_wallet_negative(alice, books):
    # given a tasker with 1 EUR
    topup_create(user=alice, amount_cents=100)
    wallet = wallet_of(alice)
    before = books()
    # when an entry names her wallet as one it may overdraw
    with pytest.raises((InsufficientFunds, DatabaseError)):
        entry_post(
            kind="claim_settle",
            idempotency_key="bad-overdraft",
            lines=[(wallet, -200), (system_account(AccountKind.REVENUE), 200)],
            overdraft=[wallet],
        )
    # then the database refuses it: only a company's wallet may go below zero
    assert books() == before
    assert wallet_balance(alice).available_cents == 100


def test_escrow_cannot_pay_out_more_than_it_holds(acme, alice, books):
    # given an escrow holding 300 cents
    escrow = escrow_of("mission:1")
    transfer(kind="hold", idempotency_key="hold", source=funds_of(acme), destination=escrow, amount_cents=300)
    before = books()
    # when a capture asks for 301
    with pytest.raises(InsufficientFunds):
        transfer(kind="capture", idempotency_key="cap", source=escrow, destination=wallet_of(alice), amount_cents=301)
    # then nothing moves
    assert books() == before


def test_company_wallet_cannot_go_negative_without_overdraft(acme, books):
    # given a company with 100 EUR
    wallet = funds_of(acme)
    before = books()
    # when it holds more than it has for a mission
    with pytest.raises(InsufficientFunds):
        transfer(kind="hold", idempotency_key="h", source=wallet, destination=escrow_of("m:1"), amount_cents=100_01)
    # then nothing is written
    assert books() == before


def test_hm15_company_wallet_goes_negative_only_by_a_settlement_overdraft(acme, alice, books):
    # given a company with 100 EUR and a tasker who won a contested rejection of 100 EUR:
    # the reward, with the 20% fee and 20% VAT on the fee, is charged to the company
    reward = 100_00
    fee = percent_of(reward, 2000)
    vat = percent_of(fee, 2000)
    company_wallet = funds_of(acme)
    lines = [
        (company_wallet, -(reward + fee + vat)),
        (wallet_of(alice), reward),
        (system_account(AccountKind.REVENUE), fee),
        (system_account(AccountKind.VAT), vat),
    ]
    before = books()
    # when staff's decision is posted without naming the company wallet as overdrawable
    with pytest.raises(InsufficientFunds):
        entry_post(kind="claim_settle", idempotency_key="hm15-no-overdraft", lines=lines)
    # then it is refused and nothing moves
    assert books() == before
    # when the settlement names the company's wallet as one it may overdraw
    entry_post(kind="claim_settle", idempotency_key="hm15", lines=lines, overdraft=[company_wallet])
    # then the company is in debt by the fee and VAT, and the tasker is paid in full
    assert wallet_balance(acme).available_cents == 100_00 - 124_00 == -24_00
    assert wallet_balance(alice).available_cents == reward
    assert ledger_audit() == []
    # and while in debt the company cannot spend, not even a cent
    with pytest.raises(InsufficientFunds):
        transfer(kind="hold", idempotency_key="h", source=company_wallet, destination=escrow_of("m:2"), amount_cents=1)
    # but it can top up, even by less than its debt, and spend once it is back above zero
    topup_create(user=acme, amount_cents=10_00)
    assert wallet_balance(acme).available_cents == -14_00
    topup_create(user=acme, amount_cents=15_00)
    assert wallet_balance(acme).available_cents == 1_00
    transfer(kind="hold", idempotency_key="h", source=company_wallet, destination=escrow_of("m:2"), amount_cents=1_00)
    assert wallet_balance(acme).available_cents == 0
    assert ledger_audit() == []


def test_a_release_back_to_a_company_in_debt_goes_through(acme, alice):
    # given a company with 3 EUR in escrow, then taken into debt by a settlement
    wallet = funds_of(acme)
    escrow = escrow_of("mission:1")
    transfer(kind="hold", idempotency_key="hold", source=wallet, destination=escrow, amount_cents=3_00)
    entry_post(
        kind="claim_settle",
        idempotency_key="settle",
        lines=[(wallet, -200_00), (wallet_of(alice), 200_00)],
        overdraft=[wallet],
    )
    assert wallet_balance(acme).available_cents == 100_00 - 3_00 - 200_00
    # when the unclaimed place is released back to it (SPEC HM15b)
    transfer(kind="release", idempotency_key="release", source=escrow, destination=wallet, amount_cents=3_00)
    # then the company's debt shrinks and the escrow is empty
    assert wallet_balance(acme).available_cents == -100_00
    assert Account.objects.get(pk=escrow.pk).balance_cents == 0
    assert ledger_audit() == []


def test_world_accounts_go_negative_freely(alice):
    # given the payment gateway, which mirrors money paid in
    gateway = system_account(AccountKind.GATEWAY)
    # when money comes in through it, without any overdraft named
    entry_post(kind="hold", idempotency_key="in", lines=[(gateway, -(10**12)), (escrow_of("m:big"), 10**12)])
    # then its balance is the negative of what came in
    assert Account.objects.get(pk=gateway.pk).balance_cents == -(10**12)
    assert escrow_of("m:big").balance_cents == 10**12
    assert ledger_audit() == []


def test_pl01_audit_reports_funds_credited_straight_to_earnings_or_beyond_top_ups(alice):
    # given money from the outside world written straight to a tasker's earnings,
    # and funds that no top-up paid for
    gateway = system_account(AccountKind.GATEWAY)
    entry = entry_post(kind="topup", idempotency_key="in", lines=[(gateway, -5_00), (wallet_of(alice), 5_00)])
    entry_post(kind="topup", idempotency_key="in-2", lines=[(gateway, -7_00), (funds_of(alice), 7_00)])
    # when the books are audited
    # then both breaches of SPEC PL01 are named
    assert ledger_audit() == [
        f"entry {entry.pk}: credits earnings out of gateway",
        f"{funds_of(alice)}: 700 cents of funds, only 0 refundable",
    ]


def test_money_out_through_payouts_leaves_the_books_balanced(alice):
    # given a tasker who earned 20 EUR
    earn(alice, 20_00)
    wallet = wallet_of(alice)
    in_flight = system_account(AccountKind.PAYOUTS_IN_FLIGHT)
    payouts = system_account(AccountKind.PAYOUTS)
    # when she asks for a 10 EUR payout and it is sent
    transfer(kind="payout", idempotency_key="p-req", source=wallet, destination=in_flight, amount_cents=10_00)
    transfer(kind="payout_sent", idempotency_key="p-sent", source=in_flight, destination=payouts, amount_cents=10_00)
    # then the money left the platform: the internal accounts hold money in minus money out
    gateway = system_account(AccountKind.GATEWAY)
    assert wallet_balance(alice).available_cents == 10_00
    assert Account.objects.get(pk=in_flight.pk).balance_cents == 0
    assert Account.objects.get(pk=payouts.pk).balance_cents == 10_00
    internal = Account.objects.exclude(kind__in=[AccountKind.GATEWAY, AccountKind.PAYOUTS]).aggregate(
        total=Sum("balance_cents")
    )["total"]
    gateway.refresh_from_db()
    assert internal == -gateway.balance_cents - 10_00 == 10_00


# --- Cached balances and the audit --------------------------------------------


def test_cached_balances_equal_the_sum_of_postings(acme, alice, bob):
    # given several entries over many accounts
    topup_create(user=alice, amount_cents=7_00)
    for number in range(5):
        escrow = escrow_of(f"mission:{number}")
        transfer(kind="hold", idempotency_key=f"h{number}", source=funds_of(acme), destination=escrow, amount_cents=372)
        entry_post(
            kind="capture",
            idempotency_key=f"c{number}",
            lines=[
                (escrow, -372),
                (wallet_of(bob if number % 2 else alice), 300),
                (system_account(AccountKind.REVENUE), 60),
                (system_account(AccountKind.VAT), 12),
            ],
        )
    # when every account's postings are summed
    sums = dict(
        Posting.objects.values("account_id").annotate(total=Sum("amount_cents")).values_list("account_id", "total")
    )
    # then each cached balance equals its sum, and all postings sum to zero
    for account in Account.objects.all():
        assert account.balance_cents == sums.get(account.pk, 0), account
    assert Posting.objects.aggregate(total=Sum("amount_cents"))["total"] == 0
    assert wallet_balance(alice).available_cents == 7_00 + 3 * 300
    assert wallet_balance(bob).available_cents == 2 * 300
    assert Account.objects.get(kind=AccountKind.REVENUE).balance_cents == 5 * 60
    assert Account.objects.get(kind=AccountKind.VAT).balance_cents == 5 * 12
    assert ledger_audit() == []


def test_wallet_postings_lists_the_users_movements_newest_first(acme, alice):
    # given a tasker paid twice and an unrelated company movement
    transfer(kind="pay", idempotency_key="p1", source=funds_of(acme), destination=wallet_of(alice), amount_cents=1)
    transfer(kind="hold", idempotency_key="h", source=funds_of(acme), destination=escrow_of("m:1"), amount_cents=5)
    transfer(kind="pay", idempotency_key="p2", source=funds_of(acme), destination=wallet_of(alice), amount_cents=2)
    # when her history is read
    history = list(wallet_postings(alice))
    # then it holds her two credits, newest first
    assert [(p.entry.idempotency_key, p.amount_cents) for p in history] == [("p2", 2), ("p1", 1)]
    assert wallet_balance(alice).available_cents == 3
    assert wallet_balance(alice).pending_cents == 0


def test_audit_is_clean_on_good_books(acme, alice):
    # given ordinary movements
    topup_create(user=alice, amount_cents=1_00)
    transfer(kind="hold", idempotency_key="h", source=funds_of(acme), destination=escrow_of("m:1"), amount_cents=5)
    # when the books are audited
    # then there is nothing to report, and the command says so
    assert ledger_audit() == []
    call_command("ledger_audit")


def test_audit_names_an_account_whose_cached_balance_was_tampered_with(acme, alice, capsys):
    # given good books, then a cached balance changed behind the ledger's back
    earn(alice, 1_00)
    wallet = wallet_of(alice)
    Account.objects.filter(pk=wallet.pk).update(balance_cents=F("balance_cents") + 1)
    # when the books are audited
    problems = ledger_audit()
    # then the account is named with both figures
    assert problems == [f"{wallet}: cached balance 101, postings sum to 100"]
    # and the command fails, listing the problem
    with pytest.raises(CommandError, match="1 problem"):
        call_command("ledger_audit")
    assert f"{wallet}: cached balance 101" in capsys.readouterr().err


def test_audit_reports_entries_written_around_the_posting_function(acme, alice):
    # given an unbalanced entry inserted directly, caches left untouched (inside a
    # savepoint rolled back below: PostgreSQL's deferred trigger would refuse it at
    # the end of the test)
    wallet = wallet_of(alice)
    revenue = system_account(AccountKind.REVENUE)
    with transaction.atomic():
        entry = Entry.objects.create(kind="forged", idempotency_key="forged")
        Posting.objects.create(entry=entry, account=wallet, amount_cents=-50)
        Posting.objects.create(entry=entry, account=revenue, amount_cents=20)
        # when the books are audited
        problems = ledger_audit()
        with pytest.raises(CommandError):
            call_command("ledger_audit")
        transaction.set_rollback(True)
    # then the unbalanced entry, the stale caches and the negative tasker wallet are all named
    assert f"entry {entry.pk}: postings sum to -30" in problems
    assert f"{wallet}: cached balance 0, postings sum to -50" in problems
    assert f"{wallet}: negative balance -50" in problems
    assert f"{revenue}: cached balance 0, postings sum to 20" in problems
    assert len(problems) == 4
    # and once the forgery is rolled back the books are clean again
    assert ledger_audit() == []


def test_audit_reports_a_closed_escrow_that_still_holds_money(acme, monkeypatch):
    # given two escrows: one emptied, one still holding 5 EUR
    wallet = funds_of(acme)
    emptied = escrow_of("mission:1")
    transfer(kind="hold", idempotency_key="h1", source=wallet, destination=emptied, amount_cents=5_00)
    transfer(kind="release", idempotency_key="r1", source=emptied, destination=wallet, amount_cents=5_00)
    holding = escrow_of("mission:2")
    transfer(kind="hold", idempotency_key="h2", source=wallet, destination=holding, amount_cents=5_00)
    # and a provider that names only the emptied one as closed
    closed = ["mission:1"]
    monkeypatch.setattr(
        selectors, "CLOSED_ESCROW_PROVIDERS", [*selectors.CLOSED_ESCROW_PROVIDERS, lambda: list(closed)]
    )
    # when the books are audited, then nothing is wrong
    assert ledger_audit() == []
    # when the one still holding money is closed too
    closed.append("mission:2")
    # then the audit reports it, and the command fails
    assert ledger_audit() == [f"{holding}: closed, but 500 cents left in escrow"]
    with pytest.raises(CommandError):
        call_command("ledger_audit")


def test_company_balance_fixture_is_a_real_topup(db):
    # given a company made with a balance
    company = make_company(balance_cents=42_00)
    # then the balance came in through the gateway, as any top-up
    gateway = system_account(AccountKind.GATEWAY)
    assert wallet_balance(company).available_cents == 42_00
    assert gateway.balance_cents == -42_00
    assert ledger_audit() == []
