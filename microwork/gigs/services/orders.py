"""An order's life (AM05-AM09, AM12, AM14, AM16): placed and paid into
escrow, started, delivered, revised, accepted and paid out, cancelled,
disputed and resolved.

Locks: the order's row first, then the ledger's accounts (taken by the
ledger in primary-key order). Every status change goes through `order_move`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.accounts.roles import require_role
from microwork.accounts.selectors import expert_is_verified
from microwork.accounts.services import ExpertNotVerified
from microwork.core.errors import Forbidden, InvalidInput
from microwork.core.money import format_eur
from microwork.core.states import WrongState, state_start
from microwork.ledger.clearing import earnings_release_due
from microwork.ledger.services import escrow_of, spend
from microwork.moderation.selectors import ensure_not_suspended
from microwork.notifications.services import notify

from ..models import (
    ORDER_MOVES,
    MessageKind,
    Offer,
    OfferState,
    Order,
    OrderState,
    OrderTransition,
)
from ..selectors import order_first_delivery_late
from .common import (
    COMMISSION_LISTED_BP,
    commission_split,
    order_locked,
    order_move,
    pay_expert,
    post_event,
    refund_buyer,
    require_party,
    tell_other_party,
)
from .messages import attach, files_discard, files_store

RATING_MIN, RATING_MAX = 1, 5


def _require_buyer(user: User, expert: User) -> None:
    """Every signed-in user but staff buys, never from oneself."""
    if user.is_staff_member:
        raise Forbidden(_("Staff accounts do not buy."))
    if user.pk == expert.pk:
        raise Forbidden(_("You cannot order your own offer."))


def order_open(
    *,
    buyer: User,
    expert: User,
    title: str,
    price_cents: int,
    delivery_days: int,
    commission_bp: int,
    extras: Sequence[dict[str, object]] = (),
    requirements: str = "",
    ip_note: str = "",
    offer: Offer | None = None,
    kind: str = "service",
    opening_message: str = "",
) -> Order:
    """Create an order and pay its total from the buyer's balance into its
    escrow, in one transaction: without the money, no order (AM05, AM17)."""
    _require_buyer(buyer, expert)
    ensure_not_suspended(buyer, other=expert)
    # Fees that cleared by the clock are spendable before `tick` moves them (AM16).
    earnings_release_due(user=buyer)
    total = price_cents + sum(int(e["price_cents"]) for e in extras)  # type: ignore[call-overload]
    days = delivery_days + sum(int(e.get("extra_days") or 0) for e in extras)  # type: ignore[call-overload]
    with transaction.atomic():
        order = Order.objects.create(
            offer=offer,
            buyer=buyer,
            expert=expert,
            title=title,
            kind=kind,
            price_cents=price_cents,
            extras=list(extras),
            total_cents=total,
            delivery_days=days,
            commission_bp=commission_bp,
            requirements=requirements,
            ip_note=ip_note,
            state=OrderState.ACTIVE,
        )
        state_start(order, allowed=ORDER_MOVES, history=OrderTransition, by=buyer, order=order)
        spend(
            kind="order_escrow",
            idempotency_key=f"order-escrow:{order.pk}",
            payer=buyer,
            to=[(escrow_of(order.escrow_ref), total)],
            memo=title[:200],
            ref=order.escrow_ref,
            by=buyer,
        )
        if opening_message:
            post_event(order, opening_message, author=expert, kind=MessageKind.OPENING)
        if requirements:
            post_event(order, requirements, author=buyer, kind=MessageKind.MESSAGE)
        notify(
            user=expert,
            kind="order_placed",
            title=lambda: _("New order: %(title)s (%(amount)s)") % {"title": title, "amount": format_eur(total)},
            url=f"/commandes/{order.pk}/",
            email=True,
        )
    return order


def order_place(*, offer: Offer, buyer: User, extras: Sequence[int] = (), requirements: str = "") -> Order:
    """Order a live offer with the chosen extras (by their index) (AM05)."""
    if offer.state != OfferState.LIVE:
        raise WrongState(_("This offer is no longer available."))
    if not expert_is_verified(offer.expert):
        raise ExpertNotVerified(_("This expert cannot take new orders for now."))
    offered = list(offer.extras.order_by("position"))
    chosen = list(dict.fromkeys(extras))
    if any(not 0 <= index < len(offered) for index in chosen):
        raise InvalidInput(_("Choose extras among the offer's."), field="extras")
    if len(requirements) > 10_000:
        raise InvalidInput(_("Requirements are at most 10,000 characters."), field="requirements")
    return order_open(
        buyer=buyer,
        expert=offer.expert,
        title=offer.title,
        price_cents=offer.price_cents,
        delivery_days=offer.delivery_days,
        commission_bp=COMMISSION_LISTED_BP,
        extras=[
            {"name": e.name, "price_cents": e.price_cents, "extra_days": e.extra_days}
            for e in (offered[i] for i in sorted(chosen))
        ],
        requirements=requirements.strip(),
        ip_note=offer.ip_note,
        offer=offer,
        kind=offer.kind,
        opening_message=offer.opening_message,
    )


def order_start(*, order: Order, by: User) -> Order:
    """The expert clicks Start: the countdown to the first delivery begins (AM05, AM08)."""
    require_party(order, by, "expert")
    with transaction.atomic():
        order = order_locked(order)
        now = timezone.now()
        order.started_at = now
        order.due_at = now + timedelta(days=order.delivery_days)
        order_move(
            order,
            OrderState.IN_PROGRESS,
            only_from=(OrderState.ACTIVE,),
            by=by,
            update_fields=("started_at", "due_at"),
            message=_("Only an order not yet started can be started."),
        )
        post_event(order, _("The expert started the order."), author=by)
        tell_other_party(
            order,
            by,
            kind="order_started",
            title=lambda: _("Your order has started: %(title)s") % {"title": order.title},
        )
    return order


def order_deliver(*, order: Order, by: User, message: str, files: Sequence[UploadedFile] = ()) -> Order:
    """The expert delivers, with a message and files (AM05); the first
    delivery stops the deadline (AM08)."""
    require_party(order, by, "expert")
    message = message.strip()
    if not message:
        raise InvalidInput(_("Say what you deliver."), field="message")
    stored = files_store(files)
    try:
        with transaction.atomic():
            order = order_locked(order)
            if order.first_delivered_at is None:
                order.first_delivered_at = timezone.now()
            order_move(
                order,
                OrderState.DELIVERED,
                by=by,
                update_fields=("first_delivered_at",),
                message=_("Only an order in progress can be delivered."),
            )
            attach(post_event(order, message, author=by, kind=MessageKind.DELIVERY), stored)
            tell_other_party(
                order,
                by,
                kind="order_delivered",
                title=lambda: _("Delivered: %(title)s") % {"title": order.title},
                email=True,
            )
    except BaseException:
        files_discard(stored)
        raise
    return order


def order_revise(*, order: Order, by: User, instructions: str) -> Order:
    """The buyer asks for changes with precise instructions (AM05); the
    deadline no longer binds once a first delivery exists (AM08)."""
    require_party(order, by, "buyer")
    instructions = instructions.strip()
    if len(instructions) < 10:
        raise InvalidInput(_("Say precisely what to change (10 characters at least)."), field="instructions")
    with transaction.atomic():
        order = order_locked(order)
        order_move(
            order,
            OrderState.IN_PROGRESS,
            only_from=(OrderState.DELIVERED,),
            by=by,
            reason=instructions,
            message=_("Only a delivered order can be revised."),
        )
        post_event(order, instructions, author=by, kind=MessageKind.REVISION)
        tell_other_party(
            order, by, kind="order_revision", title=lambda: _("Revision asked: %(title)s") % {"title": order.title}
        )
    return order


def order_accept(*, order: Order, by: User, rating: int, review: str = "") -> Order:
    """The buyer accepts, rates and reviews; the expert is paid the total
    less the commission, pending for the clearing days (AM05, AM12, AM16)."""
    require_party(order, by, "buyer")
    if not isinstance(rating, int) or not RATING_MIN <= rating <= RATING_MAX:
        raise InvalidInput(_("Rate from 1 to 5."), field="rating")
    with transaction.atomic():
        order = order_locked(order)
        order.rating, order.review, order.completed_at = rating, review.strip()[:5000], timezone.now()
        order_move(
            order,
            OrderState.COMPLETED,
            by=by,
            update_fields=("rating", "review", "completed_at"),
            message=_("Only a delivered order can be accepted."),
        )
        paid = pay_expert(order, order.total_cents, key=f"order-complete:{order.pk}", by=by)
        tell_other_party(
            order,
            by,
            kind="order_completed",
            title=lambda: (
                _("Order accepted: %(amount)s credited, withdrawable after clearing") % {"amount": format_eur(paid)}
            ),
            email=True,
        )
    return order


def order_dispute(*, order: Order, by: User, reason: str) -> Order:
    """Either party disputes ("Contestation"): the order freezes until staff
    decide (AM09). A buyer whose first delivery is late is refunded in full
    at once (AM08)."""
    require_party(order, by)
    reason = reason.strip()
    if len(reason) < 10:
        raise InvalidInput(_("Explain the dispute (10 characters at least)."), field="reason")
    with transaction.atomic():
        order = order_locked(order)
        late = order.buyer_id == by.pk and order_first_delivery_late(order)
        order_move(
            order, OrderState.DISPUTED, by=by, reason=reason, message=_("Only an order under way can be disputed.")
        )
        post_event(order, reason, author=by)
        if late:
            _resolve_locked(
                order, buyer_refund_cents=order.total_cents, by=None, reason=_("First delivery late (AM08).")
            )
        else:
            tell_other_party(
                order,
                by,
                kind="order_disputed",
                title=lambda: _("Dispute opened: %(title)s") % {"title": order.title},
                email=True,
            )
            for staff in User.objects.filter(is_active=True, role="staff"):
                notify(
                    user=staff,
                    kind="order_disputed",
                    title=lambda: _("Dispute to decide: %(title)s") % {"title": order.title},
                    url=f"/moderation/litiges-commandes/{order.pk}/",
                )
    return order


def _resolve_locked(order: Order, *, buyer_refund_cents: int, by: User | None, reason: str = "") -> None:
    order.buyer_refund_cents = buyer_refund_cents
    order_move(
        order,
        OrderState.RESOLVED,
        by=by,
        reason=reason,
        update_fields=("buyer_refund_cents",),
        message=_("Only a disputed order can be resolved."),
    )
    refund_buyer(order, buyer_refund_cents, key=f"order-resolve-refund:{order.pk}", by=by)
    pay_expert(order, order.total_cents - buyer_refund_cents, key=f"order-resolve-pay:{order.pk}", by=by)
    post_event(
        order,
        _("Dispute decided: %(refund)s refunded to the buyer, the rest paid to the expert.")
        % {"refund": format_eur(buyer_refund_cents)},
        author=by,
    )
    tell_other_party(
        order,
        None,
        kind="order_resolved",
        title=lambda: _("Dispute decided: %(title)s") % {"title": order.title},
        email=True,
    )


@dataclass(frozen=True)
class ResolveSplit:
    """What a dispute's decision gives each party (AM09, AM12): the buyer's
    refund, the expert's pay less the commission, the platform's commission
    and the VAT it includes."""

    refund: int
    expert: int
    platform: int
    vat: int


def refund_in_range(order: Order, buyer_refund_cents: object) -> bool:
    """A decision refunds the buyer between nothing and the whole total (AM09)."""
    return isinstance(buyer_refund_cents, int) and 0 <= buyer_refund_cents <= order.total_cents


def resolve_split(order: Order, buyer_refund_cents: int) -> ResolveSplit:
    """Who gets what when staff refund `buyer_refund_cents`: what is not
    refunded goes to the expert less the commission (as `pay_expert` pays it)."""
    expert_cents, revenue, vat = commission_split(order.total_cents - buyer_refund_cents, order.commission_bp)
    return ResolveSplit(refund=buyer_refund_cents, expert=expert_cents, platform=revenue + vat, vat=vat)


def commission_percent(order: Order) -> Decimal:
    """The order's commission rate in percent (AM12: 10 or 20)."""
    return Decimal(order.commission_bp) / 100


