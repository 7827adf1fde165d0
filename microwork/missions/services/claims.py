"""The claim lifecycle: a place taken, reported, reviewed, disputed and
settled (HM04, HM05, HM12-HM16, MW01).

Locks are always taken in the same order: the tasker's user row, then
missions by primary key, then claims. An approval pays one place out of the
mission's escrow; a place given back returns to the pool, or to the company
once the mission no longer takes claims.
"""

from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Case, DateTimeField, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Least
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from microwork.accounts.models import User
from microwork.accounts.services import PhoneNotVerified
from microwork.core.durations import duration_label
from microwork.core.errors import ApplicationError, Conflict, Forbidden, InvalidInput
from microwork.core.money import format_eur
from microwork.core.photos import photo_facts
from microwork.core.ratelimit import rate_limit_named
from microwork.core.states import WrongState, state_move, state_start
from microwork.core.uploads import server_file_name
from microwork.notifications.services import notify
from microwork.trust.selectors import ensure_not_suspended

from .. import events
from ..models import (
    CLAIM_MOVES,
    Claim,
    ClaimState,
    ClaimTransition,
    Mission,
    MissionState,
    ReportFile,
)
from ..selectors import (
    claim_has_lapsed,
    claim_takes_report,
    company_record_forget,
    measured_median_seconds,
    mission_is_within_reach,
    tasker_qualifies,
    tasker_record,
)
from .inputs import (
    UPLOAD_KINDS,
    check_not_empty,
    clean_answers,
    clean_links,
    report_started_at,
    report_upload_check,
    report_upload_rule,
)
from .missions import MissionNotAvailable, escrow_refund, mission_is_open
from .photos import photo_fields, photo_link_duplicate
from .pricing import minimum_reward_cents

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
    if not tasker.is_tasker:
        raise Forbidden(_("Only taskers take missions."))
    ensure_not_suspended(tasker)
    if not tasker.phone_verified:
        raise PhoneNotVerified(_("Verify your phone number before taking a mission."))


def _claims_held(tasker: User, now: datetime) -> int:
    """HM05 counts the places held now; one held past its deadline does not
    count (it lapses when the tasker claims again)."""
    return Claim.objects.filter(tasker=tasker, state=ClaimState.ACTIVE, deadline_at__gt=now).count()


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


def _reported_or_closed() -> str:
    return _("This claim has already been reported or closed.")


def _refuse_if_lapsed(claim: Claim) -> None:
    """A report after the deadline is refused at once, whether or not tick has run (HM04)."""
    if claim_has_lapsed(claim):
        if claim.state == ClaimState.ACTIVE:
            claim_lapse_if_due(claim=claim)
        raise ClaimLapsed(_("The 48 hours to finish this mission have passed."))


def claim_report(
    *,
    claim: Claim,
    by: User,
    answers: dict[str, Any] | None = None,
    text: str = "",
    links: list[str] | None = None,
    started_at: datetime | None = None,
) -> Claim:
    """The end-of-mission report (HM13); the company is alerted at once (HM14).

    `started_at` is when the tasker started this report: on the pages, when
    the report form that was sent was displayed (a time the server signed into
    the page, so it cannot be made up); through the API, what the client says.
    Either way it is only kept within claimed_at..submitted_at: the time on
    the form is then at most the time from claim to report, and never less
    than nothing. Kept beside that claim-to-report time, it leaves out the
    hours a tasker held the place before starting (PL04)."""
    if claim.tasker_id != by.pk:
        raise Forbidden()
    _refuse_if_lapsed(claim)
    links_cleaned = clean_links(links)
    if len(links_cleaned) > 20 or len(text) > 10_000:
        raise InvalidInput(_("The report is too long."), field="text")
    with transaction.atomic():
        claim, mission = _claim_and_mission_locked(claim)
        _refuse_if_lapsed(claim)
        claim.submitted_at = timezone.now()
        claim.report_started_at = report_started_at(claim, started_at, claim.submitted_at)
        # The move comes first so that a claim already reported or closed is
        # refused as such; a report refused below undoes it with the transaction.
        _claim_move(
            claim,
            ClaimState.SUBMITTED,
            by=by,
            update_fields=("submitted_at", "report_started_at"),
            message=_reported_or_closed(),
        )
        _held_until_refresh(mission)
        claim.answers = clean_answers(mission, claim, answers or {})
        check_not_empty(mission, claim, claim.answers, text)
        claim.text = text.strip()
        claim.links = links_cleaned
        claim.save(update_fields=["answers", "text", "links"])
        _measure_time(mission)
        notify(
            user=mission.company,
            kind="report_submitted",
            title=lambda: _("New report on “%(title)s”") % {"title": mission.title},
            body=lambda: (
                _("%(tasker)s has finished the mission. Review the report within %(days)s days.")
                % {"tasker": by.display_name, "days": AUTO_APPROVE_DAYS}
            ),
            url=reverse("missions:company_mission", args=[mission.pk]),
            email=True,
        )
        events.report_submitted(claim, mission)
    return claim


