"""Reads on missions and claims, and the one access check for each."""

import math
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce, Cos, Power, Radians, Sqrt
from django.db.models.lookups import LessThanOrEqual
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.core.errors import NotFound
from microwork.core.ids import object_id
from microwork.core.pagination import keyset_rows
from microwork.core.photos import HASH_MAX_DISTANCE, hash_bands, hash_distance
from microwork.ledger.models import AccountKind, Posting

from .models import CLAIM_MOVES, MISSION_MOVES, Claim, ClaimState, Mission, MissionState, ReportFile

KM_PER_DEGREE = 111.32
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


# --- Proof-checked photos (HM13) ----------------------------------------------

#: A phone's clock may be a little off the server's.
PHOTO_CLOCK_SKEW = timedelta(minutes=10)
#: A phone's GPS fix may be a little off the photo's real place.
PHOTO_GPS_MARGIN_KM = 0.1
#: The most photos whose hash shares a band with a new one that are measured:
#: a bound on the read even if many unrelated photos happened to share a band.
PHOTO_CANDIDATES_MAX = 500


def photo_sent_before(phash: str, *, exclude_pk: int | None = None) -> int | None:
    """The earliest report photo (its id) whose perceptual hash is within
    HASH_MAX_DISTANCE bits of `phash`, on any claim, by anyone; None if none.

    The index finds the photos sharing one of the hash's bands exactly (at
    least one always is, for a photo within the distance: `hash_bands`); the
    real distance is measured on those only, at most PHOTO_CANDIDATES_MAX of
    them, newest first. A prefix of the hash alone would miss a copy whose
    first bits moved; a scan of every hash grows with every photo ever sent."""
    bands = Q()
    for n, band in enumerate(hash_bands(phash)):
        bands |= Q(**{f"phash_band_{n}": band})
    candidates = ReportFile.objects.filter(bands).order_by("-pk")
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    matches = [
        pk
        for pk, other in candidates.values_list("pk", "phash")[:PHOTO_CANDIDATES_MAX]
        if other and hash_distance(phash, other) <= HASH_MAX_DISTANCE
    ]
    return min(matches, default=None)


@dataclass(frozen=True)
class PhotoProof:
    """A report photo weighed against its claim and its mission (HM13):
    taken during the claim (its window, give or take a phone's clock), within
    the mission's radius, and not a photo sent before. Each check is None when
    it cannot be made (no time or position in the photo, a mission done from
    anywhere); `warnings` names what the company should look at, empty when
    the photo was taken here, during the mission."""

    taken_at: datetime | None
    within_window: bool | None
    distance_km: float | None
    within_radius: bool | None
    radius_km: float | None
    duplicate_of: str | None
    warnings: tuple[str, ...]

    @property
    def trusted(self) -> bool:
        return not self.warnings

    def as_dict(self) -> dict[str, Any]:
        return {
            "taken_at": self.taken_at,
            "within_window": self.within_window,
            "distance_km": self.distance_km,
            "within_radius": self.within_radius,
            "duplicate_of": self.duplicate_of,
            "warnings": list(self.warnings),
        }


#: What a photo's proof may warn of, in the order the page shows them.
PHOTO_WARNINGS = (
    "no_metadata",
    "no_time",
    "taken_before_claim",
    "taken_after_report",
    "no_position",
    "outside_radius",
    "duplicate",
)


