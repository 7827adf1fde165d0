"""Every write on micro-missions and claims (SPEC HM).

Locks are always taken in the same order: the tasker's user row, then
missions by primary key, then claims. Money moves through the ledger only:
submitting reserves every place's cost (reward, fee, VAT on the fee) into the
mission's escrow; an approval pays one place out of it; a place that can no
longer be claimed is refunded to the company.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from microwork.accounts.models import User
from microwork.accounts.services import PhoneNotVerified
from microwork.core.errors import Conflict, Forbidden, InvalidInput
from microwork.core.money import format_eur, percent_of
from microwork.core.states import WrongState, state_move, state_start
from microwork.ledger.models import AccountKind
from microwork.ledger.services import entry_post, escrow_of, give_back, spend, system_account, wallet_of
from microwork.notifications.services import notify

from .models import (
    CLAIM_MOVES,
    MISSION_MOVES,
    Category,
    Claim,
    ClaimState,
    ClaimTransition,
    Mission,
    MissionState,
    MissionTransition,
    ReportFile,
)
from .selectors import claim_has_lapsed, claim_takes_report, dispute_window_open, mission_is_editable

FEE_BASIS_POINTS = 2000  # 20% of the reward (HM10)
VAT_BASIS_POINTS = 2000  # French standard rate, on the fee
REWARD_CAP_CENTS = 100_00  # HM09
CLAIM_HOURS = 48  # HM04
MAX_ACTIVE_CLAIMS = 2  # HM05
EXPIRING_STATES = (MissionState.PUBLISHED, MissionState.PENDING_REVIEW)  # HM15b
AUTO_APPROVE_DAYS = 3  # HM14
MAX_PLACES = 1000
MAX_MINUTES = 8 * 60
MAX_RADIUS_KM = 500
MAX_QUESTIONS = 20
QUESTION_KINDS = ("short_text", "long_text", "choice", "url", "photo", "file")
UPLOAD_KINDS = ("photo", "file")
REPORT_FILE_MAX_BYTES = 10 * 1024 * 1024
# HM13: a few words stand for a written account; a single "ok" or "done" does not.
ACCOUNT_MIN_CHARS = 10
FILE_TYPES = {b"%PDF-": "application/pdf"}


class RewardBelowMinimumWage(InvalidInput):
    code = "reward_below_minimum_wage"


class RewardAboveCap(InvalidInput):
    code = "reward_above_cap"


class MissionNotAvailable(Conflict):
    code = "mission_not_available"


class MissionFull(Conflict):
    code = "mission_full"


class AlreadyClaimed(Conflict):
    code = "already_claimed"


class ClaimLimitReached(Conflict):
    code = "claim_limit_reached"


class ClaimLapsed(Conflict):
    code = "claim_lapsed"


class DisputeWindowClosed(Conflict):
    code = "dispute_window_closed"


class AutoApproved(Conflict):
    code = "wrong_state"

    def __init__(self) -> None:
        super().__init__(_("This report was left unreviewed for 3 days and has been validated automatically."))


# --- Prices and rules -----------------------------------------------------


def place_price(reward_cents: int) -> tuple[int, int]:
    """(fee, VAT on the fee) for one place: each rounded half-up once, then stored."""
    fee = percent_of(reward_cents, FEE_BASIS_POINTS)
    return fee, percent_of(fee, VAT_BASIS_POINTS)


def price_summary(reward_cents: int, places: int) -> dict[str, int]:
    """What a mission costs, place by place and in all (HM10), as its pages show it."""
    fee, vat = place_price(reward_cents)
    place = reward_cents + fee + vat
    return {"reward": reward_cents, "fee": fee, "vat": vat, "place": place, "places": places, "total": place * places}


def smic_hourly_cents(on: date) -> int:
    """The gross hourly minimum wage in force on that day (HM08)."""
    rate = settings.SMIC_HOURLY_CENTS[0][1]
    for since, cents in settings.SMIC_HOURLY_CENTS:
        if on >= since:
            rate = cents
    return int(rate)


def minimum_reward_cents(estimated_minutes: int, on: date) -> int:
    """The SMIC prorated to the duration, rounded up to the cent (HM08)."""
    return math.ceil(smic_hourly_cents(on) * estimated_minutes / 60)


def reward_check(*, reward_cents: int, estimated_minutes: int, on: date) -> None:
    if reward_cents > REWARD_CAP_CENTS:
        raise RewardAboveCap(
            _("A place pays at most %(cap)s.") % {"cap": format_eur(REWARD_CAP_CENTS)}, field="reward_cents"
        )
    minimum = minimum_reward_cents(estimated_minutes, on)
    if reward_cents < minimum:
        raise RewardBelowMinimumWage(
            _("For %(minutes)s minutes the reward must be at least %(minimum)s (minimum wage).")
            % {"minutes": estimated_minutes, "minimum": format_eur(minimum)},
            field="reward_cents",
        )


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    radius_km: float


def _clean_location(location: Location | None) -> Location | None:
    if location is None:
        return None
    if not (-90 <= location.lat <= 90 and -180 <= location.lon <= 180):
        raise InvalidInput(_("Latitude is between -90 and 90, longitude between -180 and 180."), field="location")
    if not (0 < location.radius_km <= MAX_RADIUS_KM):
        raise InvalidInput(
            _("The radius is between 0 and %(max)s km.") % {"max": MAX_RADIUS_KM}, field="location.radius_km"
        )
    return location


def _clean_questions(questions: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    questions = list(questions or [])
    # A question without a key gets the first free "qN", never one another question names.
    named = {str(q.get("key")).strip() for q in questions if isinstance(q, dict) and q.get("key")}
    free_keys = (f"q{n}" for n in range(1, 10_000) if f"q{n}" not in named)
    for index, question in enumerate(questions, start=1):
        if not isinstance(question, dict):
            raise InvalidInput(_("Each question is an object."), field=f"questions.{index}")
        label = str(question.get("label") or "").strip()
        kind = question.get("kind")
        key = str(question.get("key") or "").strip() or next(free_keys)
        if not label or len(label) > 300:
            raise InvalidInput(
                _("A question needs a label (at most 300 characters)."), field=f"questions.{index}.label"
            )
        if kind not in QUESTION_KINDS:
            raise InvalidInput(
                _("A question's kind is one of: %(kinds)s.") % {"kinds": ", ".join(QUESTION_KINDS)},
                field=f"questions.{index}.kind",
            )
        if not key.replace("_", "").replace("-", "").isalnum() or len(key) > 64 or key in seen:
            raise InvalidInput(_("Question keys are unique short words."), field=f"questions.{index}.key")
        seen.add(key)
        choices: list[str] = []
        if kind == "choice":
            raw_choices = question.get("choices")
            if not isinstance(raw_choices, list):
                raise InvalidInput(_("A choice question lists its choices."), field=f"questions.{index}.choices")
            choices = [str(choice).strip()[:200] for choice in raw_choices if str(choice).strip()]
            if len(choices) < 2:
                raise InvalidInput(
                    _("A choice question needs at least two choices."), field=f"questions.{index}.choices"
                )
        cleaned.append(
            {
                "key": key,
                "label": label,
                "kind": kind,
                "required": bool(question.get("required", True)),
                "choices": choices,
            }
        )
    if len(cleaned) > MAX_QUESTIONS:
        raise InvalidInput(_("At most %(max)s questions.") % {"max": MAX_QUESTIONS}, field="questions")
    return cleaned


# A date past the year 9999 in UTC cannot be stored (SQLite) or read back (PostgreSQL).
ENDS_AT_LIMIT = datetime(9999, 1, 1, tzinfo=UTC)


def _clean_mission_fields(
    *,
    title: str,
    category: str,
    instructions: str,
    estimated_minutes: int,
    reward_cents: int,
    places: int,
    ends_at: datetime | None,
) -> None:
    if not title.strip() or len(title) > 200:
        raise InvalidInput(_("A title is required (at most 200 characters)."), field="title")
    if category not in Category.values:
        raise InvalidInput(_("Unknown category."), field="category")
    if len(instructions.strip()) < 20:
        raise InvalidInput(_("Give precise instructions (at least 20 characters)."), field="instructions")
    if not 1 <= estimated_minutes <= MAX_MINUTES:
        raise InvalidInput(
            _("A mission takes between 1 and %(max)s minutes.") % {"max": MAX_MINUTES}, field="estimated_minutes"
        )
    if not 1 <= places <= MAX_PLACES:
        raise InvalidInput(_("Between 1 and %(max)s places.") % {"max": MAX_PLACES}, field="places")
    if ends_at is not None and timezone.is_naive(ends_at):
        raise InvalidInput(_("Give the end date with its time zone offset."), field="ends_at")
    if ends_at is not None and ends_at <= timezone.now():
        raise InvalidInput(_("The end date must be in the future."), field="ends_at")
    if ends_at is not None and ends_at >= ENDS_AT_LIMIT:
        raise InvalidInput(_("The end date is too far ahead."), field="ends_at")
    reward_check(reward_cents=reward_cents, estimated_minutes=estimated_minutes, on=timezone.localdate())


# --- Missions -------------------------------------------------------------


def mission_create(
    *,
    company: User,
    title: str,
    category: str,
    instructions: str,
    estimated_minutes: int,
    reward_cents: int,
    places: int,
    location: Location | None = None,
    ends_at: datetime | None = None,
    questions: Iterable[dict[str, Any]] | None = None,
) -> Mission:
    """A draft mission, priced but not yet paid for (HM06-HM10, HM12)."""
    if not company.is_company:
        raise Forbidden(_("Only companies post missions."))
    _clean_mission_fields(
        title=title,
        category=category,
        instructions=instructions,
        estimated_minutes=estimated_minutes,
        reward_cents=reward_cents,
        places=places,
        ends_at=ends_at,
    )
    where = _clean_location(location)
    cleaned_questions = _clean_questions(questions)
    fee, vat = place_price(reward_cents)
    with transaction.atomic():
        mission = Mission.objects.create(
            company=company,
            title=title.strip(),
            category=category,
            instructions=instructions.strip(),
            estimated_minutes=estimated_minutes,
            reward_cents=reward_cents,
            fee_cents=fee,
            vat_cents=vat,
            places=places,
            places_free=places,
            latitude=where.lat if where else None,
            longitude=where.lon if where else None,
            radius_km=where.radius_km if where else None,
            ends_at=ends_at,
            questions=cleaned_questions,
        )
        state_start(mission, allowed=MISSION_MOVES, history=MissionTransition, by=company, mission=mission)
    return mission


def mission_batch_create(*, company: User, rows: list[dict[str, Any]]) -> list[Mission]:
    """Many missions at once (MW04): all are created, or none. `rows` come
    already parsed; each error names its row (1 = the first data row)."""
    if not company.is_company:
        raise Forbidden(_("Only companies post missions."))
    errors: list[dict[str, str]] = []
    with transaction.atomic():
        created: list[Mission] = []
        for number, row in enumerate(rows, start=1):
            try:
                with transaction.atomic():
                    created.append(mission_create(company=company, **row))
            except InvalidInput as exc:
                errors.append({"field": f"row {number}: {exc.field or 'row'}", "message": exc.detail})
        if errors:
            transaction.set_rollback(True)
            raise BatchInvalid(errors)
    return created


class BatchInvalid(InvalidInput):
    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__(
            _("%(count)s row(s) are not valid; nothing was created.") % {"count": len(errors)}, field="file"
        )


def _mission_locked(mission: Mission) -> Mission:
    return Mission.objects.select_for_update().get(pk=mission.pk)


def _require_owner(mission: Mission, company: User) -> None:
    if mission.company_id != company.pk:
        raise Forbidden(_("This mission belongs to another company."))


def mission_submit(*, mission: Mission, by: User) -> Mission:
    """Send the mission to review, reserving its whole cost in escrow (HM10, HM11)."""
    _require_owner(mission, by)
    with transaction.atomic():
        mission = _mission_locked(mission)
        today = timezone.localdate()
        mission.submissions += 1
        mission.submitted_at = timezone.now()
        mission.smic_hourly_cents = smic_hourly_cents(today)
        mission.places_free = mission.places
        # The move comes first so that a mission in the wrong state is refused
        # as such; any refusal below undoes it with the transaction.
        state_move(
            mission,
            MissionState.PENDING_REVIEW,
            allowed=MISSION_MOVES,
            history=MissionTransition,
            by=by,
            update_fields=("submissions", "submitted_at", "smic_hourly_cents", "places_free"),
            message=_("Only a draft can be submitted."),
            mission=mission,
        )
        # Checked against the minimum wage in force on the day it is submitted.
        reward_check(reward_cents=mission.reward_cents, estimated_minutes=mission.estimated_minutes, on=today)
        if mission.ends_at is not None and mission.ends_at <= timezone.now():
            raise InvalidInput(_("The end date has passed; change it first."), field="ends_at")
        spend(
            kind="mission_reserve",
            idempotency_key=f"mission-reserve:{mission.pk}:{mission.submissions}",
            payer=by,
            to=[(escrow_of(mission.escrow_ref), mission.cost_cents)],
            memo=mission.title,
            ref=mission.escrow_ref,
            by=by,
        )
    return mission


def _require_staff(user: User) -> None:
    if not user.is_staff_member:
        raise Forbidden(_("Only staff moderate missions."))


def mission_publish(*, mission: Mission, by: User) -> Mission:
    _require_staff(by)
    # Past its end date it expires and is refunded instead, whether or not tick has run (HM15b).
    if mission_expire(mission=mission).state == MissionState.EXPIRED:
        raise MissionNotAvailable(_("The mission's end date has passed; its reservation was refunded."))
    with transaction.atomic():
        mission = _mission_locked(mission)
        mission.published_at = timezone.now()
        state_move(
            mission,
            MissionState.PUBLISHED,
            allowed=MISSION_MOVES,
            history=MissionTransition,
            by=by,
            update_fields=("published_at",),
            mission=mission,
        )
        notify(
            user=mission.company,
            kind="mission_published",
            title=_("Your mission “%(title)s” is published.") % {"title": mission.title},
            url=reverse("missions:company_mission", args=[mission.pk]),
        )
    return mission


def _unreserve(mission: Mission, *, by: User | None) -> None:
    """Give back the whole reservation of a mission that was never published."""
    give_back(
        kind="mission_unreserve",
        idempotency_key=f"mission-unreserve:{mission.pk}:{mission.submissions}",
        payer=mission.company,
        source=escrow_of(mission.escrow_ref),
        amount_cents=mission.cost_cents,
        memo=mission.title,
        ref=mission.escrow_ref,
        by=by,
    )


def mission_request_changes(*, mission: Mission, by: User, reason: str) -> Mission:
    """Send the mission back to the company; its reservation is refunded until it resubmits."""
    _require_staff(by)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Tell the company what to change."), field="reason")
    with transaction.atomic():
        mission = _mission_locked(mission)
        mission.change_reason = reason
        state_move(
            mission,
            MissionState.CHANGES_REQUESTED,
            allowed=MISSION_MOVES,
            history=MissionTransition,
            by=by,
            reason=reason,
            update_fields=("change_reason",),
            message=_("Only a mission pending review can be sent back."),
            mission=mission,
        )
        _unreserve(mission, by=by)
        notify(
            user=mission.company,
            kind="mission_changes_requested",
            title=_("Changes requested on “%(title)s”") % {"title": mission.title},
            body=reason,
            url=reverse("missions:company_mission", args=[mission.pk]),
            email=True,
        )
    return mission


def mission_update(*, mission: Mission, by: User, **fields: Any) -> Mission:
    """Edit a draft, or a mission sent back for changes."""
    _require_owner(mission, by)
    with transaction.atomic():
        mission = _mission_locked(mission)
        if not mission_is_editable(mission):
            raise WrongState(_("Only a draft can be edited."))
        values: dict[str, Any] = {
            "title": mission.title,
            "category": mission.category,
            "instructions": mission.instructions,
            "estimated_minutes": mission.estimated_minutes,
            "reward_cents": mission.reward_cents,
            "places": mission.places,
            "ends_at": mission.ends_at,
        }
        values.update({k: v for k, v in fields.items() if k in values})
        _clean_mission_fields(**values)
        for name, value in values.items():
            setattr(mission, name, value)
        if "location" in fields:
            where = _clean_location(fields["location"])
            mission.latitude = where.lat if where else None
            mission.longitude = where.lon if where else None
            mission.radius_km = where.radius_km if where else None
        if "questions" in fields:
            mission.questions = _clean_questions(fields["questions"])
        mission.fee_cents, mission.vat_cents = place_price(mission.reward_cents)
        mission.places_free = mission.places
        mission.save()
    return mission


def _refund_free_places(mission: Mission, *, key: str, by: User | None) -> None:
    """Give the company back the cost of every place nobody holds (HM15b)."""
    if mission.places_free > 0:
        give_back(
            kind="mission_refund",
            idempotency_key=key,
            payer=mission.company,
            source=escrow_of(mission.escrow_ref),
            amount_cents=mission.places_free * mission.place_cost_cents,
            memo=mission.title,
            ref=mission.escrow_ref,
            by=by,
        )
    mission.places_free = 0


def mission_withdraw(*, mission: Mission, by: User) -> Mission:
    """Close the mission; unclaimed places are refunded, claimed ones stay funded until they end (HM15b)."""
    _require_owner(mission, by)
    with transaction.atomic():
        mission = _mission_locked(mission)
        if mission.state == MissionState.PENDING_REVIEW:
            _unreserve(mission, by=by)
            mission.places_free = 0
        elif mission.state == MissionState.PUBLISHED:
            _refund_free_places(mission, key=f"mission-withdraw:{mission.pk}", by=by)
        else:
            mission.places_free = 0
        state_move(
            mission,
            MissionState.CLOSED,
            allowed=MISSION_MOVES,
            history=MissionTransition,
            by=by,
            update_fields=("places_free",),
            mission=mission,
        )
    return mission


def mission_expire(*, mission: Mission) -> Mission:
    """A mission published or in review past its end date: free places are refunded (HM15b)."""
    with transaction.atomic():
        mission = _mission_locked(mission)
        if mission.state not in EXPIRING_STATES or mission.ends_at is None or mission.ends_at > timezone.now():
            return mission
        if mission.state == MissionState.PENDING_REVIEW:
            _unreserve(mission, by=None)
            mission.places_free = 0
        else:
            _refund_free_places(mission, key=f"mission-expire:{mission.pk}", by=None)
        state_move(
            mission,
            MissionState.EXPIRED,
            allowed=MISSION_MOVES,
            history=MissionTransition,
            update_fields=("places_free",),
            mission=mission,
        )
    return mission


def missions_expire_due() -> int:
    due = Mission.objects.filter(state__in=EXPIRING_STATES, ends_at__lte=timezone.now()).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        if mission_expire(mission=Mission(pk=pk)).state == MissionState.EXPIRED:
            count += 1
    return count


def mission_is_open(mission: Mission) -> bool:
    """Published and before its end date: the mission takes claims."""
    return mission.state == MissionState.PUBLISHED and (mission.ends_at is None or mission.ends_at > timezone.now())


# --- Claims ---------------------------------------------------------------


def _claim_move(
    claim: Claim,
    to: str,
    *,
    by: User | None,
    reason: str = "",
    fields: tuple[str, ...] = (),
    message: str | None = None,
) -> None:
    state_move(
        claim,
        to,
        allowed=CLAIM_MOVES,
        history=ClaimTransition,
        by=by,
        reason=reason,
        update_fields=fields,
        message=message,
        claim=claim,
    )


def _return_place(claim: Claim, mission: Mission, *, by: User | None) -> None:
    """The claim's place goes back to the pool, or back to the company once
    the mission no longer takes claims. The caller holds the mission's lock."""
    if mission.state == MissionState.PUBLISHED:
        Mission.objects.filter(pk=mission.pk).update(places_free=F("places_free") + 1)
        mission.places_free += 1
    else:
        give_back(
            kind="mission_refund",
            idempotency_key=f"claim-return:{claim.pk}:{claim.state}",
            payer=mission.company,
            source=escrow_of(mission.escrow_ref),
            amount_cents=mission.place_cost_cents,
            memo=mission.title,
            ref=mission.escrow_ref,
            by=by,
        )


