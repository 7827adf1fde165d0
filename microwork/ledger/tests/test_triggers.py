"""The database itself guards the ledger: entries and postings are append-only on
both engines, and on PostgreSQL a deferred constraint trigger refuses an entry
whose postings do not balance (or that has fewer than two)."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from microwork.ledger.models import Account, AccountKind, Entry, Posting
from microwork.ledger.selectors import ledger_audit
from microwork.ledger.services import escrow_of, funds_of, system_account, transfer

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="deferred constraint triggers exist on PostgreSQL only"
)


@pytest.fixture
def entry(acme: Any) -> Entry:
    """A real 5 EUR hold from acme's wallet to a mission's escrow."""
    return transfer(
        kind="hold",
        idempotency_key="hold-1",
        source=funds_of(acme),
        destination=escrow_of("mission:1"),
        amount_cents=5_00,
        memo="original",
    )


def ledger_rows() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    entries = list(Entry.objects.order_by("pk").values_list("pk", "kind", "idempotency_key", "memo", "ref"))
    postings = list(Posting.objects.order_by("pk").values_list("pk", "entry_id", "account_id", "amount_cents"))
    return entries, postings


def raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def first_posting(entry: Entry) -> Posting:
    posting = entry.postings.order_by("pk").first()
    assert posting is not None
    return posting


def save_posting(entry: Entry) -> None:
    posting = first_posting(entry)
    posting.amount_cents = 9
    posting.save(update_fields=["amount_cents"])


def save_entry(entry: Entry) -> None:
    entry.memo = "forged"
    entry.save(update_fields=["memo"])


ATTEMPTS: dict[str, Callable[[Entry], Any]] = {
    "posting-queryset-update": lambda e: Posting.objects.filter(pk=first_posting(e).pk).update(amount_cents=1),
    "posting-queryset-update-all": lambda e: Posting.objects.update(amount_cents=-1),
    "posting-save": save_posting,
    "posting-queryset-delete": lambda e: Posting.objects.filter(pk=first_posting(e).pk).delete(),
    "posting-instance-delete": lambda e: first_posting(e).delete(),
    "posting-raw-update": lambda e: raw("UPDATE ledger_posting SET amount_cents = amount_cents * 2", []),
    "posting-raw-delete": lambda e: raw("DELETE FROM ledger_posting WHERE entry_id = %s", [e.pk]),
    "entry-queryset-update": lambda e: Entry.objects.filter(pk=e.pk).update(memo="forged"),
    "entry-save": save_entry,
    # The ORM refuses this one first (postings PROTECT their entry): still a DatabaseError.
    "entry-queryset-delete": lambda e: Entry.objects.filter(pk=e.pk).delete(),
    "entry-raw-update": lambda e: raw("UPDATE ledger_entry SET idempotency_key = 'forged' WHERE id = %s", [e.pk]),
    "entry-raw-delete": lambda e: raw("DELETE FROM ledger_entry WHERE id = %s", [e.pk]),
}


@pytest.mark.parametrize("attempt", list(ATTEMPTS))
def test_ledger_rows_cannot_be_updated_or_deleted(entry, attempt):
    # given a posted entry and its postings
    before = ledger_rows()
    balances = dict(Account.objects.values_list("pk", "balance_cents"))
    # when something tries to change or remove them
    with pytest.raises(DatabaseError), transaction.atomic():
        ATTEMPTS[attempt](entry)
    # then the database refuses, and nothing changed
    assert ledger_rows() == before
    assert dict(Account.objects.values_list("pk", "balance_cents")) == balances
    assert ledger_audit() == []


def test_the_transaction_stays_usable_after_a_refused_change(entry, acme):
    # given a refused update caught at a savepoint
    with pytest.raises(DatabaseError), transaction.atomic():
        Posting.objects.filter(entry=entry).update(amount_cents=1)
    # when the ledger is used again in the same transaction
    second = transfer(
        kind="hold",
        idempotency_key="hold-2",
        source=funds_of(acme),
        destination=escrow_of("mission:1"),
        amount_cents=1,
    )
    # then it works
    assert Posting.objects.filter(entry=second).count() == 2
    assert Account.objects.get(pk=escrow_of("mission:1").pk).balance_cents == 5_01


def test_accounts_are_not_append_only(entry):
    # given an account holding money
    escrow = escrow_of("mission:1")
    # when its cached balance is rewritten (the audit exists to catch this)
    Account.objects.filter(pk=escrow.pk).update(balance_cents=0)
    # then the update went through
    assert Account.objects.get(pk=escrow.pk).balance_cents == 0
    assert ledger_audit() != []


# --- PostgreSQL: balanced at commit -------------------------------------------


@pytest.fixture
def constraints_immediate() -> Iterator[Callable[[], None]]:
    """Fire the deferred triggers now: the test transaction is never committed."""

    def fire() -> None:
        raw("SET CONSTRAINTS ALL IMMEDIATE", [])

    yield fire
    raw("SET CONSTRAINTS ALL DEFERRED", [])


def forge(postings: list[tuple[Account, int]], key: str = "forged") -> Entry:
    """An entry written around entry_post, as a careless migration or script might."""
    forged = Entry.objects.create(kind="forged", idempotency_key=key)
    for account, amount in postings:
        Posting.objects.create(entry=forged, account=account, amount_cents=amount)
    return forged


@postgres_only
def test_postgres_refuses_an_unbalanced_entry_at_commit(acme, constraints_immediate):
    # given accounts and an entry written around the posting function, one cent short
    wallet = funds_of(acme)
    escrow = escrow_of("mission:1")
    # when the deferred checks run (as they would at commit)
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        forge([(wallet, -100), (escrow, 99)])
        constraints_immediate()
    # then nothing of it is left
    assert not Entry.objects.filter(idempotency_key="forged").exists()
    assert not Posting.objects.filter(account=escrow).exists()


@postgres_only
def test_postgres_accepts_a_balanced_entry_at_commit(acme, constraints_immediate):
    # given a balanced entry written around the posting function
    wallet = funds_of(acme)
    escrow = escrow_of("mission:1")
    with transaction.atomic():
        forged = forge([(wallet, -100), (escrow, 60), (system_account(AccountKind.REVENUE), 40)])
        # when the deferred checks run
        constraints_immediate()
    # then the database accepts it
    assert Posting.objects.filter(entry=forged).count() == 3


@postgres_only
def test_postgres_accepts_what_entry_post_writes_at_commit(entry, constraints_immediate):
    # given an entry written by the posting function
    # when the deferred checks run
    constraints_immediate()
    # then the database accepts it
    assert Posting.objects.filter(entry=entry).count() == 2


@postgres_only
@pytest.mark.parametrize("lines_count", [0, 1])
def test_postgres_refuses_an_entry_with_fewer_than_two_postings(acme, constraints_immediate, lines_count):
    # given an entry with no posting, or a single one
    wallet = funds_of(acme)
    # when the deferred checks run
    with pytest.raises(DatabaseError, match=f"has {lines_count} posting"), transaction.atomic():
        forge([(wallet, 100)][:lines_count])
        constraints_immediate()
    # then nothing of it is left
    assert not Entry.objects.filter(idempotency_key="forged").exists()
    assert ledger_audit() == []


@postgres_only
def test_postgres_refuses_postings_added_later_to_a_balanced_entry(entry, acme, constraints_immediate):
    # given a balanced entry already written
    # when a posting is slipped into it afterwards, around the posting function
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        Posting.objects.create(entry=entry, account=funds_of(acme), amount_cents=1)
        constraints_immediate()
    # then the entry still has its two postings
    assert Posting.objects.filter(entry=entry).count() == 2
