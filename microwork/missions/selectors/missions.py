"""Reads on missions and claims, and the one access check for each: what
may happen now (from the transition tables), who sees which mission, claim
and report file, the open missions a tasker may take, the lists of each
side and of staff."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce, Cos, Power, Radians, Sqrt
from django.utils import timezone

from microwork.accounts.models import User
from microwork.core.errors import NotFound
from microwork.core.ids import object_id
from microwork.ledger.selectors import escrow_refs

from ..models import CLAIM_MOVES, MISSION_MOVES, Claim, ClaimState, Mission, MissionState, ReportFile
from .places import KM_PER_DEGREE
from .records import open_to_record_of

DISPUTE_DAYS = 7  # HM15


# --- What may happen now: answered from the transition tables --------------


def mission_is_editable(mission: Mission) -> bool:
    """A mission can be edited while it can still be sent to review: a draft or one sent back."""
    return MissionState.PENDING_REVIEW in MISSION_MOVES.get(mission.state, set())


def mission_can_withdraw(mission: Mission) -> bool:
    return MissionState.CLOSED in MISSION_MOVES.get(mission.state, set())


def claim_is_overdue(claim: Claim, now: datetime | None = None) -> bool:
    """Still active past its 48 hours: it lapses at the next tick or the next touch (HM04)."""
    return claim.state == ClaimState.ACTIVE and claim.deadline_at <= (now or timezone.now())


def claim_has_lapsed(claim: Claim, now: datetime | None = None) -> bool:
    return claim.state == ClaimState.LAPSED or claim_is_overdue(claim, now)


def claim_takes_report(claim: Claim) -> bool:
    """The report, and its files, can still be sent."""
    return ClaimState.SUBMITTED in CLAIM_MOVES.get(claim.state, set())


def claim_awaits_review(claim: Claim) -> bool:
    """The company may approve or reject the report now (HM14)."""
    return ClaimState.APPROVED in CLAIM_MOVES.get(claim.state, set())


def claim_takes_bonus(claim: Claim) -> bool:
    """A bonus goes on an approved report only (HM10): a report whose review
    paid the tasker, not one still to review, rejected or settled by staff."""
    return claim.state == ClaimState.APPROVED


def dispute_window_open(claim: Claim, now: datetime | None = None) -> bool:
    """A rejection can be contested for 7 days after the review (HM15)."""
    return claim.reviewed_at is not None and (now or timezone.now()) <= claim.reviewed_at + timedelta(days=DISPUTE_DAYS)


def claim_can_dispute(claim: Claim, now: datetime | None = None) -> bool:
    return ClaimState.DISPUTED in CLAIM_MOVES.get(claim.state, set()) and dispute_window_open(claim, now)


def with_places_left(missions: QuerySet[Mission]) -> QuerySet[Mission]:
    """Count, in the same query, the claims held past their deadline: their
    places are free again whether or not `tick` has written the lapse yet
    (read through `Mission.places_left`). Only a mission whose earliest
    deadline (`claims_due_at`) has passed has any: the others count nothing."""
    now = timezone.now()
    overdue = (
        Claim.objects.filter(mission=OuterRef("pk"), state=ClaimState.ACTIVE, deadline_at__lte=now)
        .order_by()
        .values("mission")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return missions.annotate(
        places_overdue=Case(
            When(claims_due_at__lte=now, then=Coalesce(Subquery(overdue, output_field=IntegerField()), 0)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def missions_visible_to(user: User | AnonymousUser, *, places: bool = True) -> QuerySet[Mission]:
    """`places=False` skips counting the overdue places, for a caller that
    does not show them (a claim decides under its lock)."""
    if not user.is_authenticated:
        # A visitor sees what a tasker could take now, and nothing else.
        return missions_open()
    if user.is_staff_member:
        missions = Mission.objects.all()
    elif user.is_company:
        missions = Mission.objects.filter(company=user)
    elif user.is_tasker:
        # Once published, a mission stays readable, also after it closes.
        missions = Mission.objects.filter(published_at__isnull=False)
    else:
        missions = Mission.objects.none()
    return with_places_left(missions) if places else missions


def mission_for(user: User | AnonymousUser, mission_id: object, *, lock: bool = False, places: bool = True) -> Mission:
    """The mission if `user` may see it; not-found otherwise, never forbidden."""
    missions = missions_visible_to(user, places=places)
    if lock:
        missions = missions.select_for_update()
    try:
        return missions.get(pk=object_id(mission_id))
    except Mission.DoesNotExist:
        raise NotFound() from None


def claims_visible_to(user: User) -> QuerySet[Claim]:
    if user.is_staff_member:
        return Claim.objects.all()
    if user.is_company:
        return Claim.objects.filter(mission__company=user)
    return Claim.objects.filter(tasker=user)


def claim_for(user: User, claim_id: object) -> Claim:
    try:
        return claims_visible_to(user).select_related("mission", "tasker").get(pk=object_id(claim_id))
    except Claim.DoesNotExist:
        raise NotFound() from None


def claim_of_tasker_on(tasker: User, mission: Mission) -> Claim | None:
    """The tasker's own claim on this mission, if they took it."""
    return Claim.objects.filter(mission=mission, tasker=tasker).first()


