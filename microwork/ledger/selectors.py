from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, QuerySet, Sum, Value
from django.db.models.functions import Cast, Concat

from microwork.core.errors import NotFound

from .models import (
    WORLD_KINDS,
    Account,
    AccountKind,
    HeldEarning,
    Posting,
    Refund,
    RefundPart,
    RefundState,
    Topup,
    TopupState,
)

if TYPE_CHECKING:
    from microwork.accounts.models import User


#: Apps that hold money in escrow register here a function naming the escrow
#: references of their closed objects ("mission:12"), which must be empty: a
#: query of them (`escrow_refs`), read by the database inside the audit's own
#: query, as there may be millions.
CLOSED_ESCROW_PROVIDERS: list[Callable[[], QuerySet[Any] | Iterable[str]]] = []

#: Apps that hold something the ledger mirrors (the gift-voucher stock)
#: register here a check returning every difference it finds.
AUDIT_CHECKS: list[Callable[[], list[str]]] = []


USER_KINDS = (AccountKind.FUNDS, AccountKind.WALLET, AccountKind.WALLET_PENDING)


@dataclass(frozen=True)
class WalletBalance:
    """What a user holds (SPEC PL01): `funds` were put in (spend or refund
    them), `earnings` were earned (spend or withdraw them), `pending` are
    earnings still clearing. `available` is what can be spent now."""

    funds_cents: int
    earnings_cents: int
    pending_cents: int

    @property
    def available_cents(self) -> int:
        return self.funds_cents + self.earnings_cents

    @property
    def refundable_cents(self) -> int:
        return max(self.funds_cents, 0)

    @property
    def withdrawable_cents(self) -> int:
        return max(self.earnings_cents, 0)


def wallet_balance(user: "User") -> WalletBalance:
    balances = dict(Account.objects.filter(owner=user, kind__in=USER_KINDS).values_list("kind", "balance_cents"))
    return WalletBalance(
        funds_cents=balances.get(AccountKind.FUNDS, 0),
        earnings_cents=balances.get(AccountKind.WALLET, 0),
        pending_cents=balances.get(AccountKind.WALLET_PENDING, 0),
    )


def topups_of(user: "User") -> QuerySet[Topup]:
    return Topup.objects.filter(user=user)


def topup_for(user: "User", topup_id: int | None) -> Topup:
    """The user's own top-up; anyone else's is not found."""
    topup = Topup.objects.filter(user=user, pk=topup_id).first() if topup_id is not None else None
    if topup is None:
        raise NotFound()
    return topup


def refunds_of(user: "User") -> QuerySet[Refund]:
    return Refund.objects.filter(user=user)


def refund_for(user: "User", refund_id: int | None) -> Refund:
    """The user's own refund; anyone else's is not found."""
    refund = Refund.objects.filter(user=user, pk=refund_id).first() if refund_id is not None else None
    if refund is None:
        raise NotFound()
    return refund


def wallet_postings(user: "User") -> QuerySet[Posting]:
    """The user's wallet movements, newest first (by key: the order every
    list of them pages in)."""
    return (
        Posting.objects.filter(account__owner=user, account__kind__in=USER_KINDS)
        .select_related("entry", "account")
        .order_by("-pk")
    )


def escrow_refs(objects: QuerySet[Any], prefix: str) -> QuerySet[Any]:
    """The escrow references of `objects` ("mission:12" for prefix "mission"), as a query."""
    return objects.annotate(escrow=Concat(Value(f"{prefix}:"), Cast("pk", CharField()))).values("escrow")


def ledger_audit() -> list[str]:
    """Every difference between the cached balances and the postings, and
    every rule the books break. An empty list means the books are right."""
    problems: list[str] = []
    sums = dict(
        Posting.objects.values("account_id").annotate(total=Sum("amount_cents")).values_list("account_id", "total")
    )
    accounts = list(Account.objects.order_by("pk"))
    for account in accounts:
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
    for provider in CLOSED_ESCROW_PROVIDERS:
        left = Account.objects.filter(kind=AccountKind.ESCROW, ref__in=provider()).exclude(balance_cents=0)
        for account in left.order_by("pk"):
            problems.append(f"{account}: closed, but {account.balance_cents} cents left in escrow")
    problems.extend(_funds_apart_from_earnings(accounts))
    problems.extend(_refunds_in_flight(accounts))
    problems.extend(_pending_earnings_held(accounts))
    for check in AUDIT_CHECKS:
        problems.extend(check())
    return problems