def _lapse_locked(claim: Claim, mission: Mission) -> bool:
    """Lapse an active claim past its deadline (HM04). Mission locked by the caller."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.state != ClaimState.ACTIVE or claim.deadline_at > timezone.now():
        return False
    _claim_move(claim, ClaimState.LAPSED, by=None, reason="deadline passed")
    _return_place(claim, mission, by=None)
    return True


def claim_create(*, mission: Mission, tasker: User) -> Claim:
    """Take a place, first come, first served (MW01, HM04, HM05, HM12)."""
    if not tasker.is_tasker:
        raise Forbidden(_("Only taskers take missions."))
    if not tasker.phone_verified:
        raise PhoneNotVerified(_("Verify your phone number before taking a mission."))
    now = timezone.now()
    with transaction.atomic():
        # One tasker's claims queue here, so HM05 holds under double clicks.
        User.objects.select_for_update().only("pk").get(pk=tasker.pk)
        own_due = list(
            Claim.objects.filter(tasker=tasker, state=ClaimState.ACTIVE, deadline_at__lte=now).values_list(
                "pk", "mission_id"
            )
        )
        mission_ids = sorted({mission.pk} | {mission_id for _pk, mission_id in own_due})
        missions = {m.pk: m for m in Mission.objects.select_for_update().filter(pk__in=mission_ids).order_by("pk")}
        for claim_pk, mission_id in own_due:
            _lapse_locked(Claim(pk=claim_pk), missions[mission_id])
        target = missions.get(mission.pk)
        if target is None or not mission_is_open(target):
            raise MissionNotAvailable(_("This mission is not open for claims."))
        if Claim.objects.filter(mission=target, tasker=tasker).exists():
            raise AlreadyClaimed(_("You have already taken this mission."))
        if Claim.objects.filter(tasker=tasker, state=ClaimState.ACTIVE).count() >= MAX_ACTIVE_CLAIMS:
            raise ClaimLimitReached(
                _("You already have %(count)s missions in progress; report one first.") % {"count": MAX_ACTIVE_CLAIMS}
            )
        if target.places_free <= 0:
            # A place held past its deadline goes back to the pool now, not at the next tick.
            for stale in Claim.objects.filter(mission=target, state=ClaimState.ACTIVE, deadline_at__lte=now):
                _lapse_locked(stale, target)
            if target.places_free <= 0:
                raise MissionFull(_("All places are taken."))
        Mission.objects.filter(pk=target.pk).update(places_free=F("places_free") - 1)
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    mission=target,
                    tasker=tasker,
                    claimed_at=now,
                    deadline_at=now + timedelta(hours=CLAIM_HOURS),
                )
        except IntegrityError:
            raise AlreadyClaimed(_("You have already taken this mission.")) from None
        state_start(claim, allowed=CLAIM_MOVES, history=ClaimTransition, by=tasker, claim=claim)
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
        _return_place(claim, mission, by=by)
    return claim


def claim_lapse_if_due(*, claim: Claim) -> bool:
    with transaction.atomic():
        claim, mission = _claim_and_mission_locked(claim)
        return _lapse_locked(claim, mission)


def claims_lapse_due() -> int:
    due = Claim.objects.filter(state=ClaimState.ACTIVE, deadline_at__lte=timezone.now()).values_list("pk", "mission_id")
    return sum(claim_lapse_if_due(claim=Claim(pk=pk, mission_id=mission_id)) for pk, mission_id in list(due))


def _check_answers(mission: Mission, claim: Claim, answers: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    uploaded = set(claim.files.values_list("question_key", flat=True))
    url_check = URLValidator(schemes=["http", "https"])
    for question in mission.questions:
        key, kind = question["key"], question["kind"]
        if kind in UPLOAD_KINDS:
            if question["required"] and key not in uploaded:
                raise InvalidInput(_("Attach the requested photo or file."), field=f"answers.{key}")
            continue
        value = answers.get(key)
        text = "" if value is None else str(value).strip()
        if not text:
            if question["required"]:
                raise InvalidInput(_("This question needs an answer."), field=f"answers.{key}")
            continue
        if len(text) > 5000:
            raise InvalidInput(_("At most 5000 characters."), field=f"answers.{key}")
        if kind == "short_text" and len(text) > 300:
            raise InvalidInput(_("A short answer is at most 300 characters."), field=f"answers.{key}")
        if kind == "choice" and text not in question["choices"]:
            raise InvalidInput(_("Pick one of the choices."), field=f"answers.{key}")
        if kind == "url":
            try:
                url_check(text)
            except ValidationError:
                raise InvalidInput(_("Enter a valid web address."), field=f"answers.{key}") from None
        cleaned[key] = text
    unknown = set(answers) - {q["key"] for q in mission.questions}
    if unknown:
        raise InvalidInput(_("Unknown question: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}, field="answers")
    return cleaned


def _account_length(text: str) -> int:
    """The length of a written account, runs of spaces and line breaks counting as one."""
    return len(" ".join(text.split()))


def _check_not_empty(mission: Mission, claim: Claim, answers: dict[str, Any], text: str) -> None:
    """A report is never empty (HM13). Required questions are enforced by
    `_check_answers`; a report that answers none, because the mission asks none
    or only optional ones, must carry a written account instead."""
    if answers or claim.files.exists():
        return
    if _account_length(text) >= ACCOUNT_MIN_CHARS:
        return
    if mission.questions:
        message = _(
            "Answer at least one question, or describe what you did in the comments (at least %(min)s characters)."
        )
    else:
        message = _("Describe what you did (at least %(min)s characters): this account is your report.")
    raise InvalidInput(message % {"min": ACCOUNT_MIN_CHARS}, field="text")


def _reported_or_closed() -> str:
    return _("This claim has already been reported or closed.")


def _refuse_if_lapsed(claim: Claim) -> None:
    """A report after the deadline is refused at once, whether or not tick has run (HM04)."""
    if claim_has_lapsed(claim):
        if claim.state == ClaimState.ACTIVE:
            claim_lapse_if_due(claim=claim)
        raise ClaimLapsed(_("The 48 hours to finish this mission have passed."))


def claim_report(
    *, claim: Claim, by: User, answers: dict[str, Any] | None = None, text: str = "", links: list[str] | None = None
) -> Claim:
    """The end-of-mission report (HM13); the company is alerted at once (HM14)."""
    if claim.tasker_id != by.pk:
        raise Forbidden()
    _refuse_if_lapsed(claim)
    url_check = URLValidator(schemes=["http", "https"])
    clean_links = []
    for link in links or []:
        try:
            url_check(str(link))
        except ValidationError:
            raise InvalidInput(_("Enter valid web addresses."), field="links") from None
        clean_links.append(str(link))
    if len(clean_links) > 20 or len(text) > 10_000:
        raise InvalidInput(_("The report is too long."), field="text")
    with transaction.atomic():
        claim, mission = _claim_and_mission_locked(claim)
        _refuse_if_lapsed(claim)
        claim.submitted_at = timezone.now()
        # The move comes first so that a claim already reported or closed is
        # refused as such; a report refused below undoes it with the transaction.
        _claim_move(claim, ClaimState.SUBMITTED, by=by, fields=("submitted_at",), message=_reported_or_closed())
        claim.answers = _check_answers(mission, claim, answers or {})
        _check_not_empty(mission, claim, claim.answers, text)
        claim.text = text.strip()
        claim.links = clean_links
        claim.save(update_fields=["answers", "text", "links"])
        notify(
            user=mission.company,
            kind="report_submitted",
            title=_("New report on “%(title)s”") % {"title": mission.title},
            body=_("%(tasker)s has finished the mission. Review the report within %(days)s days.")
            % {"tasker": by.display_name, "days": AUTO_APPROVE_DAYS},
            url=reverse("missions:company_mission", args=[mission.pk]),
            email=True,
        )
    return claim


def _sniff_upload(upload: UploadedFile, *, photo: bool) -> str:
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not photo:
        for magic, content_type in FILE_TYPES.items():
            if head.startswith(magic):
                return content_type
    try:
        with Image.open(upload) as image:
            image.verify()
            kind = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}.get(image.format or "")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = None
    finally:
        upload.seek(0)
    if kind is None:
        raise InvalidInput(
            _("Upload a JPEG, PNG or WebP photo.") if photo else _("Upload a PDF or an image."), field="file"
        )
    return kind


def report_file_add(*, claim: Claim, by: User, question_key: str, upload: UploadedFile) -> ReportFile:
    """Attach a photo or file to an active claim's report (HM13)."""
    if claim.tasker_id != by.pk:
        raise Forbidden()
    _refuse_if_lapsed(claim)
    question = next((q for q in claim.mission.questions if q["key"] == question_key), None)
    if question is None or question["kind"] not in UPLOAD_KINDS:
        raise InvalidInput(_("This question does not take a file."), field="question")
    if not upload.size:
        raise InvalidInput(_("The file is empty."), field="file")
    if upload.size > REPORT_FILE_MAX_BYTES:
        raise InvalidInput(_("The file is larger than 10 MB."), field="file")
    content_type = _sniff_upload(upload, photo=question["kind"] == "photo")
    with transaction.atomic():
        claim, _mission = _claim_and_mission_locked(claim)
        if not claim_takes_report(claim):
            raise WrongState(_reported_or_closed())
        claim.files.filter(question_key=question_key).delete()
        return ReportFile.objects.create(
            claim=claim, question_key=question_key, file=upload, content_type=content_type, size=upload.size
        )