def report_file_for(user: User, claim_id: object, file_id: object) -> ReportFile:
    """A report's photo or file: for its tasker, the company once the report
    is sent, and staff; not found otherwise."""
    claim = claim_for(user, claim_id)
    if user.is_company and claim.submitted_at is None:
        raise NotFound()
    upload = claim.files.filter(pk=object_id(file_id)).first()
    if upload is None:
        raise NotFound()
    return upload


def report_file_shown(upload: ReportFile, user: User) -> FieldFile:
    """What `user` gets of it: staff the photo as sent, everyone else the copy
    without its metadata."""
    return upload.original if user.is_staff_member and upload.original else upload.file


def missions_open(
    *,
    category: str | None = None,
    min_reward_cents: int | None = None,
    q: str | None = None,
    near: tuple[float, float] | None = None,
    tasker: User | None = None,
) -> QuerySet[Mission]:
    """Published missions with a free place, for taskers (MW01, HM12); for
    `tasker`, only those whose quality filters their record passes."""
    now = timezone.now()
    missions = (
        with_places_left(Mission.objects.filter(state=MissionState.PUBLISHED))
        # Read from the row alone: a free place, or a held one past its deadline (HM04).
        .filter(Q(places_free__gt=0) | Q(claims_due_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    )
    if category:
        missions = missions.filter(category=category)
    if min_reward_cents is not None:
        missions = missions.filter(reward_cents__gte=min_reward_cents)
    if q:
        for word in q.split()[:5]:
            missions = missions.filter(Q(title__icontains=word) | Q(instructions__icontains=word))
    if near is not None:
        lat, lon = near
        # Equirectangular distance: exact enough at the scale of a city radius.
        dx = (F("longitude") - lon) * Cos(Radians((F("latitude") + lat) / 2))
        dy = F("latitude") - lat
        missions = missions.annotate(
            distance_km=Sqrt(Power(dx, 2) + Power(dy, 2), output_field=FloatField()) * KM_PER_DEGREE
        ).filter(Q(latitude__isnull=True) | Q(distance_km__lte=F("radius_km")))
    if tasker is not None:
        missions = missions.filter(open_to_record_of(tasker.pk))
    return missions


def missions_taken_by(tasker: User, missions: Iterable[Mission]) -> set[int]:
    """Which of these missions the tasker has already claimed (HM12)."""
    return set(
        Claim.objects.filter(tasker=tasker, mission_id__in=[m.pk for m in missions]).values_list(
            "mission_id", flat=True
        )
    )


def missions_of_company(company: User) -> QuerySet[Mission]:
    """The company's missions, each with the number of its claims still running."""
    running = Q(claims__state__in=[ClaimState.ACTIVE, ClaimState.SUBMITTED])
    return missions_visible_to(company).annotate(taken=Count("claims", filter=running))


def missions_pending_review() -> QuerySet[Mission]:
    """Missions staff review one by one: the items of a batch are reviewed with their batch (MW04)."""
    return Mission.objects.filter(state=MissionState.PENDING_REVIEW, batch__isnull=True)


def claims_disputed() -> QuerySet[Claim]:
    return Claim.objects.filter(state=ClaimState.DISPUTED)


#: The tabs of "My missions" (MW01), by slug: every claim state in exactly one.
CLAIM_TABS: dict[str, tuple[str, ...]] = {
    "en-cours": (ClaimState.ACTIVE,),
    "rendues": (ClaimState.SUBMITTED,),
    "validees": (ClaimState.APPROVED,),
    "refusees": (ClaimState.REJECTED, ClaimState.DISPUTED, ClaimState.SETTLED),
    "abandonnees": (ClaimState.RELEASED, ClaimState.LAPSED),
}


def claims_of_tasker(tasker: User, *, tab: str | None = None) -> QuerySet[Claim]:
    claims = Claim.objects.filter(tasker=tasker)
    return claims.filter(state__in=CLAIM_TABS[tab]) if tab else claims


def claim_tab_counts(tasker: User) -> dict[str, int]:
    """How many of the tasker's claims each tab holds, in one query."""
    by_state = dict(
        Claim.objects.filter(tasker=tasker)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return {tab: sum(by_state.get(state, 0) for state in states) for tab, states in CLAIM_TABS.items()}


def closed_mission_escrow_refs() -> QuerySet[Any]:
    """Escrow references that must be empty: closed or expired missions with no claim still running."""
    running = Claim.objects.filter(mission=OuterRef("pk"), state__in=[ClaimState.ACTIVE, ClaimState.SUBMITTED])
    closed = Mission.objects.filter(state__in=[MissionState.CLOSED, MissionState.EXPIRED]).exclude(Exists(running))
    return escrow_refs(closed, "mission")


def claim_titles(claim_ids: set[int]) -> dict[int, str]:
    """The mission title of each claim, for money lines that name a claim."""
    if not claim_ids:
        return {}
    return dict(Claim.objects.filter(pk__in=claim_ids).values_list("pk", "mission__title"))


def claims_payer(claim_ids: Iterable[int]) -> dict[int, tuple[int, int, str]]:
    """(company id, mission id, mission title) of each claim: who a claim's
    charges are invoiced to (PL02)."""
    ids = set(claim_ids)
    if not ids:
        return {}
    rows = Claim.objects.filter(pk__in=ids).values_list("pk", "mission__company_id", "mission_id", "mission__title")
    return {pk: (company, mission, title) for pk, company, mission, title in rows}


def mission_titles(mission_ids: set[int]) -> dict[int, str]:
    if not mission_ids:
        return {}
    return dict(Mission.objects.filter(pk__in=mission_ids).values_list("pk", "title"))


def missions_showcase(*, limit: int = 3) -> tuple[int, list[Mission]]:
    """For the front page: how many missions anyone could take now, and the
    latest few of them (what a card shows: no company, no private detail)."""
    missions = missions_open()
    latest = missions.select_related(None).order_by("-published_at", "-pk")[:limit]
    return missions.count(), list(latest)


def bench_mission_row(pk: int) -> dict[str, Any]:
    """One mission row by primary key, bare: the benchmark's floor (microwork.ops.bench)."""
    row = Mission.objects.filter(pk=pk).values("pk", "title", "reward_cents", "places", "state").first()
    if row is None:
        raise NotFound()
    return dict(row)


def bench_mission_page(limit: int) -> list[dict[str, Any]]:
    """The newest mission rows, bare: the benchmark's floor for a list."""
    rows = Mission.objects.order_by("-pk").values("pk", "title", "reward_cents", "places", "state")[:limit]
    return [dict(row) for row in rows]


def missions_over_claimed() -> list[int]:
    """Missions holding more claims than places (active, reported or approved):
    none, ever (HM12); checked after a load test."""
    holding = Count(
        "claims", filter=Q(claims__state__in=[ClaimState.ACTIVE, ClaimState.SUBMITTED, ClaimState.APPROVED])
    )
    return list(
        Mission.objects.annotate(holding=holding).filter(holding__gt=F("places")).values_list("pk", flat=True)[:100]
    )
