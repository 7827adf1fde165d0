"""Orders: the one access helper per object (orders, their messages, files
and cancellations), what may happen to an order now, disputes, and what
the order pages show (tabs, history, buttons)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from microwork.accounts.models import User
from microwork.core.errors import NotFound
from microwork.core.ids import parse_id
from microwork.core.states import state_allows
from microwork.ledger.selectors import escrow_refs

from ..models import (
    CANCELLATION_EFFECTIVE_STATES,
    ORDER_DISPUTE_STATES,
    ORDER_FINAL_STATES,
    ORDER_MOVES,
    ORDER_UNDER_WAY_STATES,
    Cancellation,
    CancellationState,
    Order,
    OrderFile,
    OrderMessage,
    OrderState,
)


def cancellations_of(user: User) -> QuerySet[Cancellation]:
    """The cancellations a user made that took effect: their profile's evaluations (AM07)."""
    return Cancellation.objects.filter(by=user, state__in=CANCELLATION_EFFECTIVE_STATES)


def order_cancellations_evaluable(order: Order, user: User) -> list[Cancellation]:
    """The cancellations of `order` that took effect and that `user`, the
    other party, may comment on (AM07); none for anyone else."""
    side = order.party(user.pk)
    return [
        c
        for c in order.cancellations.filter(state__in=CANCELLATION_EFFECTIVE_STATES)
        if side is not None and c.by_id != user.pk
    ]


def orders_visible_to(user: User) -> QuerySet[Order]:
    """The user's orders, bought or sold; staff see every order."""
    orders = Order.objects.select_related("buyer", "expert")
    if user.is_staff_member:
        return orders
    return orders.filter(Q(buyer=user) | Q(expert=user))


def order_for(user: User, order_id: object) -> Order:
    """The order if `user` is one of its parties (or staff); not found otherwise."""
    pk = parse_id(order_id)
    order = orders_visible_to(user).filter(pk=pk).first() if pk else None
    if order is None:
        raise NotFound()
    return order


def order_messages(order: Order) -> QuerySet[OrderMessage]:
    return order.messages.select_related("author").prefetch_related("files").order_by("pk")


def cancellation_for(user: User, cancellation_id: object) -> Cancellation:
    pk = parse_id(cancellation_id)
    cancellation = (
        Cancellation.objects.select_related("order")
        .filter(pk=pk)
        .filter(Q(order__buyer=user) | Q(order__expert=user))
        .first()
        if pk
        else None
    )
    if cancellation is None:
        raise NotFound()
    return cancellation


def order_open_cancellation(order: Order) -> Cancellation | None:
    return order.cancellations.filter(state=CancellationState.REQUESTED).first()


def order_under_way(order: Order) -> bool:
    """Started and not over: a cancellation needs the other party's agreement (AM07)."""
    return order.state in ORDER_UNDER_WAY_STATES


def order_cancellation_waiting(order: Order) -> Cancellation | None:
    """The cancellation request waiting for an answer on an order under way."""
    return order_open_cancellation(order) if order_under_way(order) else None


def order_first_delivery_late(order: Order, now: datetime | None = None) -> bool:
    """The first delivery is due by `due_at`; after a first delivery, revisions have no deadline (AM08)."""
    now = now or timezone.now()
    return (
        order.state == OrderState.IN_PROGRESS
        and order.first_delivered_at is None
        and order.due_at is not None
        and order.due_at < now
    )


def order_can(order: Order, to: str) -> bool:
    """Whether the order's table allows a move to `to` from where it stands now."""
    return state_allows(order, to, allowed=ORDER_MOVES)


def order_has_dispute(order: Order) -> bool:
    """Whether the order went to a dispute (disputed, or decided): staff's dispute page shows it."""
    return order.state in ORDER_DISPUTE_STATES


def order_ids_with_dispute(orders: Iterable[Order]) -> set[int]:
    return {order.pk for order in orders if order_has_dispute(order)}


def order_in_dispute_for(user: User, order_id: object) -> Order:
    """An order that went to a dispute, for staff's dispute pages; not found otherwise."""
    order = order_for(user, order_id)
    if not order_has_dispute(order):
        raise NotFound()
    return order


def order_is_over(order: Order) -> bool:
    return order.state in ORDER_FINAL_STATES


def orders_disputed() -> QuerySet[Order]:
    """Staff's queue of disputes, oldest first."""
    return Order.objects.filter(state=OrderState.DISPUTED).select_related("buyer", "expert").order_by("pk")