def _pay_place(claim: Claim, mission: Mission, *, by: User | None) -> None:
    """One place's money out of escrow: reward to the tasker, fee to revenue, VAT (HM14, HM16)."""
    entry_post(
        kind="claim_approve",
        idempotency_key=f"claim-approve:{claim.pk}",
        lines=[
            (escrow_of(mission.escrow_ref), -mission.place_cost_cents),
            (wallet_of(claim.tasker), mission.reward_cents),
            (system_account(AccountKind.REVENUE), mission.fee_cents),
            (system_account(AccountKind.VAT), mission.vat_cents),
        ],
        memo=mission.title,
        ref=f"claim:{claim.pk}",
        by=by,
    )


def _approve_locked(claim: Claim, mission: Mission, *, by: User | None, rating: int | None, comment: str) -> None:
    claim.rating = rating
    claim.comment = comment
    claim.reviewed_at = timezone.now()
    claim.auto_approved = by is None
    _claim_move(
        claim,
        ClaimState.APPROVED,
        by=by,
        fields=("rating", "comment", "reviewed_at", "auto_approved"),
        message=_("Only a submitted report can be approved."),
    )
    _pay_place(claim, mission, by=by)
    Mission.objects.filter(pk=mission.pk).update(places_approved=F("places_approved") + 1)
    mission.places_approved += 1
    if mission.places_approved >= mission.places and mission.state == MissionState.PUBLISHED:
        state_move(mission, MissionState.CLOSED, allowed=MISSION_MOVES, history=MissionTransition, mission=mission)
    notify(
        user=claim.tasker,
        kind="claim_approved",
        title=_("Report approved: %(amount)s credited") % {"amount": format_eur(mission.reward_cents)},
        url=reverse("missions:my_claims"),
    )