def photo_proof(upload: ReportFile, claim: Claim, mission: Mission) -> PhotoProof | None:
    """The proof of a report photo; None for a file that is not an image, or
    a photo sent before photos were read (`services.report_photos_read`)."""
    if not upload.content_type.startswith("image/") or upload.phash is None:
        return None
    warnings = set()
    within_window = None
    if upload.taken_at is not None:
        end = claim.submitted_at or timezone.now()
        if upload.taken_at < claim.claimed_at - PHOTO_CLOCK_SKEW:
            within_window = False
            warnings.add("taken_before_claim")
        elif upload.taken_at > end + PHOTO_CLOCK_SKEW:
            within_window = False
            warnings.add("taken_after_report")
        else:
            within_window = True
    has_position = upload.taken_latitude is not None and upload.taken_longitude is not None
    distance = within_radius = None
    if has_position and mission.has_location:
        exact = distance_km(
            (mission.latitude, mission.longitude),  # type: ignore[arg-type]
            (upload.taken_latitude, upload.taken_longitude),  # type: ignore[arg-type]
        )
        distance = round(exact, 1)
        within_radius = mission.radius_km is None or exact <= mission.radius_km + PHOTO_GPS_MARGIN_KM
        if not within_radius:
            warnings.add("outside_radius")
    if upload.taken_at is None and not has_position:
        warnings.add("no_metadata")
    elif upload.taken_at is None:
        warnings.add("no_time")
    elif not has_position and mission.has_location:
        warnings.add("no_position")
    if upload.duplicate_of_id is not None:
        warnings.add("duplicate")
    return PhotoProof(
        taken_at=upload.taken_at,
        within_window=within_window,
        distance_km=distance,
        within_radius=within_radius,
        radius_km=mission.radius_km if mission.has_location else None,
        duplicate_of=str(upload.duplicate_of_id) if upload.duplicate_of_id is not None else None,
        warnings=tuple(w for w in PHOTO_WARNINGS if w in warnings),
    )


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Kilometres between two (lat, lon) points, by the same equirectangular
    reckoning as the "near me" filter, so a mission shown near is claimable."""
    (lat1, lon1), (lat2, lon2) = a, b
    dx = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, lat2 - lat1) * KM_PER_DEGREE


def mission_is_within_reach(mission: Mission, position: tuple[float, float]) -> bool:
    """Whether a tasker standing at `position` is inside the mission's radius (HM12);
    a mission done from anywhere is within everyone's reach."""
    if mission.latitude is None or mission.longitude is None or mission.radius_km is None:
        return True
    return distance_km((mission.latitude, mission.longitude), position) <= mission.radius_km


#: The three cities with arrondissements: the postcodes that name each one (75116 is Paris 16e).
ARRONDISSEMENTS = {"Paris": "750", "Lyon": "6900", "Marseille": "130"}
_POSTCODE_CITY = re.compile(r"\b(\d{5})\s+([^\d,]+?)(?:\s+cedex\b.*)?$", re.IGNORECASE)


def _arrondissement(city: str, postcode: str) -> str | None:
    """ "Lyon 3e" for 69003, "Paris 16e" for 75016 and 75116, in the reader's language."""
    for name, prefix in ARRONDISSEMENTS.items():
        if city.casefold().startswith(name.casefold()) and (
            postcode.startswith(prefix) or (name == "Paris" and postcode == "75116")
        ):
            number = int(postcode[-2:])
            if number == 1:
                return _("%(city)s (1st arr.)") % {"city": name}
            if number == 2:
                return _("%(city)s (2nd arr.)") % {"city": name}
            if number == 3:
                return _("%(city)s (3rd arr.)") % {"city": name}
            return _("%(city)s (%(number)sth arr.)") % {"city": name, "number": number}
    return None


def area_of(address: str) -> str | None:
    """The town of an address, with its arrondissement in Paris, Lyon and
    Marseille: what a mission card may say of a place without its street
    (HM12). None when the address names no town one can read."""
    address = " ".join(address.split())
    found = _POSTCODE_CITY.search(address)
    if found:
        postcode, city = found.group(1), found.group(2).strip(" -")
        return _arrondissement(city, postcode) or city
    parts = [part.strip() for part in address.split(",")]
    if len(parts) > 1 and parts[-1] and not any(char.isdigit() for char in parts[-1]):
        return parts[-1]
    return None


