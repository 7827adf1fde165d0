"""Every read on packaged services: the catalogue and its search (AM04),
the one access helper per object, an expert's record (AM07), and the
questions "may this happen now" that pages ask."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Avg, Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, When
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from microwork.accounts.models import User
from microwork.accounts.selectors import expert_profile_public, verified_experts
from microwork.core.errors import NotFound
from microwork.core.ids import parse_id
from microwork.core.states import state_allows
from microwork.ledger.selectors import escrow_refs

from .models import (
    CANCELLATION_EFFECTIVE_STATES,
    CUSTOM_REQUEST_MOVES,
    OFFER_MOVES,
    ORDER_DISPUTE_STATES,
    ORDER_FINAL_STATES,
    ORDER_MOVES,
    ORDER_UNDER_WAY_STATES,
    PROPOSAL_MOVES,
    Cancellation,
    CancellationState,
    CustomRequest,
    CustomRequestState,
    Invitation,
    Offer,
    OfferImage,
    OfferState,
    Order,
    OrderFile,
    OrderMessage,
    OrderState,
    Proposal,
    ProposalState,
)
from .search import plain, query_stems

#: A ranked search returns at most this many offers, best first.
SEARCH_LIMIT = 500


def offers_on_sale() -> QuerySet[Offer]:
    """Live offers of experts who may sell today (AM13, AM17): an expert
    whose document expired drops out of the catalogue until renewed."""
    return Offer.objects.filter(state=OfferState.LIVE, expert__in=verified_experts())


def _ranked_ids(q: str, within: QuerySet[Offer]) -> list[int]:
    """Ids of the offers of `within` matching every word of `q`, best first
    (see search.py). The filters apply before the ranking is cut at
    `SEARCH_LIMIT`, so that a filter never hides a match ranked lower."""
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(plain(q), config="french", search_type="plain")
        return list(
            within.filter(search_vector=query)
            # F(): a bare field name would be read as text and turned into a new,
            # unweighted vector, and every match would rank the same.
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-pk")
            .values_list("pk", flat=True)[:SEARCH_LIMIT]
        )
    # Stems are letters and digits only (search.words): quoted, no word is FTS5 syntax.
    terms = [f'"{stem}"' for stem in query_stems(q)]
    if not terms:
        return []
    # Only the offers of `within`: Django's own SQL, its values passed as parameters.
    allowed_sql, allowed_params = within.values("pk").query.sql_with_params()
    sql = (
        "SELECT rowid FROM gigs_offer_fts WHERE gigs_offer_fts MATCH %s AND rowid IN ("  # noqa: S608
        + allowed_sql
        # bm25 is smaller for better matches; the title weighs most, then keywords.
        + ") ORDER BY bm25(gigs_offer_fts, 10.0, 5.0, 1.0), rowid DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [" AND ".join(terms), *allowed_params, SEARCH_LIMIT])
        return [row[0] for row in cursor.fetchall()]


def offers_matching(
    *, q: str = "", category: str = "", kind: str = "", max_price_cents: int | None = None
) -> tuple[QuerySet[Offer], list[int] | None]:
    """The catalogue, filtered (AM04). With `q`, the offers that contain
    every word (stemmed, accents ignored), ranked: title first, then
    keywords, then description; the ranked ids come back too, for the
    caller to page through in that order. Without `q`, newest first."""
    offers = offers_on_sale()
    if category:
        offers = offers.filter(category=category)
    if kind:
        offers = offers.filter(kind=kind)
    if max_price_cents is not None:
        offers = offers.filter(price_cents__lte=max_price_cents)
    if not q.strip():
        return offers, None
    ids = _ranked_ids(q, offers)
    order = Case(*(When(pk=pk, then=position) for position, pk in enumerate(ids)), output_field=IntegerField())
    return offers.filter(pk__in=ids).order_by(order) if ids else offers.none(), ids


def offer_public(offer_id: object) -> Offer:
    """A live offer anyone may see; a withdrawn one is not found."""
    pk = parse_id(offer_id)
    offer = Offer.objects.select_related("expert").filter(pk=pk, state=OfferState.LIVE).first() if pk else None
    if offer is None:
        raise NotFound()
    return offer


def offer_image_for(user: User | None, offer_id: object, image_id: object) -> OfferImage:
    """A gallery image: of a live offer for anyone; of any other offer for its
    expert and staff only; not found otherwise."""
    pk, image_pk = parse_id(offer_id), parse_id(image_id)
    image = (
        OfferImage.objects.select_related("offer").filter(pk=image_pk, offer_id=pk).first() if pk and image_pk else None
    )
    if image is None:
        raise NotFound()
    own_or_staff = user is not None and (user.pk == image.offer.expert_id or user.is_staff_member)
    if image.offer.state != OfferState.LIVE and not own_or_staff:
        raise NotFound()
    return image


def offer_of_expert(user: User, offer_id: object) -> Offer:
    """The expert's own offer, whatever its state; anyone else's is not found."""
    pk = parse_id(offer_id)
    offer = Offer.objects.filter(pk=pk, expert=user).first() if pk else None
    if offer is None:
        raise NotFound()
    return offer


def offers_of_expert(user: User) -> QuerySet[Offer]:
    return Offer.objects.filter(expert=user)


def offer_can(offer: Offer, to: str) -> bool:
    """Whether the offer's table allows a move to `to` now."""
    return state_allows(offer, to, allowed=OFFER_MOVES)


