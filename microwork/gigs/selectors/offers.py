"""The catalogue and its search (AM04), an offer's access helpers and what
may happen to it now, and an expert's public record (AM07)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Avg, Case, Count, F, IntegerField, QuerySet, When

from microwork.accounts.models import User
from microwork.accounts.selectors import expert_profile_public, verified_experts
from microwork.core.errors import NotFound
from microwork.core.ids import parse_id
from microwork.core.states import state_allows

from ..models import (
    CANCELLATION_EFFECTIVE_STATES,
    OFFER_MOVES,
    Cancellation,
    Offer,
    OfferImage,
    OfferState,
    Order,
    OrderState,
)
from ..search import plain, query_stems

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


def expert_public(expert_id: object) -> User:
    """An expert whose profile staff approved (AM17), as anyone may see it; anyone else is not found."""
    pk = parse_id(expert_id)
    if pk is None:
        raise NotFound()
    return expert_profile_public(pk).user


def offers_on_sale_of(expert: User) -> QuerySet[Offer]:
    return offers_on_sale().filter(expert=expert).order_by("-pk")