def order_resolve(*, order: Order, by: User, buyer_refund_cents: int, reason: str = "") -> Order:
    """Staff decide a dispute: `buyer_refund_cents` back to the buyer, the
    rest less the commission to the expert (AM09)."""
    require_role(by, "staff", message=_("Only staff decide disputes."))
    with transaction.atomic():
        order = order_locked(order)
        if not refund_in_range(order, buyer_refund_cents):
            raise InvalidInput(
                _("Refund between 0 and %(total)s.") % {"total": format_eur(order.total_cents)},
                field="buyer_refund_cents",
            )
        _resolve_locked(order, buyer_refund_cents=buyer_refund_cents, by=by, reason=reason)
    return order


def orders_flag_late_due(now: datetime | None = None) -> int:
    """Tell both parties once that a first delivery is late (AM08); the
    buyer may then dispute and be refunded."""
    now = now or timezone.now()
    due = Order.objects.filter(
        state=OrderState.IN_PROGRESS, first_delivered_at__isnull=True, due_at__lt=now, late_notified_at__isnull=True
    ).values_list("pk", flat=True)
    flagged = 0
    for pk in list(due):
        with transaction.atomic():
            order = order_locked(Order(pk=pk))
            if order.late_notified_at is not None or not order_first_delivery_late(order, now):
                continue
            order.late_notified_at = now
            order.save(update_fields=["late_notified_at"])
            tell_other_party(
                order,
                None,
                kind="order_late",
                title=lambda: (
                    _("First delivery late: %(title)s. The buyer may dispute and be refunded.") % {"title": order.title}  # noqa: B023 (called at once)
                ),
                email=True,
            )
            flagged += 1
    return flagged
