"""The claim lifecycle: a place taken, reported, reviewed, disputed and
settled (HM04, HM05, HM12-HM16, MW01).

Locks are always taken in the same order: the tasker's user row, then
missions by primary key, then claims. An approval pays one place out of the
mission's escrow; a place given back returns to the pool, or to the company
once the mission no longer takes claims.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from microwork.accounts.models import User
from microwork.accounts.roles import require_role
from microwork.accounts.services import PhoneNotVerified
from microwork.core.errors import ApplicationError, Conflict, Forbidden
from microwork.core.ratelimit import rate_limit_named
from microwork.core.states import state_move, state_start
from microwork.moderation.selectors import ensure_not_suspended

from .. import events
from ..models import (
    CLAIM_MOVES,
    Claim,
    ClaimState,
    ClaimTransition,
    Mission,
    MissionState,
)
from ..selectors import (
    company_record_forget,
    mission_is_within_reach,
    tasker_qualifies,
    tasker_record,
)
from .missions import MissionNotAvailable, escrow_refund, mission_is_open

CLAIM_HOURS = 48  # HM04
MAX_ACTIVE_CLAIMS = 2  # HM05
AUTO_APPROVE_DAYS = 3  # HM14


class MissionFull(Conflict):
    code = "mission_full"


class AlreadyClaimed(Conflict):
    code = "already_claimed"


class ClaimLimitReached(Conflict):
    code = "claim_limit_reached"


class ClaimLapsed(Conflict):
    code = "claim_lapsed"


class OutsideRadius(Conflict):
    code = "outside_radius"


class PositionRequired(Conflict):
    code = "position_required"


class NotQualified(Forbidden):
    """The tasker's record does not pass the mission's quality filters."""

    code = "not_qualified"


def _claim_move(claim: Claim, to: str, **how: Any) -> None:
    """`state_move` on the claim table; `how` is passed on (by, reason, update_fields, message)."""
    state_move(claim, to, allowed=CLAIM_MOVES, history=ClaimTransition, claim=claim, **how)
    if to in REVIEW_OUTCOMES:
        # Forgotten now and again once committed, so that no read in between
        # keeps the record as it was.
        company_id = claim.mission.company_id
        company_record_forget(company_id)
        transaction.on_commit(lambda: company_record_forget(company_id))


#: The moves that change a company's record as a reviewer (PL05).
REVIEW_OUTCOMES = (ClaimState.APPROVED, ClaimState.REJECTED, ClaimState.SETTLED)


def _return_place(claim: Claim, mission: Mission, *, by: User | None) -> None:
    """The claim's place goes back to the pool, or back to the company once
    the mission no longer takes claims. The caller holds the mission's lock."""
    if mission.state == MissionState.PUBLISHED:
        Mission.objects.filter(pk=mission.pk).update(places_free=F("places_free") + 1)
        mission.places_free += 1
    else:
        escrow_refund(
            mission,
            kind="mission_refund",
            key=f"claim-return:{claim.pk}:{claim.state}",
            amount_cents=mission.place_cost_cents,
            by=by,
        )


def _held_until_refresh(mission: Mission) -> None:
    """A claim stopped holding its place: the mission's earliest deadline is
    that of the claims still active. The caller holds the mission's lock."""
    earliest = (
        Claim.objects.filter(mission=OuterRef("pk"), state=ClaimState.ACTIVE)
        .order_by("deadline_at")
        .values("deadline_at")[:1]
    )
    Mission.objects.filter(pk=mission.pk).update(claims_due_at=Subquery(earliest))