def mission_where(mission: Mission, *, full: bool = False) -> str:
    """Where a mission is done, in words (HM12). A card (`full` false) says
    how far it is when the tasker's position is known ("2.3 km from you"),
    else the town ("near Lyon (3rd arr.)"), never the street; the mission's
    own page (`full`) gives the radius around the whole address."""
    if not mission.has_location:
        return _("From anywhere")
    radius = floatformat(mission.radius_km, -1)
    distance = getattr(mission, "distance_km", None)
    if full:
        if mission.address:
            text = _("Within %(radius)s km of %(address)s") % {"radius": radius, "address": mission.address}
        else:
            text = _("Within %(radius)s km") % {"radius": radius}
        if distance is not None:
            text += " · " + _("%(distance)s km from you") % {"distance": floatformat(distance, 1)}
        return text
    if distance is not None:
        return _("%(distance)s km from you") % {"distance": floatformat(distance, 1)}
    area = area_of(mission.address)
    if area:
        return _("near %(place)s") % {"place": area}
    return _("Within %(radius)s km") % {"radius": radius}


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


# --- A tasker's record: the quality filters of missions ------------------------

#: A report counts as approved once the company approved it, or once staff
#: overturned its rejection with pay for the tasker (HM15).
_APPROVED_REPORT = Q(state=ClaimState.APPROVED) | Q(state=ClaimState.SETTLED, settled_cents__gt=0)
_REVIEWED_REPORT = Q(state__in=(ClaimState.APPROVED, ClaimState.REJECTED, ClaimState.DISPUTED, ClaimState.SETTLED))


@dataclass(frozen=True)
class TaskerRecord:
    """A tasker's reports as the quality filters read them: how many were
    approved, out of how many reviewed."""

    approved_reports: int
    reviewed_reports: int

    @property
    def approval_rate(self) -> float | None:
        """Approved out of reviewed, from 0 to 1; None before any review."""
        return round(self.approved_reports / self.reviewed_reports, 3) if self.reviewed_reports else None

    @property
    def approval_percent(self) -> int | None:
        """The rate in whole percent, rounded down: what passes a filter of that many percent."""
        return self.approved_reports * 100 // self.reviewed_reports if self.reviewed_reports else None


def tasker_record(tasker_id: int) -> TaskerRecord:
    """The tasker's record, in one query (over the claims' tasker index)."""
    counts = Claim.objects.filter(tasker_id=tasker_id).aggregate(
        approved=Count("pk", filter=_APPROVED_REPORT), reviewed=Count("pk", filter=_REVIEWED_REPORT)
    )
    return TaskerRecord(approved_reports=counts["approved"], reviewed_reports=counts["reviewed"])


def tasker_qualifies(mission: Mission, record: TaskerRecord) -> bool:
    """Whether the record passes the mission's quality filters. A tasker with
    no review yet has rejected nothing: the rate filter lets them in, the
    count filter keeps them out (as `open_to_record_of` reads it in SQL)."""
    return (
        record.approved_reports >= mission.min_approved_reports
        and record.approved_reports * 100 >= mission.min_approval_percent * record.reviewed_reports
    )


def _claims_count(tasker_id: int, which: Q) -> Subquery:
    """COUNT over the tasker's claims, as a subquery that names no outer
    column: the database reads it once per query, never once per row."""
    counted = (
        Claim.objects.filter(which, tasker_id=tasker_id).order_by().annotate(n=Func(F("pk"), function="COUNT"))
    ).values("n")
    return Subquery(counted, output_field=IntegerField())


def open_to_record_of(tasker_id: int) -> Q:
    """The missions whose quality filters the tasker's record passes: two
    integer columns of the row compared with the tasker's two figures, read
    once inside the list's own query (`tasker_qualifies`, in SQL)."""
    approved = _claims_count(tasker_id, _APPROVED_REPORT)
    reviewed = _claims_count(tasker_id, _REVIEWED_REPORT)
    return Q(min_approval_percent=0, min_approved_reports=0) | (
        Q(min_approved_reports__lte=approved)
        & Q(LessThanOrEqual(F("min_approval_percent") * reviewed, approved * Value(100)))
    )


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


def closed_mission_escrow_refs() -> Iterable[str]:
    """Escrow references that must be empty: closed or expired missions with no claim still running."""
    running = Claim.objects.filter(mission=OuterRef("pk"), state__in=[ClaimState.ACTIVE, ClaimState.SUBMITTED])
    for pk in (
        Mission.objects.filter(state__in=[MissionState.CLOSED, MissionState.EXPIRED])
        .exclude(Exists(running))
        .values_list("pk", flat=True)
    ):
        yield f"mission:{pk}"


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