def _measure_time(mission: Mission) -> None:
    """Keep the median time taskers really took (PL04); the first time it puts
    the reward under the SMIC prorated to that time, tell the company, and
    staff see the mission flagged. The caller holds the mission's lock."""
    measured = measured_median_seconds(mission)
    if measured is None:
        return
    mission.measured_seconds = measured
    fields = ["measured_seconds"]
    minimum = minimum_reward_cents(measured, timezone.localdate())
    if mission.reward_cents < minimum and mission.underpaid_at is None:
        mission.underpaid_at = timezone.now()
        fields.append("underpaid_at")
        notify(
            user=mission.company,
            kind="mission_underpaid",
            title=lambda: _("“%(title)s” pays under the minimum wage in practice") % {"title": mission.title},
            body=lambda: (
                _(
                    "Taskers really take %(duration)s (median of the reports): at that pace the reward should be at "
                    "least %(minimum)s. Raise the reward of your next missions, or add a bonus to the approved reports."
                )
                % {"duration": duration_label(measured), "minimum": format_eur(minimum)}
            ),
            url=reverse("missions:company_mission", args=[mission.pk]),
            email=True,
        )
    Mission.objects.filter(pk=mission.pk).update(**{name: getattr(mission, name) for name in fields})


def report_file_add(*, claim: Claim, by: User, question_key: str, upload: UploadedFile) -> ReportFile:
    """Attach a photo or file to an active claim's report (HM13).

    A photo's capture time, position and perceptual hash are read from the
    file as sent, before its metadata is stripped, and kept on the report
    file: the company sees them weighed against the claim and the mission's
    place (`selectors.photo_proof`). A photo that is the same as, or nearly,
    one sent before on any claim, by anyone, is linked to it both ways."""
    if claim.tasker_id != by.pk:
        raise Forbidden()
    _refuse_if_lapsed(claim)
    question = next((q for q in claim.mission.questions if q["key"] == question_key), None)
    if question is None or question["kind"] not in UPLOAD_KINDS:
        raise InvalidInput(_("This question does not take a file."), field="question")
    photo = question["kind"] == "photo"
    checked = report_upload_check(upload, photo=photo)
    facts = photo_facts(upload, report_upload_rule(photo=photo)) if checked.is_image else None
    # Written before the transaction opens: storage may be a slow remote service.
    folder = f"reports/{claim.pk}/{question_key}-"
    shown = ContentFile(checked.clean) if checked.clean is not None else upload
    paths = [default_storage.save(f"{folder}{server_file_name(checked.content_type)}", shown)]
    if checked.clean is not None:
        paths.append(default_storage.save(f"{folder}original-{server_file_name(checked.content_type)}", upload))
    try:
        with transaction.atomic():
            claim, _mission = _claim_and_mission_locked(claim)
            if not claim_takes_report(claim):
                raise WrongState(_reported_or_closed())
            replaced = list(claim.files.filter(question_key=question_key))
            for old in replaced:
                old.delete()
            added = ReportFile.objects.create(
                claim=claim,
                question_key=question_key,
                file=paths[0],
                original=paths[1] if len(paths) > 1 else "",
                content_type=checked.content_type,
                size=len(checked.clean) if checked.clean is not None else checked.size,
                **photo_fields(facts),
            )
            photo_link_duplicate(added)
            stale = [name for old in replaced for name in (old.file.name, old.original.name) if name]
            transaction.on_commit(lambda: _storage_delete(stale))
            return added
    except BaseException:
        _storage_delete(paths)
        raise


def _storage_delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