def _lapse_locked(claim: Claim, mission: Mission) -> bool:
    """Lapse an active claim past its deadline (HM04). Mission locked by the caller."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.state != ClaimState.ACTIVE or claim.deadline_at > timezone.now():
        return False
    _claim_move(claim, ClaimState.LAPSED, by=None, reason="deadline passed")
    _held_until_refresh(mission)
    _return_place(claim, mission, by=None)
    return True


def _ensure_may_claim(tasker: User) -> None:
    """What is checked of the tasker alone, before any lock."""
    require_role(tasker, "tasker", message=_("Only taskers take missions."))
    ensure_not_suspended(tasker)
    if not tasker.phone_verified:
        raise PhoneNotVerified(_("Verify your phone number before taking a mission."))


def _claims_held_now(tasker: User, now: datetime) -> QuerySet[Claim]:
    """HM05 counts the places held now; one held past its deadline does not
    count (it lapses when the tasker claims again)."""
    return Claim.objects.filter(tasker=tasker, state=ClaimState.ACTIVE, deadline_at__gt=now)


def _claims_held(tasker: User, now: datetime) -> int:
    return _claims_held_now(tasker, now).count()


def _ensure_below_claim_limit(held: int) -> None:
    """HM05: at most MAX_ACTIVE_CLAIMS places held at once."""
    if held >= MAX_ACTIVE_CLAIMS:
        raise ClaimLimitReached(
            _("You already have %(count)s missions in progress; report one first.") % {"count": MAX_ACTIVE_CLAIMS}
        )


def _ensure_qualified(mission: Mission, tasker: User) -> None:
    """The mission's quality filters (a minimum approval rate, a minimum of
    approved reports): a tasker whose record falls short is told both figures."""
    if mission.welcomes_new_taskers:
        return
    record = tasker_record(tasker.pk)
    if tasker_qualifies(mission, record):
        return
    asked = []
    if mission.min_approval_percent:
        asked.append(_("%(percent)s %% of reports approved") % {"percent": mission.min_approval_percent})
    if mission.min_approved_reports:
        asked.append(
            ngettext(
                "%(count)s approved report",
                "%(count)s approved reports",
                mission.min_approved_reports,
            )
            % {"count": mission.min_approved_reports}
        )
    if record.reviewed_reports:
        yours = ngettext(
            "you have %(percent)s %% of reports approved, and %(count)s approved report.",
            "you have %(percent)s %% of reports approved, and %(count)s approved reports.",
            record.approved_reports,
        ) % {"percent": record.approval_percent, "count": record.approved_reports}
    else:
        yours = _("you have no reviewed report yet.")
    raise NotQualified(
        _("This mission is for taskers with at least %(asked)s; %(yours)s")
        % {"asked": _(" and ").join(asked), "yours": yours}
    )


def _ensure_claim_pace(tasker: User) -> None:
    """Fair dispatch: a tasker's claims are counted over a short window (a
    burst) and a long one (a sustained rate), so that no script sweeps a
    batch; past either, 429 with the seconds to wait. Counted on the cache,
    before any lock."""
    message = _("You are taking missions faster than anyone could do them; wait before taking another.")
    rate_limit_named("claim_burst", tasker.pk, message=message)
    rate_limit_named("claim_sustained", tasker.pk, message=message)


def claim_refusal(*, tasker: User, mission: Mission | None = None) -> ApplicationError | None:
    """Why taking a mission (this one, when given) would be refused to this
    tasker right now, before the click (MW01); `claim_create` decides for
    good under its lock."""
    try:
        _ensure_may_claim(tasker)
        if mission is not None:
            _ensure_qualified(mission, tasker)
        _ensure_below_claim_limit(_claims_held(tasker, timezone.now()))
    except ApplicationError as exc:
        return exc
    return None


def _ensure_within_reach(mission: Mission, position: tuple[float, float] | None, position_refused: bool) -> None:
    """HM12: a mission tied to a place is taken from inside its radius. A tasker
    who gives no position at all may still claim (the API's claim has no
    required body); one who refused to share it when asked is refused, with why."""
    if mission.latitude is None:
        return
    if position is None:
        if position_refused:
            raise PositionRequired(
                _("This mission is done on the spot: share your position to show you are within %(radius)s km.")
                % {"radius": floatformat(mission.radius_km, -1)}
            )
        return
    if not mission_is_within_reach(mission, position):
        raise OutsideRadius(
            _("You are too far away: this mission is done within %(radius)s km of its place.")
            % {"radius": floatformat(mission.radius_km, -1)}
        )


def claim_create(
    *,
    mission: Mission,
    tasker: User,
    position: tuple[float, float] | None = None,
    position_refused: bool = False,
) -> Claim:
    """Take a place, first come, first served (MW01, HM04, HM05, HM12). `position`
    is where the tasker stands (lat, lon), when they share it.

    Every taker of a mission queues on its row: what only concerns the tasker
    (a claim already made, HM05) is read before that lock, under the
    tasker's own, so the mission's lock is held for as little as it can.
    Every try is counted against the tasker's pace first (fair dispatch)."""
    _ensure_may_claim(tasker)
    _ensure_claim_pace(tasker)
    _ensure_qualified(mission, tasker)
    _ensure_within_reach(mission, position, position_refused)
    now = timezone.now()
    _refuse_plainly_full(mission, tasker, now)
    with transaction.atomic():
        # One tasker's claims queue here, so HM05 holds under double clicks.
        User.objects.select_for_update().only("pk").get(pk=tasker.pk)
        own_due = list(
            Claim.objects.filter(tasker=tasker, state=ClaimState.ACTIVE, deadline_at__lte=now).values_list(
                "pk", "mission_id"
            )
        )
        # Held still by the tasker's lock: no other claim of theirs can come in between.
        already = Claim.objects.filter(mission_id=mission.pk, tasker=tasker).exists()
        held = _claims_held(tasker, now)
        mission_ids = sorted({mission.pk} | {mission_id for _pk, mission_id in own_due})
        missions = {m.pk: m for m in Mission.objects.select_for_update().filter(pk__in=mission_ids).order_by("pk")}
        for claim_pk, mission_id in own_due:
            _lapse_locked(Claim(pk=claim_pk), missions[mission_id])
        target = missions.get(mission.pk)
        if target is None or not mission_is_open(target):
            raise MissionNotAvailable(_("This mission is not open for claims."))
        if already:
            raise AlreadyClaimed(_("You have already taken this mission."))
        _ensure_below_claim_limit(held)
        if target.places_free <= 0:
            # A place held past its deadline goes back to the pool now, not at the next tick.
            if target.claims_due_at is not None and target.claims_due_at <= now:
                for stale in Claim.objects.filter(mission=target, state=ClaimState.ACTIVE, deadline_at__lte=now):
                    _lapse_locked(stale, target)
            if target.places_free <= 0:
                raise MissionFull(_("All places are taken."))
        deadline = now + timedelta(hours=CLAIM_HOURS)
        Mission.objects.filter(pk=target.pk).update(
            places_free=F("places_free") - 1,
            claims_due_at=Case(
                When(claims_due_at__isnull=True, then=Value(deadline)),
                default=Least(F("claims_due_at"), Value(deadline)),
                output_field=DateTimeField(),
            ),
        )
        try:
            # No savepoint: a refusal here ends this transaction, whose block undoes it all.
            claim = Claim.objects.create(mission=target, tasker=tasker, claimed_at=now, deadline_at=deadline)
        except IntegrityError:
            raise AlreadyClaimed(_("You have already taken this mission.")) from None
        state_start(claim, allowed=CLAIM_MOVES, history=ClaimTransition, by=tasker, claim=claim)
        if target.places_free == 1:  # read before this claim took the last place
            events.mission_full(target)
    return claim


