"""Cancelling an order (AM07): before Start the buyer cancels or the expert
declines, with a full refund; after Start a cancellation needs the other
party's agreement, else either may dispute. Every cancellation that takes
effect shows on the cancelling party's profile as an evaluation whose
comment the other party may edit."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.core.errors import Forbidden, InvalidInput
from microwork.core.states import WrongState, state_move, state_start

from ..models import (
    CANCELLATION_EFFECTIVE_STATES,
    CANCELLATION_MOVES,
    ORDER_UNDER_WAY_STATES,
    Cancellation,
    CancellationState,
    CancellationTransition,
    Order,
    OrderState,
)
from ..selectors import order_open_cancellation, order_under_way
from .common import (
    CancellationNeedsAgreement,
    order_locked,
    order_move,
    post_event,
    refund_buyer,
    require_party,
    tell_other_party,
)


def _cancellation_move(cancellation: Cancellation, to: str, **how: Any) -> None:
    state_move(
        cancellation,
        to,
        allowed=CANCELLATION_MOVES,
        history=CancellationTransition,
        cancellation=cancellation,
        **how,
    )


def _clean_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < 5:
        raise InvalidInput(_("Give a reason (5 characters at least)."), field="reason")
    return reason[:1000]


def _cancel_locked(order: Order, *, by: User, only_from: tuple[str, ...], reason: str) -> None:
    """Cancel the locked order, refund the buyer in full, record the move."""
    order_move(
        order,
        OrderState.CANCELLED,
        only_from=only_from,
        by=by,
        reason=reason,
        message=_("This order can no longer be cancelled."),
    )
    refund_buyer(order, order.total_cents, key=f"order-cancel-refund:{order.pk}", by=by)
    post_event(order, _("Order cancelled: %(reason)s") % {"reason": reason}, author=by)
    tell_other_party(
        order,
        by,
        kind="order_cancelled",
        title=lambda: _("Order cancelled: %(title)s") % {"title": order.title},
        email=True,
    )


def _record_done(order: Order, *, by: User, reason: str) -> Cancellation:
    cancellation = Cancellation.objects.create(order=order, by=by, reason=reason, state=CancellationState.DONE)
    state_start(
        cancellation, allowed=CANCELLATION_MOVES, history=CancellationTransition, by=by, cancellation=cancellation
    )
    return cancellation


def order_decline(*, order: Order, by: User, reason: str = "") -> Order:
    """The expert declines an order not yet started: the buyer is refunded in full (AM07)."""
    require_party(order, by, "expert")
    reason = reason.strip()[:1000] or _("Declined by the expert.")
    with transaction.atomic():
        order = order_locked(order)
        _cancel_locked(order, by=by, only_from=(OrderState.ACTIVE,), reason=reason)
        _record_done(order, by=by, reason=reason)
    return order


def order_cancel(*, order: Order, by: User, reason: str = "") -> Order:
    """The buyer cancels: at once before Start; after Start only when the
    expert asked to cancel (or agreed), else `cancellation_needs_agreement`."""
    require_party(order, by, "buyer")
    reason = reason.strip()[:1000] or _("Cancelled by the buyer.")
    with transaction.atomic():
        order = order_locked(order)
        if order_under_way(order):
            asked = (
                Cancellation.objects.select_for_update()
                .filter(order=order, state=CancellationState.REQUESTED, by=order.expert)
                .first()
            )
            if asked is None:
                raise CancellationNeedsAgreement(
                    _("The order has started: ask the expert to agree to cancel it, or open a dispute.")
                )
            _cancellation_move(asked, CancellationState.ACCEPTED, by=by)
            _cancel_locked(order, by=by, only_from=ORDER_UNDER_WAY_STATES, reason=asked.reason)
            return order
        _cancel_locked(order, by=by, only_from=(OrderState.ACTIVE,), reason=reason)
        _record_done(order, by=by, reason=reason)
    return order


def cancellation_request(*, order: Order, by: User, reason: str) -> Cancellation:
    """After Start, one party asks to cancel; the other accepts or refuses (AM07)."""
    require_party(order, by)
    reason = _clean_reason(reason)
    with transaction.atomic():
        order = order_locked(order)
        if not order_under_way(order):
            raise WrongState(_("Only an order under way needs the other party's agreement to cancel."))
        if Cancellation.objects.filter(order=order, state=CancellationState.REQUESTED).exists():
            raise WrongState(_("A cancellation is already waiting for an answer."))
        cancellation = Cancellation.objects.create(order=order, by=by, reason=reason, state=CancellationState.REQUESTED)
        state_start(
            cancellation, allowed=CANCELLATION_MOVES, history=CancellationTransition, by=by, cancellation=cancellation
        )
        post_event(order, _("Cancellation asked: %(reason)s") % {"reason": reason}, author=by)
        tell_other_party(
            order,
            by,
            kind="order_cancellation_asked",
            title=lambda: _("Cancellation asked: %(title)s") % {"title": order.title},
            email=True,
        )
    return cancellation


def cancellation_answer(*, cancellation: Cancellation, by: User, accept: bool) -> Cancellation:
    """The other party accepts (the order is cancelled, the buyer refunded in full) or refuses."""
    order = cancellation.order
    require_party(order, by)
    if cancellation.by_id == by.pk:
        raise Forbidden(_("The other party answers this request."))
    with transaction.atomic():
        order = order_locked(order)
        cancellation = Cancellation.objects.select_for_update().get(pk=cancellation.pk)
        if not accept:
            _cancellation_move(
                cancellation, CancellationState.REFUSED, by=by, message=_("This request was already answered.")
            )
            post_event(order, _("Cancellation refused."), author=by)
            tell_other_party(
                order,
                by,
                kind="order_cancellation_refused",
                title=lambda: _("Cancellation refused: %(title)s") % {"title": order.title},
            )
            return cancellation
        _cancellation_move(
            cancellation, CancellationState.ACCEPTED, by=by, message=_("This request was already answered.")
        )
        _cancel_locked(order, by=by, only_from=ORDER_UNDER_WAY_STATES, reason=cancellation.reason)
    return cancellation


def order_cancellation_answer(*, order: Order, by: User, accept: bool) -> Cancellation:
    """Answer the cancellation waiting on `order` (the order page's buttons).

    Not a move of the table: with no request waiting there is no
    cancellation whose state could be asked, hence this refusal of its own."""
    cancellation = order_open_cancellation(order)
    if cancellation is None:
        raise WrongState(_("No cancellation is waiting for an answer."))
    return cancellation_answer(cancellation=cancellation, by=by, accept=accept)


def cancellation_evaluate(*, cancellation: Cancellation, by: User, comment: str) -> Cancellation:
    """The other party edits the evaluation a cancellation leaves on the cancelling party's profile (AM07)."""
    require_party(cancellation.order, by)
    if cancellation.by_id == by.pk:
        raise Forbidden(_("The other party edits this evaluation."))
    if cancellation.state not in CANCELLATION_EFFECTIVE_STATES:
        raise WrongState(_("Only a cancellation that took effect is evaluated."))
    cancellation.evaluation = comment.strip()[:1000]
    cancellation.evaluation_edited_at = timezone.now()
    cancellation.save(update_fields=["evaluation", "evaluation_edited_at"])
    return cancellation
