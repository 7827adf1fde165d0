from typing import Any

import pytest

from microwork.ledger.models import Account, Entry, Posting


class BooksSnapshot:
    """Every account's cached balance and the count of ledger rows, to show that
    a refused command wrote nothing."""

    def __init__(self) -> None:
        # Accounts are created on first use; an empty new one changes nothing.
        self.balances = dict(Account.objects.exclude(balance_cents=0).values_list("pk", "balance_cents"))
        self.entries = Entry.objects.count()
        self.postings = Posting.objects.count()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BooksSnapshot):
            return NotImplemented
        return (self.balances, self.entries, self.postings) == (other.balances, other.entries, other.postings)

    def __repr__(self) -> str:
        return f"BooksSnapshot(entries={self.entries}, postings={self.postings}, balances={self.balances})"


@pytest.fixture
def books() -> Any:
    """Call it to take a snapshot of the books."""
    return BooksSnapshot


from .stripe_stub import stripe_stub  # noqa: E402, F401  (a fixture shared by the payment tests)