def _refuse_plainly_full(mission: Mission, tasker: User, now: datetime) -> None:
    """At peak most takers of a mission find it full: when its row, read
    without a lock, has no free place and no place held past its deadline,
    refuse at once instead of queueing on its lock. The refusal is
    the one the locked path below would give, in its order (not open, already
    taken, HM05's limit, full); a row that shows a place goes on to the lock,
    which decides for good."""

    def has_place(row: Mission) -> bool:
        return row.places_free > 0 or (row.claims_due_at is not None and row.claims_due_at <= now)

    if has_place(mission):
        return
    # The caller's copy may be older than a release: read the row again (no
    # lock), with the tasker's claim on it and the places they hold, in one query.
    held = _claims_held_now(tasker, now).order_by().values("tasker").annotate(n=Count("pk")).values("n")
    row = next(
        iter(
            Mission.objects.only("state", "ends_at", "places_free", "claims_due_at")
            .filter(pk=mission.pk)
            .annotate(
                taken=Exists(Claim.objects.filter(mission_id=OuterRef("pk"), tasker=tasker)),
                held=Coalesce(Subquery(held, output_field=IntegerField()), 0),
            )[:1]
        ),
        None,
    )
    if row is None or has_place(row):
        return
    if not mission_is_open(row):
        raise MissionNotAvailable(_("This mission is not open for claims."))
    if row.taken:
        raise AlreadyClaimed(_("You have already taken this mission."))
    _ensure_below_claim_limit(row.held)
    raise MissionFull(_("All places are taken."))


def _claim_and_mission_locked(claim: Claim) -> tuple[Claim, Mission]:
    mission = Mission.objects.select_for_update().get(pk=claim.mission_id)
    return Claim.objects.select_for_update().get(pk=claim.pk), mission


def claim_release(*, claim: Claim, by: User) -> Claim:
    """The tasker gives the place back (HM04)."""
    if claim.tasker_id != by.pk:
        raise Forbidden()
    with transaction.atomic():
        claim, mission = _claim_and_mission_locked(claim)
        if claim.state == ClaimState.ACTIVE and claim.deadline_at <= timezone.now():
            _lapse_locked(claim, mission)
            claim.refresh_from_db()
            return claim
        _claim_move(claim, ClaimState.RELEASED, by=by)
        _held_until_refresh(mission)
        _return_place(claim, mission, by=by)
    return claim


def claim_lapse_if_due(*, claim: Claim) -> bool:
    with transaction.atomic():
        claim, mission = _claim_and_mission_locked(claim)
        return _lapse_locked(claim, mission)


def claims_lapse_due() -> int:
    due = Claim.objects.filter(state=ClaimState.ACTIVE, deadline_at__lte=timezone.now()).values_list("pk", "mission_id")
    return sum(claim_lapse_if_due(claim=Claim(pk=pk, mission_id=mission_id)) for pk, mission_id in list(due))
