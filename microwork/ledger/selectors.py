from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet, Sum

from .models import WORLD_KINDS, Account, AccountKind, Posting

if TYPE_CHECKING:
    from microwork.accounts.models import User


#: Apps that hold money in escrow register here a function naming the escrow
#: references of their closed objects ("mission:12"), which must be empty.
CLOSED_ESCROW_PROVIDERS: list[Callable[[], Iterable[str]]] = []


@dataclass(frozen=True)
class WalletBalance:
    available_cents: int
    pending_cents: int


def wallet_balance(user: "User") -> WalletBalance:
    balances = dict(
        Account.objects.filter(owner=user, kind__in=[AccountKind.WALLET, AccountKind.WALLET_PENDING]).values_list(
            "kind", "balance_cents"
        )
    )
    return WalletBalance(
        available_cents=balances.get(AccountKind.WALLET, 0),
        pending_cents=balances.get(AccountKind.WALLET_PENDING, 0),
    )


def wallet_postings(user: "User") -> QuerySet[Posting]:
    """The user's wallet movements, newest first."""
    return (
        Posting.objects.filter(account__owner=user, account__kind__in=[AccountKind.WALLET, AccountKind.WALLET_PENDING])
        .select_related("entry", "account")
        .order_by("-entry_id", "-id")
    )


def ledger_audit() -> list[str]:
    """Every difference between the cached balances and the postings, and
    every rule the books break. An empty list means the books are right."""
    problems: list[str] = []
    sums = dict(
        Posting.objects.values("account_id").annotate(total=Sum("amount_cents")).values_list("account_id", "total")
    )
    for account in Account.objects.order_by("pk"):
        computed = sums.get(account.pk) or 0
        if computed != account.balance_cents:
            problems.append(f"{account}: cached balance {account.balance_cents}, postings sum to {computed}")
        if computed < 0 and account.kind not in WORLD_KINDS and not account.may_go_negative:
            problems.append(f"{account}: negative balance {computed}")
    unbalanced = (
        Posting.objects.values("entry_id")
        .annotate(total=Sum("amount_cents"))
        .exclude(total=0)
        .values_list("entry_id", "total")
    )
    for entry_id, total in unbalanced:
        problems.append(f"entry {entry_id}: postings sum to {total}")
    refs = {ref for provider in CLOSED_ESCROW_PROVIDERS for ref in provider()}
    if refs:
        for account in Account.objects.filter(kind=AccountKind.ESCROW, ref__in=refs).exclude(balance_cents=0):
            problems.append(f"{account}: closed, but {account.balance_cents} cents left in escrow")
    return problems
