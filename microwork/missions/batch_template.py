"""Template batches (MW04): a file of items read into rows of variables, a
template filled from each row into what the single-mission endpoint takes,
and a batch's results written out in Amazon Mechanical Turk's layout.

An items file has one column per variable, or MTurk's `Input.<name>`
columns (a results file given back): then only those count, the prefix
dropped. Instructions and title are filled with `string.Template`:
`${name}` or `$name`, `$$` for a dollar sign."""

import csv
import hashlib
import hmac
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from string import Template
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from pydantic import ValidationError

from microwork.core.errors import InvalidInput, numbered
from microwork.core.spreadsheets import csv_writer
from microwork.core.uploads import csv_fieldnames, csv_rows, csv_text, csv_upload_content

from . import services
from .models import Batch, Claim, ClaimState, Mission, Question
from .schemas import BatchTemplateIn, MissionIn, schema_errors

ITEMS_MAX_ROWS = 500
ITEMS_MAX_BYTES = 5 * 1024 * 1024
INPUT_PREFIX = "Input."
ANSWER_PREFIX = "Answer."
# The template's fields filled from each row.
FILLED = ("title", "instructions")


@dataclass(frozen=True)
class ItemsFile:
    #: The variables, in the file's column order.
    variables: list[str]
    #: One dict of variable to value per item.
    rows: list[dict[str, str]]
    #: The file had MTurk's `Input.*` columns.
    mturk: bool


def items_content(upload: Any, *, field: str = "items") -> bytes:
    """The bytes of an uploaded items file, refused past ITEMS_MAX_BYTES before it is read."""
    return csv_upload_content(
        upload, max_bytes=ITEMS_MAX_BYTES, too_large=_("The items file is larger than 5 MB."), field=field
    )


def read_items(content: bytes) -> ItemsFile:
    """The items of a CSV file: a header of variable names (or `Input.*`
    columns), then one row per item."""
    text = csv_text(content)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [name.strip() for name in csv_fieldnames(reader)]
    mturk = any(name.startswith(INPUT_PREFIX) for name in header)
    columns = [
        (raw, name.removeprefix(INPUT_PREFIX))
        for raw, name in zip(reader.fieldnames or [], header, strict=True)
        if not mturk or name.startswith(INPUT_PREFIX)
    ]
    names = [name for _raw, name in columns]
    if not names or any(not name for name in names):
        raise InvalidInput(_("Each column of the items file needs a name in the first line."), field="file")
    doubles = sorted({name for name in names if names.count(name) > 1})
    if doubles:
        raise InvalidInput(_("Columns named twice: %(columns)s.") % {"columns": ", ".join(doubles)}, field="file")
    rows: list[dict[str, str]] = []
    for number, raw_row in enumerate(csv_rows(reader), start=1):
        if number > ITEMS_MAX_ROWS:
            raise InvalidInput(_("At most %(count)s items per batch.") % {"count": ITEMS_MAX_ROWS}, field="file")
        values = {name: (raw_row.get(raw) or "").strip() for raw, name in columns}
        if any(values.values()):
            rows.append(values)
    if not rows:
        raise InvalidInput(_("The items file has no item rows."), field="file")
    return ItemsFile(variables=names, rows=rows, mturk=mturk)


class TemplateInvalid(InvalidInput):
    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__(_("The template is not valid."), field="template")


def _template_field(loc: Iterable[Any]) -> str:
    path = ".".join(str(part) for part in loc)
    return f"template.{path}" if path else "template"


def read_template(text: str) -> BatchTemplateIn:
    """The template as JSON text (a multipart field), checked by its schema; every bad field named."""
    try:
        return BatchTemplateIn.model_validate_json(text or "")
    except ValidationError as exc:
        raise TemplateInvalid(
            [
                {"field": _template_field(error.get("loc", ())), "message": str(error.get("msg", ""))}
                for error in exc.errors()
            ]
        ) from None


def template_fields(template: BatchTemplateIn) -> dict[str, Any]:
    """What `item_missions` and `batch_create` take from a checked template."""
    # A rate the items would refuse one by one is refused once, for the template.
    services.approval_percent(template.min_approval_rate, field="template.min_approval_rate")
    return {
        "title": template.title,
        "category": template.category,
        "instructions": template.instructions,
        "estimated_minutes": template.estimated_minutes,
        "estimated_seconds": template.estimated_seconds,
        "reward_cents": template.reward_cents,
        "places": template.places,
        "questions": [q.dict() for q in template.questions or []],
        "min_approval_rate": template.min_approval_rate,
        "min_approved_reports": template.min_approved_reports,
    }


def template_variables(text: str, field: str) -> list[str]:
    """The variables a template names; a lone `$` is refused (write `$$`)."""
    template = Template(text)
    if not template.is_valid():
        raise InvalidInput(
            _("A “$” starts a variable, as in ${name}; write $$ for a dollar sign."), field=f"template.{field}"
        )
    return template.get_identifiers()