def offers_changeable(offers: Iterable[Offer]) -> set[int]:
    """Ids of the offers the expert may still edit and withdraw: those the
    table lets go to `withdrawn` (what `offer_update` requires too)."""
    return {offer.pk for offer in offers if offer_can(offer, OfferState.WITHDRAWN)}


@dataclass(frozen=True)
class ExpertRecord:
    """What buyers see of an expert (AM07): ratings, completed orders and cancellations."""

    rating: float | None
    reviews: int
    completed: int
    cancellations: int


def expert_records(expert_ids: Iterable[int]) -> dict[int, ExpertRecord]:
    """Each expert's record in two queries, whatever their number."""
    ids = set(expert_ids)
    orders = (
        Order.objects.filter(expert_id__in=ids, state=OrderState.COMPLETED)
        .values("expert_id")
        .annotate(average=Avg("rating"), reviews=Count("rating"), completed=Count("pk"))
    )
    by_expert = {row["expert_id"]: row for row in orders}
    cancelled = dict(
        Cancellation.objects.filter(by_id__in=ids, state__in=CANCELLATION_EFFECTIVE_STATES)
        .values("by_id")
        .annotate(n=Count("pk"))
        .values_list("by_id", "n")
    )
    records = {}
    for pk in ids:
        row = by_expert.get(pk) or {}
        rating = row.get("average")
        records[pk] = ExpertRecord(
            rating=round(float(rating), 2) if rating is not None else None,
            reviews=row.get("reviews") or 0,
            completed=row.get("completed") or 0,
            cancellations=cancelled.get(pk, 0),
        )
    return records


def expert_reviews(expert: User, limit: int = 20) -> QuerySet[Order]:
    return Order.objects.filter(expert=expert, state=OrderState.COMPLETED, rating__isnull=False).order_by(
        "-completed_at"
    )[:limit]


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


def custom_requests_visible_to(user: User) -> QuerySet[CustomRequest]:
    """A buyer's own requests; the requests an expert was invited to; all, for staff."""
    requests = CustomRequest.objects.all()
    if user.is_staff_member:
        return requests
    invited = Exists(Invitation.objects.filter(custom_request=OuterRef("pk"), expert=user))
    return requests.filter(Q(buyer=user) | invited)


def custom_request_for(user: User, request_id: object) -> CustomRequest:
    pk = parse_id(request_id)
    found = custom_requests_visible_to(user).filter(pk=pk).first() if pk else None
    if found is None:
        raise NotFound()
    return found


def custom_request_orderable(found: CustomRequest) -> bool:
    """Whether a proposal may still become the request's order: while the
    table lets the request move to `ordered`, experts are invited and propose."""
    return state_allows(found, CustomRequestState.ORDERED, allowed=CUSTOM_REQUEST_MOVES)


def custom_request_role(found: CustomRequest, user: User) -> str | None:
    """ "buyer" for the request's buyer, "expert" for an invited expert, else None (staff included)."""
    if found.buyer_id == user.pk:
        return "buyer"
    if invitation_of(found, user) is not None:
        return "expert"
    return None


def invitation_of(found: CustomRequest, user: User) -> Invitation | None:
    """The user's invitation to propose on the request, if any."""
    return Invitation.objects.filter(custom_request=found, expert=user).first()


def proposals_visible_to(found: CustomRequest, user: User) -> QuerySet[Proposal]:
    """The request's proposals `user` may see, oldest first: all for its buyer
    and staff; an invited expert's own only."""
    proposals = found.proposals.order_by("pk")
    if not (user.is_staff_member or found.buyer_id == user.pk):
        proposals = proposals.filter(expert=user)
    return proposals


def proposals_acceptable(found: CustomRequest, proposals: Iterable[Proposal]) -> set[int]:
    """Ids of the proposals the buyer may accept now: the tables let the
    request become ordered and the proposal accepted."""
    if not custom_request_orderable(found):
        return set()
    return {p.pk for p in proposals if state_allows(p, ProposalState.ACCEPTED, allowed=PROPOSAL_MOVES)}


def proposal_for(user: User, proposal_id: object) -> Proposal:
    """A proposal its buyer, its expert or staff may see."""
    pk = parse_id(proposal_id)
    proposals = Proposal.objects.select_related("custom_request", "expert")
    if not user.is_staff_member:
        proposals = proposals.filter(Q(custom_request__buyer=user) | Q(expert=user))
    proposal = proposals.filter(pk=pk).first() if pk else None
    if proposal is None:
        raise NotFound()
    return proposal


def order_ip_statement(order: Order) -> str:
    """Who owns the deliverable (AM14): the buyer, once the order is
    completed, unless the offer said otherwise."""
    from django.utils.translation import gettext as _

    default = _("Once the order is completed, the buyer owns the intellectual property of the deliverable.")
    if order.ip_note:
        return _("The expert's terms on intellectual property: %(note)s") % {"note": order.ip_note}
    return default


# --- Pages
# Reads the pages of the trade need on top of the ones above (views only call these).

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


def expert_public(expert_id: object) -> User:
    """An expert whose profile staff approved (AM17), as anyone may see it; anyone else is not found."""
    pk = parse_id(expert_id)
    if pk is None:
        raise NotFound()
    return expert_profile_public(pk).user


def offers_on_sale_of(expert: User) -> QuerySet[Offer]:
    return offers_on_sale().filter(expert=expert).order_by("-pk")


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