def _require_company_of(claim: Claim, user: User) -> None:
    if claim.mission.company_id != user.pk:
        raise Forbidden()


def _rating(rating: int | None, *, required: bool) -> int | None:
    if rating is None and not required:
        return None
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput(_("Rate the work from 1 to 5."), field="rating")
    return rating


def claim_approve(*, claim: Claim, by: User, rating: int, comment: str = "") -> Claim:
    """The company validates the report: the tasker is credited the reward (HM14)."""
    _require_company_of(claim, by)
    rating_value = _rating(rating, required=True)
    with transaction.atomic():
        claim, mission = _claim_and_mission_locked(claim)
        _approve_locked(claim, mission, by=by, rating=rating_value, comment=comment.strip()[:2000])
    return claim


def claim_reject(*, claim: Claim, by: User, reason: str, rating: int | None = None) -> Claim:
    """The company refuses the report; the place returns to the pool (HM14)."""
    _require_company_of(claim, by)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Tell the tasker why the report is rejected."), field="reason")
    rating_value = _rating(rating, required=False)
    # Past 3 days the report is validated whether or not tick has run (HM14).
    if _auto_approve_if_due(claim):
        raise AutoApproved()
    with transaction.atomic():
        claim, mission = _claim_and_mission_locked(claim)
        if _auto_approval_due(claim):
            raise AutoApproved()
        claim.rejection_reason = reason[:2000]
        claim.rating = rating_value
        claim.reviewed_at = timezone.now()
        _claim_move(
            claim,
            ClaimState.REJECTED,
            by=by,
            reason=reason,
            fields=("rejection_reason", "rating", "reviewed_at"),
            message=_("Only a submitted report can be rejected."),
        )
        _return_place(claim, mission, by=by)
        notify(
            user=claim.tasker,
            kind="claim_rejected",
            title=_("Report rejected on “%(title)s”") % {"title": mission.title},
            body=reason,
            url=reverse("missions:my_claims"),
            email=True,
        )
    return claim


