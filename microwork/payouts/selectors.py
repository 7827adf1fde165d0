from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from microwork.accounts.models import User
from microwork.core.errors import NotFound
from microwork.core.ids import object_id
from microwork.core.pagination import keyset_rows
from microwork.core.states import state_allows
from microwork.ledger import selectors as ledger_selectors
from microwork.ledger.models import AccountKind, Posting
from microwork.missions import selectors as mission_selectors

from .models import PAYOUT_MOVES, Method, Payout, PayoutAccount, PayoutBatch, PayoutState, VoucherCode, VoucherState
from .services import TASKER_STEP_CENTS


def payout_account_for(user: User, account_id: object) -> PayoutAccount:
    try:
        return PayoutAccount.objects.get(pk=object_id(account_id), user=user)
    except PayoutAccount.DoesNotExist:
        raise NotFound() from None


def payouts_of(user: User) -> QuerySet[Payout]:
    return Payout.objects.filter(user=user).select_related("account")


def payout_for(user: User, payout_id: object, *, as_staff: bool = False) -> Payout:
    """The user's own payout; with `as_staff`, any payout for a staff member
    (the staff pages and endpoints). Anything else is not found."""
    payouts = Payout.objects.select_related("account", "user")
    if not (as_staff and user.is_staff_member):
        payouts = payouts.filter(user=user)
    try:
        return payouts.get(pk=object_id(payout_id))
    except Payout.DoesNotExist:
        raise NotFound() from None


def batch_for(user: User, batch_id: object) -> PayoutBatch:
    if not user.is_staff_member:
        raise NotFound()
    try:
        return PayoutBatch.objects.get(pk=object_id(batch_id))
    except PayoutBatch.DoesNotExist:
        raise NotFound() from None


# --- Reads for the pages ----------------------------------------------------

HISTORY_PAGE = 20
BATCHES_PAGE = 20
CHART_WEEKS = 12
EARNING_KINDS = ("claim_approve", "claim_settle")
IN_FLIGHT = (PayoutState.REQUESTED, PayoutState.PROCESSING)


def payout_accounts_of(user: User) -> QuerySet[PayoutAccount]:
    return PayoutAccount.objects.filter(user=user).order_by("-is_default", "pk")


def withdrawable_cents(earnings_cents: int) -> int:
    """The most a tasker's payout may ask for out of these earnings: whole steps only.
    Only earnings are ever paid out (SPEC PL01)."""
    step = TASKER_STEP_CENTS
    return max(earnings_cents, 0) // step * step


def in_flight_cents(user: User) -> int:
    """Money asked for and not yet paid out: left the wallet, not yet the platform."""
    total = Payout.objects.filter(user=user, state__in=IN_FLIGHT).aggregate(total=Sum("amount_cents"))["total"]
    return int(total or 0)


@dataclass
class HistoryLine:
    posting: Posting
    mission_title: str = ""
    payout: Payout | None = None


@dataclass
class HistoryPage:
    lines: list[HistoryLine]
    #: The last posting shown, to continue below; None on the last page.
    next_cursor: int | None


def wallet_history(user: User, *, before: int | None = None, limit: int = HISTORY_PAGE) -> HistoryPage:
    """One page of the wallet's postings, newest first (core's keyset, as the
    API's /me/ledger), each with its mission or payout: a query for the
    postings, then at most one per kind of reference."""
    page, next_cursor = keyset_rows(ledger_selectors.wallet_postings(user), before=before, limit=limit)
    claim_ids: set[int] = set()
    mission_ids: set[int] = set()
    payout_ids: set[int] = set()
    for posting in page:
        kind, _sep, ref_id = posting.entry.ref.partition(":")
        if ref_id.isdigit():
            {"claim": claim_ids, "mission": mission_ids, "payout": payout_ids}.get(kind, set()).add(int(ref_id))
    claim_titles = mission_selectors.claim_titles(claim_ids)
    mission_titles = mission_selectors.mission_titles(mission_ids)
    payouts = Payout.objects.filter(pk__in=payout_ids, user=user).in_bulk() if payout_ids else {}
    lines = []
    for posting in page:
        kind, _sep, ref_id = posting.entry.ref.partition(":")
        number = int(ref_id) if ref_id.isdigit() else 0
        title = {"claim": claim_titles, "mission": mission_titles}.get(kind, {}).get(number, "")
        lines.append(
            HistoryLine(posting=posting, mission_title=title, payout=payouts.get(number) if kind == "payout" else None)
        )
    return HistoryPage(lines=lines, next_cursor=next_cursor)


@dataclass
class WeekBar:
    monday: date
    cents: int