#: Entry kinds in which a payer's funds pay someone's earnings directly (settlements, bonuses).
SPENDING_KINDS = frozenset({"claim_settle", "claim_bonus"})

#: Where money credited to earnings may come from: escrow (rewards, fees),
#: a payer's spending (settlements), payouts coming back, and earnings spent
#: then returned. Never from the outside world or from anyone's funds.
EARNINGS_SOURCES = frozenset(
    {AccountKind.ESCROW, AccountKind.WALLET, AccountKind.WALLET_PENDING, AccountKind.PAYOUTS_IN_FLIGHT}
)


def _funds_apart_from_earnings(accounts: list[Account]) -> list[str]:
    """SPEC PL01 in the books: no entry credits someone's earnings out of
    money put in, and nobody holds more funds than they can be refunded."""
    problems: list[str] = []
    credited = (
        Posting.objects.filter(account__kind=AccountKind.WALLET, amount_cents__gt=0)
        .values_list("entry_id", flat=True)
        .distinct()
    )
    # An entry that credits earnings while debiting someone's funds is only
    # a payer's spending (a settlement): the payer's funds, not the payee's.
    suspicious = (
        Posting.objects.filter(entry_id__in=credited, amount_cents__lt=0)
        .exclude(account__kind__in=EARNINGS_SOURCES)
        .exclude(account__kind=AccountKind.FUNDS, entry__kind__in=SPENDING_KINDS)
        .values_list("entry_id", "account__kind")
    )
    for entry_id, kind in suspicious:
        problems.append(f"entry {entry_id}: credits earnings out of {kind}")
    refundable = dict(
        Topup.objects.filter(state=TopupState.SUCCEEDED)
        .values("user_id")
        .annotate(total=Sum("amount_cents"))
        .values_list("user_id", "total")
    )
    refunded = dict(
        RefundPart.objects.exclude(state=RefundState.FAILED)
        .values("refund__user_id")
        .annotate(total=Sum("amount_cents"))
        .values_list("refund__user_id", "total")
    )
    for account in (a for a in accounts if a.kind == AccountKind.FUNDS and a.balance_cents > 0):
        owner = account.owner_id or 0
        limit = (refundable.get(owner) or 0) - (refunded.get(owner) or 0)
        if account.balance_cents > limit:
            problems.append(f"{account}: {account.balance_cents} cents of funds, only {limit} refundable")
    return problems


def _pending_earnings_held(accounts: list[Account]) -> list[str]:
    """Each user's pending earnings are exactly the held earnings not yet released (AM16)."""
    held: dict[int | None, int] = dict(
        HeldEarning.objects.filter(released_at__isnull=True)
        .values("user_id")
        .annotate(total=Sum("amount_cents"))
        .values_list("user_id", "total")
    )
    problems = []
    pending: dict[int | None, int] = {
        a.owner_id: a.balance_cents for a in accounts if a.kind == AccountKind.WALLET_PENDING
    }
    for user_id in sorted(set(held) | set(pending), key=lambda pk: pk or 0):
        if (held.get(user_id) or 0) != (pending.get(user_id) or 0):
            problems.append(
                f"user {user_id}: pending earnings {pending.get(user_id) or 0} cents, "
                f"held earnings {held.get(user_id) or 0} cents"
            )
    return problems


def system_balance_cents(kind: AccountKind) -> int:
    """What the platform's own account of that kind holds; 0 before its first use."""
    return (
        Account.objects.filter(kind=kind, owner__isnull=True, ref="").values_list("balance_cents", flat=True).first()
    ) or 0


def _refunds_in_flight(accounts: list[Account]) -> list[str]:
    """Money in "refunds in flight" must be exactly that of the refund parts awaiting the provider."""
    pending = RefundPart.objects.filter(state=RefundState.PENDING).aggregate(total=Sum("amount_cents"))["total"] or 0
    booked = sum(
        a.balance_cents
        for a in accounts
        if a.kind == AccountKind.REFUNDS_IN_FLIGHT and a.owner_id is None and a.ref == ""
    )
    if pending != booked:
        return [f"refunds in flight: the ledger holds {booked} cents, pending refunds add up to {pending} cents"]
    return []
