"""A claim's report (HM13): answers, links and files sent before the
deadline, the time really taken (PL04), and the files' storage."""

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
from microwork.core.uploads import server_file_name
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
