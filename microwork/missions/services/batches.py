"""Template batches (MW04): one mission per item of a file, made from one
template, submitted, reviewed and published as one unit; published at once
or in waves (fair dispatch), and done when every item is settled.

The batch has its own states (`BATCH_MOVES`); its missions move with it in
the same transaction, each through its own table. Submitting reserves the
cost of every item in one ledger entry, through the same escrow as a
mission submitted alone, so claims, reviews and refunds work per mission.
"""

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.accounts.roles import require_role
from microwork.core.errors import Forbidden, InvalidInput, numbered
from microwork.core.states import state_move, state_start
from microwork.ledger.services import spend
from microwork.moderation.selectors import ensure_not_suspended
from microwork.notifications.services import notify

from .. import events
from ..models import BATCH_MOVES, Batch, BatchState, BatchTransition, Claim, ClaimState, Mission, MissionState
from .inputs import clean_questions, estimate_in_seconds
from .missions import (
    BatchInvalid,
    change_reason_clean,
    mission_create,
    publish_locked,
    request_changes_locked,
    require_staff,
    reserve_line,
    submit_locked,
    withdraw_locked,
)

MAX_WAVE_MINUTES = 30 * 24 * 60
#: A mission of a batch is settled once it is closed or expired with no report in progress or waiting.
SETTLED_STATES = (MissionState.CLOSED, MissionState.EXPIRED)
RUNNING_CLAIMS = (ClaimState.ACTIVE, ClaimState.SUBMITTED)


def batch_move(batch: Batch, to: str, **how: Any) -> None:
    state_move(batch, to, allowed=BATCH_MOVES, history=BatchTransition, batch=batch, **how)


def _batch_locked(batch: Batch) -> Batch:
    return Batch.objects.select_for_update().get(pk=batch.pk)


def _missions_locked(batch: Batch, **filters: Any) -> list[Mission]:
    return list(Mission.objects.select_for_update().filter(batch=batch, **filters).order_by("batch_item", "pk"))


def _require_owner(batch: Batch, user: User) -> None:
    if batch.company_id != user.pk:
        raise Forbidden(_("This batch belongs to another company."))


def _clean_waves(wave_size: int | None, wave_minutes: int | None, items: int) -> tuple[int | None, int | None]:
    if wave_size is None:
        if wave_minutes is not None:
            raise InvalidInput(_("Give the number of items per wave as well."), field="wave_size")
        return None, None
    if not 1 <= wave_size <= items:
        raise InvalidInput(
            _("A wave has between 1 and %(max)s items (the items of the file).") % {"max": items}, field="wave_size"
        )
    if wave_minutes is not None and not 1 <= wave_minutes <= MAX_WAVE_MINUTES:
        raise InvalidInput(
            _("Waves are between 1 minute and %(max)s minutes apart.") % {"max": MAX_WAVE_MINUTES},
            field="wave_minutes",
        )
    return wave_size, wave_minutes


def batch_create(
    *,
    company: User,
    template: dict[str, Any],
    variables: list[str],
    items: list[dict[str, Any]],
    wave_size: int | None = None,
    wave_minutes: int | None = None,
) -> Batch:
    """A draft batch and one draft mission per item, all or none (MW04).
    `items` are what `mission_create` takes, one per row of the file, each
    with its row's variables (`batch_input`); every refused row is named."""
    require_role(company, "company", message=_("Only companies post missions."))
    ensure_not_suspended(company)
    if not items:
        raise InvalidInput(_("The items file has no item rows."), field="file")
    size, minutes = _clean_waves(wave_size, wave_minutes, len(items))
    seconds = estimate_in_seconds(
        estimated_minutes=template.get("estimated_minutes"), estimated_seconds=template.get("estimated_seconds")
    )
    errors: list[dict[str, str]] = []
    with transaction.atomic():
        batch = Batch.objects.create(
            company=company,
            title=str(template["title"]).strip(),
            category=template["category"],
            instructions=str(template["instructions"]).strip(),
            questions=clean_questions(template.get("questions")),
            estimated_seconds=seconds,
            reward_cents=template["reward_cents"],
            places=template["places"],
            variables=variables,
            items=len(items),
            wave_size=size,
            wave_minutes=minutes,
        )
        state_start(batch, allowed=BATCH_MOVES, history=BatchTransition, by=company, batch=batch)
        for number, item in enumerate(items, start=1):
            try:
                with transaction.atomic():
                    mission_create(
                        company=company,
                        batch=batch,
                        batch_item=number,
                        batch_wave=(number - 1) // size + 1 if size else 1,
                        **item,
                    )
            except InvalidInput as exc:
                errors.extend(numbered(number, [{"field": exc.field or "row", "message": exc.detail}]))
        if errors:
            transaction.set_rollback(True)
            raise BatchInvalid(errors)
    return batch


