"""Cleaning what a company and a tasker type: a mission's fields and
questions (HM06-HM12) and a report's answers and files (HM13)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.core.errors import InvalidInput
from microwork.core.uploads import REPORT_FILE, REPORT_PHOTO, CheckedUpload, UploadRule, upload_check

from ..models import UPLOAD_KINDS, Category, Claim, Mission, Question, QuestionKind
from .pricing import reward_check

MAX_PLACES = 1000
MAX_MINUTES = 8 * 60
MAX_RADIUS_KM = 500
MAX_QUESTIONS = 20
#: The highest number of approved reports a mission may require.
MAX_MIN_APPROVED_REPORTS = 10_000
QUESTION_KINDS = tuple(QuestionKind.values)
# HM13: a few words stand for a written account; a single "ok" or "done" does not.
ACCOUNT_MIN_CHARS = 10


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    radius_km: float
    # The address it was found from, shown to taskers ("within 3 km of …"); may be empty.
    address: str = ""


def clean_location(location: Location | None) -> Location | None:
    if location is None:
        return None
    if not (-90 <= location.lat <= 90 and -180 <= location.lon <= 180):
        raise InvalidInput(_("Latitude is between -90 and 90, longitude between -180 and 180."), field="location")
    if not (0 < location.radius_km <= MAX_RADIUS_KM):
        raise InvalidInput(
            _("The radius is between 0 and %(max)s km.") % {"max": MAX_RADIUS_KM}, field="location.radius_km"
        )
    address = " ".join(location.address.split())
    if len(address) > 300:
        raise InvalidInput(_("The address is at most 300 characters long."), field="location.address")
    return Location(lat=location.lat, lon=location.lon, radius_km=location.radius_km, address=address)


class QuestionInput(TypedDict, total=False):
    """One question of a report as a company gives it (a form's row, the
    API's body), before `clean_questions` makes it a `Question`: a key left
    out gets a free one, `required` is true unless given, `choices` count
    only for a choice question."""

    key: str | None
    label: str
    kind: str
    required: bool
    choices: list[str] | None


def clean_questions(questions: Iterable[QuestionInput] | None) -> list[Question]:
    cleaned: list[Question] = []
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
        if kind == QuestionKind.CHOICE:
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


def approval_percent(rate: float | None, *, field: str = "min_approval_rate") -> int:
    """A minimum approval rate given from 0 to 1 (as the API gives rates), in
    whole percent: 0.95 is 95; 0.955 is refused, not rounded."""
    if rate is None:
        return 0
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise InvalidInput(_("The minimum approval rate is between 0 and 1 (0.95 for 95 %)."), field=field)
    percent = round(rate * 100)
    if abs(rate * 100 - percent) > 1e-6:
        raise InvalidInput(_("The minimum approval rate is a whole percentage (0.95, not 0.955)."), field=field)
    return percent


def clean_quality_filters(*, min_approval_percent: int, min_approved_reports: int) -> None:
    """The mission's quality filters: a rate from 0 to 100 %, a count of approved reports."""
    if isinstance(min_approval_percent, bool) or not 0 <= min_approval_percent <= 100:
        raise InvalidInput(_("The minimum approval rate is between 0 and 100 %."), field="min_approval_rate")
    if isinstance(min_approved_reports, bool) or not 0 <= min_approved_reports <= MAX_MIN_APPROVED_REPORTS:
        raise InvalidInput(
            _("The minimum number of approved reports is between 0 and %(max)s.") % {"max": MAX_MIN_APPROVED_REPORTS},
            field="min_approved_reports",
        )


def estimate_in_seconds(*, estimated_minutes: int | None, estimated_seconds: int | None) -> int:
    """The estimate a company gives, in minutes or, for tasks of a few
    seconds, in seconds (MW02): one of the two, never both."""
    if estimated_seconds is not None and estimated_minutes is not None:
        raise InvalidInput(_("Give the duration in minutes or in seconds, not both."), field="estimated_seconds")
    if estimated_seconds is not None:
        field, seconds = "estimated_seconds", estimated_seconds
    elif estimated_minutes is not None:
        field, seconds = "estimated_minutes", estimated_minutes * 60 if isinstance(estimated_minutes, int) else 0
    else:
        raise InvalidInput(_("How long does the mission take?"), field="estimated_minutes")
    if not isinstance(seconds, int) or not 1 <= seconds <= MAX_MINUTES * 60:
        raise InvalidInput(
            _("A mission takes between 1 second and %(max)s minutes.") % {"max": MAX_MINUTES}, field=field
        )
    return seconds


# A date past the year 9999 in UTC cannot be stored (SQLite) or read back (PostgreSQL).
ENDS_AT_LIMIT = datetime(9999, 1, 1, tzinfo=UTC)


def clean_mission_fields(
    *,
    title: str,
    category: str,
    instructions: str,
    estimated_seconds: int,
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
    if not 1 <= places <= MAX_PLACES:
        raise InvalidInput(_("Between 1 and %(max)s places.") % {"max": MAX_PLACES}, field="places")
    if ends_at is not None and timezone.is_naive(ends_at):
        raise InvalidInput(_("Give the end date with its time zone offset."), field="ends_at")
    if ends_at is not None and ends_at <= timezone.now():
        raise InvalidInput(_("The end date must be in the future."), field="ends_at")
    if ends_at is not None and ends_at >= ENDS_AT_LIMIT:
        raise InvalidInput(_("The end date is too far ahead."), field="ends_at")
    reward_check(reward_cents=reward_cents, estimated_seconds=estimated_seconds, on=timezone.localdate())


def clean_answers(mission: Mission, claim: Claim, answers: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    uploaded = set(claim.files.values_list("question_key", flat=True))
    url_check = URLValidator(schemes=["http", "https"])
    questions: list[Question] = mission.questions
    for question in questions:
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
        if kind == QuestionKind.SHORT_TEXT and len(text) > 300:
            raise InvalidInput(_("A short answer is at most 300 characters."), field=f"answers.{key}")
        if kind == QuestionKind.CHOICE and text not in question["choices"]:
            raise InvalidInput(_("Pick one of the choices."), field=f"answers.{key}")
        if kind == QuestionKind.URL:
            try:
                url_check(text)
            except ValidationError:
                raise InvalidInput(_("Enter a valid web address."), field=f"answers.{key}") from None
        cleaned[key] = text
    unknown = set(answers) - {q["key"] for q in questions}
    if unknown:
        raise InvalidInput(_("Unknown question: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}, field="answers")
    return cleaned


def _account_length(text: str) -> int:
    """The length of a written account, runs of spaces and line breaks counting as one."""
    return len(" ".join(text.split()))


def check_not_empty(mission: Mission, claim: Claim, answers: dict[str, Any], text: str) -> None:
    """A report is never empty (HM13). Required questions are enforced by
    `clean_answers`; a report that answers none, because the mission asks none
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


def clean_links(links: list[str] | None) -> list[str]:
    url_check = URLValidator(schemes=["http", "https"])
    cleaned = []
    for link in links or []:
        try:
            url_check(str(link))
        except ValidationError:
            raise InvalidInput(_("Enter valid web addresses."), field="links") from None
        cleaned.append(str(link))
    return cleaned


def report_upload_rule(*, photo: bool) -> UploadRule:
    """A photo question takes an image; a file question a PDF as well (HM13)."""
    return REPORT_PHOTO if photo else REPORT_FILE


def report_upload_check(upload: UploadedFile, *, photo: bool) -> CheckedUpload:
    return upload_check(upload, report_upload_rule(photo=photo))


def report_started_at(claim: Claim, started_at: datetime | None, submitted_at: datetime) -> datetime | None:
    """When the tasker says the report was started, brought within
    claimed_at..submitted_at (PL04): a time outside it cannot be true, and
    within it the measured time can be neither longer than from claim to
    report nor negative. None when not said."""
    if started_at is None:
        return None
    if timezone.is_naive(started_at):
        started_at = started_at.replace(tzinfo=UTC)
    return max(claim.claimed_at, min(started_at, submitted_at))
