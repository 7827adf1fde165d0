"""The mission lifecycle: draft, review, publication, withdrawal and end
date (HM06-HM12, HM15b, MW04).

Money moves through the ledger only: submitting reserves every place's cost
(reward, fee, VAT on the fee) into the mission's escrow; a place that can no
longer be claimed is refunded to the company.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from microwork.accounts.models import User
from microwork.accounts.roles import require_role
from microwork.core.errors import Conflict, Forbidden, InvalidInput, numbered, required_text
from microwork.core.states import WrongState, state_move, state_start
from microwork.ledger.services import escrow_of, give_back, spend
from microwork.moderation.selectors import ensure_not_suspended
from microwork.notifications.services import notify

from ..models import MISSION_MOVES, Batch, Mission, MissionState, MissionTransition
from ..selectors import mission_is_editable
from .inputs import (
    Location,
    QuestionInput,
    clean_location,
    clean_mission_fields,
    clean_quality_filters,
    clean_questions,
    estimate_in_seconds,
)
from .pricing import place_price, reward_check, smic_hourly_cents

EXPIRING_STATES = (MissionState.PUBLISHED, MissionState.PENDING_REVIEW)  # HM15b


class MissionNotAvailable(Conflict):
    code = "mission_not_available"


def mission_move(mission: Mission, to: str, **how: Any) -> None:
    """`state_move` on the mission table; `how` is passed on (by, reason, update_fields, message)."""
    state_move(mission, to, allowed=MISSION_MOVES, history=MissionTransition, mission=mission, **how)


def escrow_refund(mission: Mission, *, kind: str, key: str, amount_cents: int, by: User | None) -> None:
    """Money held for the mission goes back to the company's balance."""
    give_back(
        kind=kind,
        idempotency_key=key,
        payer=mission.company,
        source=escrow_of(mission.escrow_ref),
        amount_cents=amount_cents,
        memo=mission.title,
        ref=mission.escrow_ref,
        by=by,
    )


def mission_create(
    *,
    company: User,
    title: str,
    category: str,
    instructions: str,
    estimated_minutes: int | None = None,
    reward_cents: int,
    places: int,
    estimated_seconds: int | None = None,
    location: Location | None = None,
    ends_at: datetime | None = None,
    questions: Iterable[QuestionInput] | None = None,
    min_approval_percent: int = 0,
    min_approved_reports: int = 0,
    batch: Batch | None = None,
    batch_item: int | None = None,
    batch_input: dict[str, str] | None = None,
    batch_wave: int | None = None,
) -> Mission:
    """A draft mission, priced but not yet paid for (HM06-HM10, HM12); an
    item of a batch when `batch` is given (MW04); by default open to every
    tasker, new ones included (quality filters at 0)."""
    require_role(company, "company", message=_("Only companies post missions."))
    ensure_not_suspended(company)
    seconds = estimate_in_seconds(estimated_minutes=estimated_minutes, estimated_seconds=estimated_seconds)
    clean_mission_fields(
        title=title,
        category=category,
        instructions=instructions,
        estimated_seconds=seconds,
        reward_cents=reward_cents,
        places=places,
        ends_at=ends_at,
    )
    where = clean_location(location)
    cleaned_questions = clean_questions(questions)
    clean_quality_filters(min_approval_percent=min_approval_percent, min_approved_reports=min_approved_reports)
    fee, vat = place_price(reward_cents)
    with transaction.atomic():
        mission = Mission.objects.create(
            company=company,
            title=title.strip(),
            category=category,
            instructions=instructions.strip(),
            estimated_seconds=seconds,
            reward_cents=reward_cents,
            fee_cents=fee,
            vat_cents=vat,
            places=places,
            places_free=places,
            latitude=where.lat if where else None,
            longitude=where.lon if where else None,
            radius_km=where.radius_km if where else None,
            address=where.address if where else "",
            ends_at=ends_at,
            questions=cleaned_questions,
            min_approval_percent=min_approval_percent,
            min_approved_reports=min_approved_reports,
            batch=batch,
            batch_item=batch_item,
            batch_input=batch_input,
            batch_wave=batch_wave,
        )
        state_start(mission, allowed=MISSION_MOVES, history=MissionTransition, by=company, mission=mission)
    return mission