def weekly_earnings(user: User, *, weeks: int = CHART_WEEKS, today: date | None = None) -> list[WeekBar]:
    """What the user earned per ISO week (rewards and settlements), the last
    `weeks` weeks or the weeks since signup if fewer, oldest first: one query,
    summed here in the user's time zone."""
    today = today or timezone.localdate()
    this_monday = today - timedelta(days=today.weekday())
    joined = timezone.localtime(user.date_joined).date()
    joined_monday = joined - timedelta(days=joined.weekday())
    first_monday = min(max(this_monday - timedelta(weeks=weeks - 1), joined_monday), this_monday)
    since = timezone.make_aware(datetime.combine(first_monday, time.min))
    credits = ledger_selectors.wallet_postings(user).filter(
        entry__kind__in=EARNING_KINDS, amount_cents__gt=0, entry__created_at__gte=since
    )
    count = (this_monday - first_monday).days // 7 + 1
    totals: dict[date, int] = {first_monday + timedelta(weeks=n): 0 for n in range(count)}
    for created_at, cents in credits.values_list("entry__created_at", "amount_cents"):
        day = timezone.localtime(created_at).date()
        monday = day - timedelta(days=day.weekday())
        if monday in totals:
            totals[monday] += cents
    return [WeekBar(monday=monday, cents=cents) for monday, cents in sorted(totals.items())]


def payout_queue() -> list[dict[str, Any]]:
    """For staff: the requested payouts waiting, per method (count and total)."""
    waiting = {
        row["method"]: row
        for row in Payout.objects.filter(state=PayoutState.REQUESTED)
        .values("method")
        .annotate(count=Count("pk"), total_cents=Sum("amount_cents"))
        .order_by("method")
    }
    return [
        {
            "method": method,
            "label": label,
            "count": waiting.get(method, {}).get("count", 0),
            "total_cents": int(waiting.get(method, {}).get("total_cents") or 0),
        }
        for method, label in Method.choices
    ]


def payout_can_fail(payout: Payout) -> bool:
    """Staff may mark it failed, the money back in the wallet, until it is paid."""
    return state_allows(payout, PayoutState.FAILED, allowed=PAYOUT_MOVES)


def payouts_waiting(*, limit: int = 100) -> list[Payout]:
    return list(
        Payout.objects.filter(state=PayoutState.REQUESTED).select_related("user", "account").order_by("pk")[:limit]
    )


@dataclass
class BatchRow:
    batch: PayoutBatch
    lines: list[Payout] = field(default_factory=list)


@dataclass
class BatchesPage:
    rows: list[BatchRow]
    next_cursor: int | None = None


def batches_page(*, before: int | None = None, limit: int = BATCHES_PAGE) -> BatchesPage:
    """The batches, newest first, with their lines: two queries a page."""
    batches_qs = PayoutBatch.objects.select_related("created_by").defer("export")
    page, next_pk = keyset_rows(batches_qs, before=before, limit=limit)
    rows = {batch.pk: BatchRow(batch=batch) for batch in page}
    if rows:
        lines = Payout.objects.filter(batch_id__in=list(rows)).select_related("user", "account").order_by("pk")
        for payout in lines:
            rows[payout.batch_id].lines.append(payout)  # type: ignore[index]
    return BatchesPage(rows=list(rows.values()), next_cursor=next_pk)


# --- The gift-voucher stock ---------------------------------------------------

NOT_DELIVERED = (VoucherState.IN_STOCK, VoucherState.RESERVED)


def voucher_values_in_stock(*, today: date | None = None) -> list[int]:
    """The values, in cents, a gift-voucher payout can be asked for right now."""
    today = today or timezone.localdate()
    return list(
        VoucherCode.objects.filter(state=VoucherState.IN_STOCK, expires_on__gt=today)
        .values_list("value_cents", flat=True)
        .distinct()
        .order_by("value_cents")
    )


@dataclass
class StockLine:
    brand: str
    value_cents: int
    count: int = 0
    reserved: int = 0
    expired: int = 0
    first_expiry: date | None = None

    @property
    def total_cents(self) -> int:
        return self.count * self.value_cents


def voucher_stock(*, today: date | None = None) -> list[StockLine]:
    """For staff: codes not yet delivered, per brand and value. `count` are
    on the shelf, `expired` of them can no longer be handed out, `reserved`
    wait for their payout to be paid."""
    today = today or timezone.localdate()
    rows = (
        VoucherCode.objects.filter(state__in=NOT_DELIVERED)
        .values("brand", "value_cents")
        .annotate(
            count=Count("pk", filter=Q(state=VoucherState.IN_STOCK)),
            reserved=Count("pk", filter=Q(state=VoucherState.RESERVED)),
            expired=Count("pk", filter=Q(state=VoucherState.IN_STOCK, expires_on__lte=today)),
            first_expiry=Min("expires_on", filter=Q(state=VoucherState.IN_STOCK, expires_on__gt=today)),
        )
        .order_by("brand", "value_cents")
    )
    return [StockLine(**row) for row in rows]


def voucher_stock_differences() -> list[str]:
    """The ledger's voucher stock must be worth what the codes not yet delivered are worth."""
    held = VoucherCode.objects.filter(state__in=NOT_DELIVERED).aggregate(total=Sum("value_cents"))["total"] or 0
    booked = ledger_selectors.system_balance_cents(AccountKind.VOUCHER_STOCK)
    if held != booked:
        return [f"voucher stock: the ledger holds {booked} cents, the codes not yet delivered are worth {held} cents"]
    return []