def batch_create_from_file(
    *,
    company: User,
    template: dict[str, Any],
    content: bytes,
    wave_size: int | None = None,
    wave_minutes: int | None = None,
) -> Batch:
    """A draft batch from a template and the content of its items file (MW04),
    for the page and the API alike: the file read into items, the template
    filled from each, then `batch_create`; every bad row is named."""
    # Here, not at the top: the file's reading checks each item with the API's schemas, which import services.
    from ..batch_template import item_missions, read_items

    parsed = read_items(content)
    return batch_create(
        company=company,
        template=template,
        variables=parsed.variables,
        items=item_missions(template, parsed),
        wave_size=wave_size,
        wave_minutes=wave_minutes,
    )


def batch_submit(*, batch: Batch, by: User) -> Batch:
    """Send the batch to review: every item moves with it, and the cost of
    all of them is reserved at once, each into its mission's escrow (HM10)."""
    _require_owner(batch, by)
    ensure_not_suspended(by)
    with transaction.atomic():
        batch = _batch_locked(batch)
        batch.submissions += 1
        batch.submitted_at = timezone.now()
        batch_move(
            batch,
            BatchState.PENDING_REVIEW,
            by=by,
            update_fields=("submissions", "submitted_at"),
            message=_("Only a draft batch can be submitted."),
        )
        today = timezone.localdate()
        missions = _missions_locked(batch, state__in=(MissionState.DRAFT, MissionState.CHANGES_REQUESTED))
        for mission in missions:
            submit_locked(mission, by=by, today=today)
        if missions:
            spend(
                kind="mission_reserve",
                idempotency_key=f"batch-reserve:{batch.pk}:{batch.submissions}",
                payer=by,
                to=[reserve_line(mission) for mission in missions],
                memo=batch.title,
                ref=f"batch:{batch.pk}",
                by=by,
            )
    return batch


def batch_publish(*, batch: Batch, by: User) -> Batch:
    """Staff publish the batch as one unit: its first wave (all of it without waves) at once."""
    require_staff(by)
    ensure_not_suspended(by, other=batch.company)
    with transaction.atomic():
        batch = _batch_locked(batch)
        batch.published_at = timezone.now()
        batch_move(
            batch,
            BatchState.PUBLISHED,
            by=by,
            update_fields=("published_at",),
            message=_("Only a batch pending review can be published."),
        )
        _wave_release(batch, by=by)
        notify(
            user=batch.company,
            kind="mission_published",
            title=lambda: _("Your batch “%(title)s” is published.") % {"title": batch.title},
            url=reverse("missions:batch_detail", args=[batch.pk]),
        )
    return batch


def batch_request_changes(*, batch: Batch, by: User, reason: str) -> Batch:
    """Send the batch back to the company; every item's reservation is refunded until it resubmits."""
    require_staff(by)
    reason = change_reason_clean(reason)
    with transaction.atomic():
        batch = _batch_locked(batch)
        batch.change_reason = reason
        batch_move(
            batch,
            BatchState.CHANGES_REQUESTED,
            by=by,
            reason=reason,
            update_fields=("change_reason",),
            message=_("Only a batch pending review can be sent back."),
        )
        for mission in _missions_locked(batch, state=MissionState.PENDING_REVIEW):
            request_changes_locked(mission, by=by, reason=reason)
        notify(
            user=batch.company,
            kind="mission_changes_requested",
            title=lambda: _("Changes requested on the batch “%(title)s”") % {"title": batch.title},
            body=reason,
            url=reverse("missions:batch_detail", args=[batch.pk]),
            email=True,
        )
    return batch