def item_missions(template: dict[str, Any], items: ItemsFile) -> list[dict[str, Any]]:
    """What `mission_create` takes for each item: the template filled from
    its row, checked with the single-mission endpoint's schema. Every bad
    row is named (1 = the first item); nothing is returned unless all pass."""
    errors: list[dict[str, str]] = []
    used: dict[str, list[str]] = {name: template_variables(template[name], name) for name in FILLED}
    absent = sorted({name for names in used.values() for name in names} - set(items.variables))
    if absent:
        raise InvalidInput(
            _("The template uses %(names)s, which no column of the items file gives.")
            % {"names": ", ".join(f"${{{name}}}" for name in absent)},
            field="file",
        )
    missions: list[dict[str, Any]] = []
    for number, row in enumerate(items.rows, start=1):
        empty = sorted({name for names in used.values() for name in names if not row.get(name)})
        if empty:
            left_empty = _("The template uses ${%(name)s}; this row leaves it empty.")
            errors.extend(numbered(number, ({"field": name, "message": left_empty % {"name": name}} for name in empty)))
            continue
        data = {**template, **{name: Template(template[name]).substitute(row) for name in FILLED}}
        try:
            checked = MissionIn.model_validate(data)
        except ValidationError as exc:
            errors.extend(numbered(number, schema_errors(exc)))
            continue
        missions.append({**checked.mission_fields(), "batch_input": row})
    if errors:
        raise services.BatchInvalid(errors)
    return missions


# --- Results, in MTurk's batch results layout ------------------------------

RESULT_COLUMNS = (
    "HITId",
    "Title",
    "Reward",
    "AssignmentId",
    "WorkerId",
    "AssignmentStatus",
    "AcceptTime",
    "SubmitTime",
    "ApprovalTime",
    "RejectionTime",
    "RequesterFeedback",
    "WorkTimeInSeconds",
)
ASSIGNMENT_STATUS: dict[str, str] = {
    ClaimState.SUBMITTED: "Submitted",
    ClaimState.APPROVED: "Approved",
    ClaimState.REJECTED: "Rejected",
    ClaimState.DISPUTED: "Rejected",
    ClaimState.SETTLED: "Rejected",
}


def worker_id(company_id: int, tasker_id: int) -> str:
    """A tasker as one company sees them in its results: the same for all of
    its batches, another for every other company, never the tasker's name,
    email or account id."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"batch-worker:{company_id}:{tasker_id}".encode(), hashlib.sha256
    ).hexdigest()
    return "W" + digest[:15].upper()


def _mturk_time(at: Any) -> str:
    """MTurk's own format, e.g. `Wed Dec 02 04:12:23 UTC 2026`."""
    if at is None:
        return ""
    return at.astimezone(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def _answer(claim: Claim, question: Question) -> str:
    if question["kind"] in services.UPLOAD_KINDS:
        files = [f for f in claim.files.all() if f.question_key == question["key"]]
        return " ".join(f"/api/v1/claims/{claim.pk}/report/files/{f.pk}" for f in files)
    return str(claim.answers.get(question["key"], ""))


def results_response(batch: Batch, claims: Iterable[Claim]) -> HttpResponse:
    """The results file as a download."""
    response = HttpResponse(results_csv(batch, claims), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-results.csv"'
    return response


def results_csv(batch: Batch, claims: Iterable[Claim]) -> str:
    """One line per report (an MTurk assignment): the item's `Input.*` and the report's `Answer.*`."""
    out = io.StringIO()
    writer = csv_writer(out)
    questions: list[Question] = batch.questions
    variables: list[str] = batch.variables
    writer.writerow(
        [
            *RESULT_COLUMNS,
            *(INPUT_PREFIX + name for name in variables),
            *(ANSWER_PREFIX + q["key"] for q in questions),
            f"{ANSWER_PREFIX}comments",
        ]
    )
    for claim in claims:
        mission: Mission = claim.mission
        approved = claim.state == ClaimState.APPROVED
        rejected = claim.state in (ClaimState.REJECTED, ClaimState.DISPUTED, ClaimState.SETTLED)
        worked = (claim.submitted_at - claim.claimed_at).total_seconds() if claim.submitted_at else None
        inputs: dict[str, str] = mission.batch_input or {}
        writer.writerow(
            [
                str(mission.pk),
                mission.title,
                f"{mission.reward_cents / 100:.2f}",
                str(claim.pk),
                worker_id(mission.company_id, claim.tasker_id),
                ASSIGNMENT_STATUS.get(claim.state, claim.state),
                _mturk_time(claim.claimed_at),
                _mturk_time(claim.submitted_at),
                _mturk_time(claim.reviewed_at) if approved else "",
                _mturk_time(claim.reviewed_at) if rejected else "",
                claim.rejection_reason if rejected else claim.comment,
                "" if worked is None else int(worked),
                *(inputs.get(name, "") for name in variables),
                *(_answer(claim, q) for q in questions),
                claim.text,
            ]
        )
    return out.getvalue()