CHARGES_PAGE = 20


@dataclass
class MissionCharges:
    """What one mission cost the company: reserved, given back, and paid out
    split into rewards, fees and VAT (HM10, HM15, HM15b)."""

    mission: Any
    reserved_cents: int = 0
    refunded_cents: int = 0
    approved: int = 0
    settled: int = 0
    rewards_cents: int = 0
    fees_cents: int = 0
    vat_cents: int = 0
    settled_from_wallet_cents: int = 0

    @property
    def charged_cents(self) -> int:
        return self.rewards_cents + self.fees_cents + self.vat_cents

    @property
    def held_cents(self) -> int:
        """Still in escrow for places not yet paid or given back."""
        return self.reserved_cents - self.refunded_cents - (self.charged_cents - self.settled_from_wallet_cents)


@dataclass
class ChargesPage:
    rows: list[MissionCharges]
    next_cursor: int | None


def company_charges(company: User, *, before: int | None = None, limit: int = CHARGES_PAGE) -> ChargesPage:
    """The company's missions, newest first, with their charges: one query for
    the page's missions, one aggregate over the ledger, one over settled claims."""
    # Pricing sits under services, which read these selectors: import at call time.
    from .services.pricing import place_price

    missions_qs = Mission.objects.filter(company=company).only(
        "pk", "title", "state", "reward_cents", "fee_cents", "vat_cents", "places", "places_approved", "created_at"
    )
    page, next_pk = keyset_rows(missions_qs, before=before, limit=limit)
    rows = {
        mission.pk: MissionCharges(
            mission=mission,
            approved=mission.places_approved,
            rewards_cents=mission.places_approved * mission.reward_cents,
            fees_cents=mission.places_approved * mission.fee_cents,
            vat_cents=mission.places_approved * mission.vat_cents,
        )
        for mission in page
    }
    if rows:
        refs = {f"mission:{pk}": pk for pk in rows}
        sums = (
            # A mission is paid from the company's funds first, then its earnings.
            Posting.objects.filter(
                account__owner=company,
                account__kind__in=[AccountKind.FUNDS, AccountKind.WALLET],
                entry__ref__in=list(refs),
            )
            .values_list("entry__ref", "entry__kind")
            .annotate(total=Sum("amount_cents"))
        )
        for ref, kind, total in sums:
            row = rows[refs[ref]]
            if kind in ("mission_reserve", "mission_unreserve"):
                # A reservation sent back for changes is given back whole: the net is what stays reserved.
                row.reserved_cents -= int(total)
            elif kind == "mission_refund":
                row.refunded_cents += int(total)
        settled = Claim.objects.filter(mission_id__in=list(rows), state=ClaimState.SETTLED, settled_cents__gt=0)
        for mission_id, settled_cents in settled.values_list("mission_id", "settled_cents"):
            paid = int(settled_cents or 0)
            fee, vat = place_price(paid)
            row = rows[mission_id]
            row.settled += 1
            row.rewards_cents += paid
            row.fees_cents += fee
            row.vat_cents += vat
            row.settled_from_wallet_cents += paid + fee + vat
    return ChargesPage(rows=list(rows.values()), next_cursor=next_pk)


def missions_showcase(*, limit: int = 3) -> tuple[int, list[Mission]]:
    """For the front page: how many missions anyone could take now, and the
    latest few of them (what a card shows: no company, no private detail)."""
    missions = missions_open()
    latest = missions.select_related(None).order_by("-published_at", "-pk")[:limit]
    return missions.count(), list(latest)


# --- A company's record as a reviewer (PL05) ---------------------------------