def messages_flagged() -> QuerySet[OrderMessage]:
    """Messages that seem to carry contact details, newest first, for staff."""
    return OrderMessage.objects.filter(contact_flagged=True).select_related("order", "author").order_by("-pk")


def closed_order_escrow_refs() -> QuerySet[Any]:
    """Escrows that must be empty: those of orders that are over (for `ledger_audit`)."""
    return escrow_refs(Order.objects.filter(state__in=ORDER_FINAL_STATES), "order")


def order_ip_statement(order: Order) -> str:
    """Who owns the deliverable (AM14): the buyer, once the order is
    completed, unless the offer said otherwise."""
    from django.utils.translation import gettext as _

    default = _("Once the order is completed, the buyer owns the intellectual property of the deliverable.")
    if order.ip_note:
        return _("The expert's terms on intellectual property: %(note)s") % {"note": order.ip_note}
    return default


#: The tabs of "my orders": a tab's name and the states it shows.
ORDER_TABS: dict[str, tuple[str, ...]] = {
    "all": (),
    "active": (OrderState.ACTIVE,),
    "in_progress": (OrderState.IN_PROGRESS,),
    "delivered": (OrderState.DELIVERED,),
    "completed": (OrderState.COMPLETED,),
    "disputed": (OrderState.DISPUTED,),
    "resolved": (OrderState.RESOLVED,),
    "cancelled": (OrderState.CANCELLED,),
}


def orders_of(user: User, *, side: str, tab: str = "all") -> QuerySet[Order]:
    """The orders the user bought (`side` "buyer") or sold ("expert"), in a tab of `ORDER_TABS`."""
    orders = Order.objects.select_related("buyer", "expert")
    orders = orders.filter(expert=user) if side == "expert" else orders.filter(buyer=user)
    states = ORDER_TABS.get(tab, ())
    return orders.filter(state__in=states) if states else orders


def order_history(order: Order) -> QuerySet[Any]:
    """Who moved the order, from what to what, and when (AM06), oldest first."""
    return order.transitions.select_related("by").order_by("pk")


def order_file_for(user: User, order_id: object, file_id: object) -> OrderFile:
    """A file of an order the user may see (the API's rule: `order_for`); not found otherwise."""
    order = order_for(user, order_id)
    stored = OrderFile.objects.filter(pk=parse_id(file_id) or 0, message__order=order).first()
    if stored is None:
        raise NotFound()
    return stored


def order_file_shown(stored: OrderFile, user: User) -> FieldFile:
    """What `user` gets of a file: staff the image as sent, everyone else the
    copy without its metadata."""
    return stored.original if user.is_staff_member and stored.original else stored.file


def messages_after(order: Order, after_id: int = 0) -> QuerySet[OrderMessage]:
    return order_messages(order).filter(pk__gt=after_id)


@dataclass(frozen=True)
class OrderActions:
    """What the user may do on an order now, for the order page's buttons (AM05-AM10)."""

    side: str | None
    start: bool = False
    decline: bool = False
    cancel: bool = False
    ask_cancellation: bool = False
    answer_cancellation: bool = False
    deliver: bool = False
    revise: bool = False
    accept: bool = False
    dispute: bool = False
    write: bool = False
    late: bool = False


def order_actions(order: Order, user: User, now: datetime | None = None) -> OrderActions:
    """The buttons the order page shows: the services still decide."""
    side = order.party(user.pk)
    if side is None:
        return OrderActions(side=None)
    state = order.state
    open_cancellation = order_open_cancellation(order)
    under_way = order_under_way(order)
    theirs = open_cancellation is not None and open_cancellation.by_id != user.pk
    return OrderActions(
        side=side,
        start=side == "expert" and state == OrderState.ACTIVE,
        decline=side == "expert" and state == OrderState.ACTIVE,
        cancel=side == "buyer" and state == OrderState.ACTIVE,
        ask_cancellation=under_way and open_cancellation is None,
        answer_cancellation=under_way and theirs,
        deliver=side == "expert" and state == OrderState.IN_PROGRESS,
        revise=side == "buyer" and state == OrderState.DELIVERED,
        accept=side == "buyer" and state == OrderState.DELIVERED,
        dispute=under_way,
        write=state not in ORDER_FINAL_STATES and state != OrderState.DISPUTED,
        late=order_first_delivery_late(order, now),
    )


def orders_payer(order_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """(buyer id, order title) of each order: who an order's charges are invoiced to (PL02)."""
    ids = set(order_ids)
    if not ids:
        return {}
    return {
        pk: (buyer, title)
        for pk, buyer, title in Order.objects.filter(pk__in=ids).values_list("pk", "buyer_id", "title")
    }