def _auto_approval_due(claim: Claim) -> bool:
    cutoff = timezone.now() - timedelta(days=AUTO_APPROVE_DAYS)
    return claim.state == ClaimState.SUBMITTED and claim.submitted_at is not None and claim.submitted_at <= cutoff


def _auto_approve_if_due(claim: Claim) -> bool:
    with transaction.atomic():
        claim, mission = _claim_and_mission_locked(claim)
        if not _auto_approval_due(claim):
            return False
        _approve_locked(claim, mission, by=None, rating=None, comment="")
        return True


def claims_auto_approve_due() -> int:
    """Reports left unreviewed for 3 days are approved, so no tasker is left unpaid (HM14)."""
    cutoff = timezone.now() - timedelta(days=AUTO_APPROVE_DAYS)
    due = list(
        Claim.objects.filter(state=ClaimState.SUBMITTED, submitted_at__lte=cutoff).values_list("pk", "mission_id")
    )
    return sum(_auto_approve_if_due(Claim(pk=pk, mission_id=mission_id)) for pk, mission_id in due)


def claim_dispute(*, claim: Claim, by: User, reason: str) -> Claim:
    """The tasker contests a rejection within 7 days (HM15)."""
    if claim.tasker_id != by.pk:
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Explain why you contest the rejection."), field="reason")
    with transaction.atomic():
        claim, _mission = _claim_and_mission_locked(claim)
        claim.dispute_reason = reason[:2000]
        claim.disputed_at = timezone.now()
        _claim_move(
            claim,
            ClaimState.DISPUTED,
            by=by,
            reason=reason,
            fields=("dispute_reason", "disputed_at"),
            message=_("Only a rejected report can be contested."),
        )
        if not dispute_window_open(claim):
            raise DisputeWindowClosed(_("A rejection can be contested within 7 days."))
    return claim