def mission_batch_create(*, company: User, rows: Sequence["dict[str, Any] | RowInvalid"]) -> list[Mission]:
    """Many missions at once (MW04): all are created, or none. Each row is
    what `mission_create` takes, or the `RowInvalid` of a row whose values
    the schema refused; every error names its row (1 = the first data row)."""
    require_role(company, "company", message=_("Only companies post missions."))
    errors: list[dict[str, str]] = []
    with transaction.atomic():
        created: list[Mission] = []
        for number, row in enumerate(rows, start=1):
            if isinstance(row, RowInvalid):
                errors.extend(numbered(number, row.errors))
                continue
            try:
                with transaction.atomic():
                    created.append(mission_create(company=company, **row))
            except InvalidInput as exc:
                errors.extend(numbered(number, [{"field": exc.field or "row", "message": exc.detail}]))
        if errors:
            transaction.set_rollback(True)
            raise BatchInvalid(errors)
    return created


class RowInvalid(InvalidInput):
    """A row of a file whose values break the mission's schema: each field it breaks."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__(errors[0]["message"], field=errors[0]["field"])


class BatchInvalid(InvalidInput):
    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__(
            ngettext(
                "%(count)s row is not valid; nothing was created.",
                "%(count)s rows are not valid; nothing was created.",
                len(errors),
            )
            % {"count": len(errors)},
            field="file",
        )


def _mission_locked(mission: Mission) -> Mission:
    return Mission.objects.select_for_update().get(pk=mission.pk)


def _require_owner(mission: Mission, company: User) -> None:
    if mission.company_id != company.pk:
        raise Forbidden(_("This mission belongs to another company."))


def require_single(mission: Mission) -> None:
    """An item of a batch moves with its batch (MW04), never on its own."""
    if mission.batch_id is not None:
        raise WrongState(_("This mission is an item of a batch: submit, publish or withdraw the batch."))


def reserve_line(mission: Mission) -> tuple[Any, int]:
    """What submitting puts into the mission's escrow: every place's cost."""
    return (escrow_of(mission.escrow_ref), mission.cost_cents)


def submit_locked(mission: Mission, *, by: User, today: date) -> None:
    """Move a locked draft to review, checked against the minimum wage of
    `today`; the caller reserves its cost (`reserve_line`) in the same transaction."""
    mission.submissions += 1
    mission.submitted_at = timezone.now()
    mission.smic_hourly_cents = smic_hourly_cents(today)
    mission.places_free = mission.places
    # The move comes first so that a mission in the wrong state is refused
    # as such; any refusal below undoes it with the transaction.
    mission_move(
        mission,
        MissionState.PENDING_REVIEW,
        by=by,
        update_fields=("submissions", "submitted_at", "smic_hourly_cents", "places_free"),
        message=_("Only a draft can be submitted."),
    )
    # Checked against the minimum wage in force on the day it is submitted.
    reward_check(reward_cents=mission.reward_cents, estimated_seconds=mission.estimated_seconds, on=today)
    if mission.ends_at is not None and mission.ends_at <= timezone.now():
        raise InvalidInput(_("The end date has passed; change it first."), field="ends_at")


def mission_submit(*, mission: Mission, by: User) -> Mission:
    """Send the mission to review, reserving its whole cost in escrow (HM10, HM11)."""
    _require_owner(mission, by)
    require_single(mission)
    ensure_not_suspended(by)
    with transaction.atomic():
        mission = _mission_locked(mission)
        submit_locked(mission, by=by, today=timezone.localdate())
        spend(
            kind="mission_reserve",
            idempotency_key=f"mission-reserve:{mission.pk}:{mission.submissions}",
            payer=by,
            to=[reserve_line(mission)],
            memo=mission.title,
            ref=mission.escrow_ref,
            by=by,
        )
    return mission


def require_staff(user: User) -> None:
    require_role(user, "staff", message=_("Only staff moderate missions."))


def publish_locked(mission: Mission, *, by: User | None) -> None:
    mission.published_at = timezone.now()
    mission_move(mission, MissionState.PUBLISHED, by=by, update_fields=("published_at",))


def mission_publish(*, mission: Mission, by: User) -> Mission:
    require_staff(by)
    require_single(mission)
    ensure_not_suspended(by, other=mission.company)
    # Past its end date it expires and is refunded instead, whether or not tick has run (HM15b).
    if mission_expire(mission=mission).state == MissionState.EXPIRED:
        raise MissionNotAvailable(_("The mission's end date has passed; its reservation was refunded."))
    with transaction.atomic():
        mission = _mission_locked(mission)
        publish_locked(mission, by=by)
        notify(
            user=mission.company,
            kind="mission_published",
            title=lambda: _("Your mission “%(title)s” is published.") % {"title": mission.title},
            url=reverse("missions:company_mission", args=[mission.pk]),
        )
    return mission


def _unreserve(mission: Mission, *, by: User | None) -> None:
    """Give back the whole reservation of a mission that was never published."""
    escrow_refund(
        mission,
        kind="mission_unreserve",
        key=f"mission-unreserve:{mission.pk}:{mission.submissions}",
        amount_cents=mission.cost_cents,
        by=by,
    )


def change_reason_clean(reason: str) -> str:
    return required_text(reason, _("Tell the company what to change."))


def request_changes_locked(mission: Mission, *, by: User, reason: str) -> None:
    """Send a locked mission back; its reservation is refunded until it resubmits."""
    mission.change_reason = reason
    mission_move(
        mission,
        MissionState.CHANGES_REQUESTED,
        by=by,
        reason=reason,
        update_fields=("change_reason",),
        message=_("Only a mission pending review can be sent back."),
    )
    _unreserve(mission, by=by)


def mission_request_changes(*, mission: Mission, by: User, reason: str) -> Mission:
    """Send the mission back to the company; its reservation is refunded until it resubmits."""
    require_staff(by)
    require_single(mission)
    reason = change_reason_clean(reason)
    with transaction.atomic():
        mission = _mission_locked(mission)
        request_changes_locked(mission, by=by, reason=reason)
        notify(
            user=mission.company,
            kind="mission_changes_requested",
            title=lambda: _("Changes requested on “%(title)s”") % {"title": mission.title},
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
            "estimated_seconds": mission.estimated_seconds,
            "reward_cents": mission.reward_cents,
            "places": mission.places,
            "ends_at": mission.ends_at,
        }
        values.update({k: v for k, v in fields.items() if k in values and k != "estimated_seconds"})
        if fields.get("estimated_minutes") is not None or fields.get("estimated_seconds") is not None:
            values["estimated_seconds"] = estimate_in_seconds(
                estimated_minutes=fields.get("estimated_minutes"), estimated_seconds=fields.get("estimated_seconds")
            )
        clean_mission_fields(**values)
        for name, value in values.items():
            setattr(mission, name, value)
        if "location" in fields:
            where = clean_location(fields["location"])
            mission.latitude = where.lat if where else None
            mission.longitude = where.lon if where else None
            mission.radius_km = where.radius_km if where else None
            mission.address = where.address if where else ""
        if "questions" in fields:
            mission.questions = clean_questions(fields["questions"])
        quality = {
            name: fields.get(name, getattr(mission, name)) for name in ("min_approval_percent", "min_approved_reports")
        }
        clean_quality_filters(**quality)
        mission.min_approval_percent = quality["min_approval_percent"]
        mission.min_approved_reports = quality["min_approved_reports"]
        mission.fee_cents, mission.vat_cents = place_price(mission.reward_cents)
        mission.places_free = mission.places
        mission.save()
    return mission


def _refund_free_places(mission: Mission, *, key: str, by: User | None) -> None:
    """Give the company back the cost of every place nobody holds (HM15b)."""
    if mission.places_free > 0:
        escrow_refund(
            mission, kind="mission_refund", key=key, amount_cents=mission.places_free * mission.place_cost_cents, by=by
        )
    mission.places_free = 0


def withdraw_locked(mission: Mission, *, by: User) -> None:
    """Close a locked mission; unclaimed places are refunded, claimed ones stay funded until they end (HM15b)."""
    if mission.state == MissionState.PENDING_REVIEW:
        _unreserve(mission, by=by)
        mission.places_free = 0
    elif mission.state == MissionState.PUBLISHED:
        _refund_free_places(mission, key=f"mission-withdraw:{mission.pk}", by=by)
    else:
        mission.places_free = 0
    mission_move(
        mission,
        MissionState.CLOSED,
        by=by,
        update_fields=("places_free",),
    )


def mission_withdraw(*, mission: Mission, by: User) -> Mission:
    """Close the mission; unclaimed places are refunded, claimed ones stay funded until they end (HM15b)."""
    _require_owner(mission, by)
    require_single(mission)
    with transaction.atomic():
        mission = _mission_locked(mission)
        withdraw_locked(mission, by=by)
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
        mission_move(
            mission,
            MissionState.EXPIRED,
            by=None,
            update_fields=("places_free",),
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