def batch_withdraw(*, batch: Batch, by: User) -> Batch:
    """Close the batch and every item still open; places nobody holds are
    refunded, claimed ones stay funded until they end (HM15b)."""
    _require_owner(batch, by)
    with transaction.atomic():
        batch = _batch_locked(batch)
        batch_move(batch, BatchState.CLOSED, by=by, message=_("This batch is already finished."))
        for mission in _missions_locked(batch):
            if mission.state not in SETTLED_STATES:
                withdraw_locked(mission, by=by)
    return batch


# --- Waves ------------------------------------------------------------------


def _wave_release(batch: Batch, *, by: User | None) -> int:
    """Publish the next wave of a locked, published batch; how many items it held."""
    wave = batch.waves_released + 1
    missions = _missions_locked(batch, state=MissionState.PENDING_REVIEW, batch_wave=wave)
    for mission in missions:
        publish_locked(mission, by=by)
    batch.waves_released = wave
    batch.wave_released_at = timezone.now()
    batch.save(update_fields=["waves_released", "wave_released_at"])
    return len(missions)


def _released(batch: Batch) -> QuerySet[Mission]:
    return Mission.objects.filter(batch=batch, batch_wave__lte=batch.waves_released)


def wave_is_done(batch: Batch) -> bool:
    """The released items have no free place left and no claim in progress:
    every place is reported (or the item is over)."""
    released = _released(batch)
    if released.filter(state=MissionState.PUBLISHED, places_free__gt=0).exists():
        return False
    return not Claim.objects.filter(mission__in=released, state=ClaimState.ACTIVE).exists()


def wave_is_due(batch: Batch) -> bool:
    if batch.state != BatchState.PUBLISHED or batch.waves_released >= batch.waves:
        return False
    due_at = (
        batch.wave_released_at + timedelta(minutes=batch.wave_minutes)
        if batch.wave_minutes and batch.wave_released_at is not None
        else None
    )
    if due_at is not None and timezone.now() >= due_at:
        return True
    return wave_is_done(batch)


def batch_wave_release_if_due(*, batch: Batch) -> bool:
    with transaction.atomic():
        batch = _batch_locked(batch)
        if not wave_is_due(batch):
            return False
        _wave_release(batch, by=None)
    return True


def batches_waves_release_due() -> int:
    """`tick`: publish every wave that is due (its time has come, or the one before is done)."""
    count = 0
    published = Batch.objects.filter(state=BatchState.PUBLISHED, wave_size__isnull=False)
    for pk in list(published.values_list("pk", flat=True)):
        if batch_wave_release_if_due(batch=Batch(pk=pk)):
            count += 1
    return count


# --- Done -------------------------------------------------------------------


def _unsettled(batch_id: int) -> QuerySet[Mission]:
    running = Claim.objects.filter(mission=OuterRef("pk"), state__in=RUNNING_CLAIMS)
    return Mission.objects.filter(batch_id=batch_id).filter(~Q(state__in=SETTLED_STATES) | Exists(running))


def batch_done_if_settled(*, batch_id: int, skip_locked: bool = False) -> bool:
    """Mark a published batch done once every item is settled, and tell the
    company's integrations (`batch.done`) once. Called in the transaction
    that settled an item (`skip_locked`: a batch another transaction holds is
    left to it, or to `tick`), and by `tick`."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update(skip_locked=skip_locked).filter(pk=batch_id).first()
        if batch is None or batch.state != BatchState.PUBLISHED or batch.waves_released < batch.waves:
            return False
        if _unsettled(batch.pk).exists():
            return False
        batch.done_at = timezone.now()
        batch_move(batch, BatchState.DONE, by=None, update_fields=("done_at",))
        counts = Claim.objects.filter(mission__batch=batch)
        events.batch_done(
            batch,
            approved=counts.filter(state=ClaimState.APPROVED).count(),
            rejected=counts.filter(state__in=(ClaimState.REJECTED, ClaimState.DISPUTED, ClaimState.SETTLED)).count(),
        )
    return True


def batches_done_due() -> int:
    """`tick`: catch every published batch whose items are all settled."""
    published = Batch.objects.filter(state=BatchState.PUBLISHED).values_list("pk", flat=True)
    return sum(batch_done_if_settled(batch_id=pk) for pk in list(published))