def claim_settle(*, claim: Claim, by: User, tasker_paid_cents: int) -> Claim:
    """Staff decide a dispute: what goes to the tasker is charged to the
    company with its fee and VAT, even below a zero balance (HM15)."""
    _require_staff(by)
    with transaction.atomic():
        claim, mission = _claim_and_mission_locked(claim)
        claim.settled_at = timezone.now()
        _claim_move(
            claim, ClaimState.SETTLED, by=by, fields=("settled_at",), message=_("Only a disputed claim can be settled.")
        )
        if not isinstance(tasker_paid_cents, int) or not 0 <= tasker_paid_cents <= mission.reward_cents:
            raise InvalidInput(
                _("The amount is between 0 and the reward (%(reward)s).")
                % {"reward": format_eur(mission.reward_cents)},
                field="tasker_paid_cents",
            )
        claim.settled_cents = tasker_paid_cents
        claim.save(update_fields=["settled_cents"])
        if tasker_paid_cents > 0:
            fee, vat = place_price(tasker_paid_cents)
            spend(
                kind="claim_settle",
                idempotency_key=f"claim-settle:{claim.pk}",
                payer=mission.company,
                to=[
                    (wallet_of(claim.tasker), tasker_paid_cents),
                    (system_account(AccountKind.REVENUE), fee),
                    (system_account(AccountKind.VAT), vat),
                ],
                memo=mission.title,
                ref=f"claim:{claim.pk}",
                by=by,
                overdraft=True,
            )
        notify(
            user=claim.tasker,
            kind="claim_settled",
            title=_("Dispute settled: %(amount)s for you") % {"amount": format_eur(tasker_paid_cents)},
            url=reverse("missions:my_claims"),
            email=True,
        )
    return claim
