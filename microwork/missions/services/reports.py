"""A claim's report (HM13): answers, links and files sent before the
deadline, the time really taken (PL04), and the files' storage."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.core.durations import duration_label
from microwork.core.errors import Forbidden, InvalidInput
from microwork.core.money import format_eur
from microwork.core.photos import photo_facts
from microwork.core.states import WrongState
from microwork.core.uploads import CheckedUpload, server_file_name
from microwork.notifications.services import notify

from .. import events
from ..models import (
    Claim,
    ClaimState,
    Mission,
    ReportFile,
)
from ..selectors import (
    claim_has_lapsed,
    claim_takes_report,
    measured_median_seconds,
)
from .claims import (
    AUTO_APPROVE_DAYS,
    ClaimLapsed,
    _claim_and_mission_locked,
    _claim_move,
    _held_until_refresh,
    claim_lapse_if_due,
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
from .photos import photo_fields, photo_link_duplicate
from .pricing import minimum_reward_cents


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
    files: Sequence[tuple[str, UploadedFile]] = (),
) -> Claim:
    """The end-of-mission report (HM13); the company is alerted at once (HM14).

    `files` are the report's files sent with it, as (question key, upload):
    each is checked, then all are stored before the transaction opens, and
    recorded with the report in it, so that a report refused leaves no file
    behind. A refused file is named by its question (`ReportFileInvalid`).

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
    checked = []
    for question_key, upload in files:
        try:
            checked.append(_report_file_checked(claim, question_key, upload))
        except InvalidInput as exc:
            raise ReportFileInvalid(exc, question_key=question_key) from exc
    links_cleaned = clean_links(links)
    if len(links_cleaned) > 20 or len(text) > 10_000:
        raise InvalidInput(_("The report is too long."), field="text")
    stored: list[_StoredFile] = []
    try:
        for one in checked:
            stored.append(_report_file_store(claim, one))
        with transaction.atomic():
            claim = _report_locked(
                claim, by=by, answers=answers, text=text, links=links_cleaned, started_at=started_at, files=stored
            )
    except BaseException:
        _storage_delete([path for one in stored for path in one.paths])
        raise
    return claim


def _report_locked(
    claim: Claim,
    *,
    by: User,
    answers: dict[str, Any] | None,
    text: str,
    links: list[str],
    started_at: datetime | None,
    files: list["_StoredFile"],
) -> Claim:
    """The report written, in the caller's transaction."""
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
    for one in files:
        _report_file_record(claim, one)
    claim.answers = clean_answers(mission, claim, answers or {})
    check_not_empty(mission, claim, claim.answers, text)
    claim.text = text.strip()
    claim.links = links
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


class ReportFileInvalid(InvalidInput):
    """A file sent with a report refused: the refusal, and which question's file it was."""

    def __init__(self, refused: InvalidInput, *, question_key: str) -> None:
        super().__init__(refused.detail, code=refused.code, field=refused.field)
        self.also = refused.also
        self.question_key = question_key


@dataclass(frozen=True)
class _CheckedFile:
    question_key: str
    upload: UploadedFile
    checked: CheckedUpload
    facts: Any


@dataclass(frozen=True)
class _StoredFile:
    file: _CheckedFile
    paths: list[str]


def _report_file_checked(claim: Claim, question_key: str, upload: UploadedFile) -> _CheckedFile:
    """A report file as the upload checker accepts it, with a photo's facts
    read from the file as sent, before its metadata is stripped."""
    question = next((q for q in claim.mission.questions if q["key"] == question_key), None)
    if question is None or question["kind"] not in UPLOAD_KINDS:
        raise InvalidInput(_("This question does not take a file."), field="question")
    photo = question["kind"] == "photo"
    checked = report_upload_check(upload, photo=photo)
    facts = photo_facts(upload, report_upload_rule(photo=photo)) if checked.is_image else None
    return _CheckedFile(question_key=question_key, upload=upload, checked=checked, facts=facts)


def _report_file_store(claim: Claim, one: _CheckedFile) -> _StoredFile:
    """Written before the transaction opens: storage may be a slow remote service."""
    folder = f"reports/{claim.pk}/{one.question_key}-"
    checked = one.checked
    shown = ContentFile(checked.clean) if checked.clean is not None else one.upload
    paths = [default_storage.save(f"{folder}{server_file_name(checked.content_type)}", shown)]
    if checked.clean is not None:
        paths.append(default_storage.save(f"{folder}original-{server_file_name(checked.content_type)}", one.upload))
    return _StoredFile(file=one, paths=paths)


def _report_file_record(claim: Claim, stored: _StoredFile) -> ReportFile:
    """The stored file on the report, in place of the one sent before for the
    same question (whose storage goes once the transaction commits). The
    caller holds the claim's lock."""
    one = stored.file
    replaced = list(claim.files.filter(question_key=one.question_key))
    for old in replaced:
        old.delete()
    added = ReportFile.objects.create(
        claim=claim,
        question_key=one.question_key,
        file=stored.paths[0],
        original=stored.paths[1] if len(stored.paths) > 1 else "",
        content_type=one.checked.content_type,
        size=len(one.checked.clean) if one.checked.clean is not None else one.checked.size,
        **photo_fields(one.facts),
    )
    photo_link_duplicate(added)
    stale = [name for old in replaced for name in (old.file.name, old.original.name) if name]
    transaction.on_commit(lambda: _storage_delete(stale))
    return added


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
    stored = _report_file_store(claim, _report_file_checked(claim, question_key, upload))
    try:
        with transaction.atomic():
            claim, _mission = _claim_and_mission_locked(claim)
            if not claim_takes_report(claim):
                raise WrongState(_reported_or_closed())
            return _report_file_record(claim, stored)
    except BaseException:
        _storage_delete(stored.paths)
        raise


def _storage_delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