#: The record covers the reviews of the last RECORD_DAYS days.
RECORD_DAYS = 180
#: A company whose rejections staff overturn this often (out of at least
#: UNDER_REVIEW_MIN_REJECTIONS) has each new rejection sent to staff.
UNDER_REVIEW_OVERTURNED_RATE = 0.25
UNDER_REVIEW_MIN_REJECTIONS = 4
_RECORD_CACHE_SECONDS = 300
_REJECTED_STATES = (ClaimState.REJECTED, ClaimState.DISPUTED, ClaimState.SETTLED)


def _record_key(company_id: int) -> str:
    return f"missions:company-record:{company_id}"


def company_record(company_id: int) -> dict[str, Any]:
    """How the company reviews reports, as taskers see it before they claim
    (PL05): the share of reports it rejects, the share of those rejections that
    staff overturned (a dispute settled with pay for the tasker), the median
    hours from report to review; each None until there is a record. Kept in the
    cache for a few minutes; a review forgets it (`company_record_forget`)."""
    cached = cache.get(_record_key(company_id))
    if cached is not None:
        return dict(cached)
    reviewed = Claim.objects.filter(
        mission__company_id=company_id,
        submitted_at__isnull=False,
        reviewed_at__gte=timezone.now() - timedelta(days=RECORD_DAYS),
    )
    counts = reviewed.aggregate(
        reviews=Count("pk"),
        rejections=Count("pk", filter=Q(state__in=_REJECTED_STATES)),
        overturned=Count("pk", filter=Q(state=ClaimState.SETTLED, settled_cents__gt=0)),
    )
    waits = [
        (reviewed_at - submitted_at).total_seconds() / 3600
        for submitted_at, reviewed_at in reviewed.order_by("-reviewed_at").values_list("submitted_at", "reviewed_at")[
            :500
        ]
        if submitted_at and reviewed_at
    ]
    reviews, rejections = counts["reviews"], counts["rejections"]
    record = {
        "rejection_rate": round(rejections / reviews, 3) if reviews else None,
        "overturned_rate": round(counts["overturned"] / rejections, 3) if rejections else None,
        "median_review_hours": round(statistics.median(waits), 1) if waits else None,
        "rejections": rejections,
    }
    cache.set(_record_key(company_id), record, _RECORD_CACHE_SECONDS)
    return dict(record)


def company_record_forget(company_id: int) -> None:
    cache.delete(_record_key(company_id))


def company_stats(company_id: int) -> dict[str, float | None]:
    """The record as the API and the mission page show it (PL05)."""
    record = company_record(company_id)
    return {key: record[key] for key in ("rejection_rate", "overturned_rate", "median_review_hours")}


def company_rejections_under_review(company_id: int) -> bool:
    """Staff overturn this company's rejections too often: each new one goes
    to staff before it stands (PL05), until its record mends."""
    record = company_record(company_id)
    return (
        record["rejections"] >= UNDER_REVIEW_MIN_REJECTIONS
        and (record["overturned_rate"] or 0) >= UNDER_REVIEW_OVERTURNED_RATE
    )


# --- Time really taken (PL04) -------------------------------------------------

#: The median counts once this many reports are in.
MEASURED_MIN_REPORTS = 5


def measured_median_seconds(mission: Mission) -> int | None:
    """The median time taskers took on this mission, once
    MEASURED_MIN_REPORTS reports are in (PL04): per report, from the start of
    the report form when it is known, else from the claim, to the report. A
    place held for hours before the tasker started counts for nothing; a
    tasker who kept the form open from the claim on counts it all."""
    spans = [
        (submitted_at - (started_at or claimed_at)).total_seconds()
        for claimed_at, started_at, submitted_at in Claim.objects.filter(mission=mission, submitted_at__isnull=False)
        .order_by("-submitted_at")
        .values_list("claimed_at", "report_started_at", "submitted_at")[:1000]
        if submitted_at
    ]
    if len(spans) < MEASURED_MIN_REPORTS:
        return None
    return max(1, round(statistics.median(spans)))


def missions_underpaid() -> QuerySet[Mission]:
    """Missions whose measured time put the reward under the SMIC, for staff (PL04)."""
    return Mission.objects.filter(underpaid_at__isnull=False).select_related("company").order_by("-underpaid_at")


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
