"""What the order services share: the one status writer, the locks, the
escrow's money movements, and the platform's commission (AM05-AM09, AM12, AM16)."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.core.errors import Conflict, Forbidden
from microwork.core.states import state_move
from microwork.ledger.clearing import earnings_hold
from microwork.ledger.models import AccountKind
from microwork.ledger.services import escrow_of, give_back, system_account
from microwork.notifications.services import Text, notify

from ..models import ORDER_MOVES, MessageKind, Order, OrderMessage, OrderTransition

COMMISSION_LISTED_BP = 1000  # AM12: 10% on listed offers
COMMISSION_CUSTOM_BP = 2000  # AM12: 20% on custom orders
VAT_RATE_BP = 2000  # French standard rate, on the commission


class OrderClosed(Conflict):
    code = "order_closed"


class CancellationNeedsAgreement(Conflict):
    code = "cancellation_needs_agreement"


def order_move(order: Order, to: str, *, only_from: tuple[str, ...] = (), **how: Any) -> None:
    """`state_move` on the order table; `how` is passed on (by, reason, update_fields, message).

    `only_from` narrows the table to the rows an action starts from (Start
    moves an order in progress only from `active`, a revision only from
    `delivered`): the moves themselves are always the table's."""
    allowed = {source: ORDER_MOVES[source] for source in only_from} if only_from else ORDER_MOVES
    state_move(order, to, allowed=allowed, history=OrderTransition, order=order, **how)


def order_locked(order: Order) -> Order:
    """The order's row, locked, with fresh values (inside the caller's transaction)."""
    return Order.objects.select_for_update().select_related("buyer", "expert").get(pk=order.pk)


def require_party(order: Order, user: User, party: str | None = None) -> str:
    """The user's side of the order ("buyer" or "expert"); a 403 for anyone
    else, or for the other side when `party` names the one who may act."""
    side = order.party(user.pk)
    if side is None or (party is not None and side != party):
        who = {"buyer": _("the buyer"), "expert": _("the expert")}.get(party or "", _("the two parties"))
        raise Forbidden(_("Only %(who)s may do this.") % {"who": who})
    return side


def commission_split(amount_cents: int, commission_bp: int) -> tuple[int, int, int]:
    """(expert, revenue, VAT) of an amount the buyer paid, VAT included.

    The commission is `commission_bp` of the amount, VAT included: the
    expert receives the amount less the commission (AM12), and the
    commission is booked as the platform's revenue and the VAT on it."""
    commission = (amount_cents * commission_bp + 5_000) // 10_000
    revenue = (commission * 10_000 + (10_000 + VAT_RATE_BP) // 2) // (10_000 + VAT_RATE_BP)
    return amount_cents - commission, revenue, commission - revenue


def refund_buyer(order: Order, amount_cents: int, *, key: str, by: User | None) -> None:
    """Escrowed money back to the buyer, to the funds it came from first (PL01)."""
    if amount_cents <= 0:
        return
    give_back(
        kind="order_refund",
        idempotency_key=key,
        payer=order.buyer,
        source=escrow_of(order.escrow_ref),
        amount_cents=amount_cents,
        memo=order.title[:200],
        ref=order.escrow_ref,
        by=by,
    )


def pay_expert(order: Order, amount_cents: int, *, key: str, by: User | None) -> int:
    """`amount_cents` of the escrow to the expert, less the commission; the
    fee waits in pending earnings for the clearing days (AM12, AM16).
    Returns what the expert receives."""
    if amount_cents <= 0:
        return 0
    expert_cents, revenue, vat = commission_split(amount_cents, order.commission_bp)
    earnings_hold(
        kind="order_pay",
        idempotency_key=key,
        earner=order.expert,
        amount_cents=expert_cents,
        source=escrow_of(order.escrow_ref),
        others=[(system_account(AccountKind.REVENUE), revenue), (system_account(AccountKind.VAT), vat)],
        release_at=timezone.now() + timedelta(days=settings.EARNINGS_CLEARING_DAYS),
        memo=order.title[:200],
        ref=order.escrow_ref,
        by=by,
    )
    return expert_cents


def post_event(order: Order, body: str, *, author: User | None, kind: str = MessageKind.EVENT) -> OrderMessage:
    """A line in the order's conversation that records what happened."""
    return OrderMessage.objects.create(order=order, author=author, kind=kind, body=body)


def tell_other_party(order: Order, actor: User | None, *, kind: str, title: Text, email: bool = False) -> None:
    """A notice to whichever party did not act (both when the platform acted)."""
    url = f"/commandes/{order.pk}/"
    for user in (order.buyer, order.expert):
        if actor is None or user.pk != actor.pk:
            notify(user=user, kind=kind, title=title, url=url, email=email)
