import csv
import io
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import StrictInt

from microwork.api.auth import current_user, require_role
from microwork.api.pagination import PageParams, keyset_page, keyset_page_ascending
from microwork.api.schemas import Text, TextIn
from microwork.core.errors import InvalidInput
from microwork.core.ids import parse_id

from . import selectors, services
from .models import Claim, Mission

router = Router(tags=["missions"])

CategorySlug = Literal[
    "photo",
    "product_test",
    "website_test",
    "document_categorisation",
    "web_research",
    "social_share",
    "survey",
    "transcription",
    "translation",
    "data_entry",
    "image_labelling",
    "review",
    "other",
]
MissionStateName = Literal["draft", "pending_review", "changes_requested", "published", "closed", "expired"]
ClaimStateName = Literal["active", "submitted", "approved", "rejected", "released", "lapsed", "disputed", "settled"]


class LocationIn(Schema):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_km: float = Field(gt=0, le=services.MAX_RADIUS_KM)


class QuestionIn(Schema):
    key: str | None = Field(None, max_length=64)
    label: str = Field(max_length=300)
    kind: Literal["short_text", "long_text", "choice", "url", "photo", "file"]
    required: bool = True
    choices: list[str] | None = Field(None, max_length=50)


class MissionIn(TextIn):
    title: str = Field(max_length=200)
    category: CategorySlug
    instructions: str = Field(max_length=20_000)
    estimated_minutes: int = Field(ge=1, le=services.MAX_MINUTES)
    reward_cents: StrictInt = Field(ge=1, le=10**9)
    places: int = Field(ge=1, le=services.MAX_PLACES)
    location: LocationIn | None = None
    ends_at: datetime | None = None
    questions: list[QuestionIn] | None = Field(None, max_length=services.MAX_QUESTIONS)


class LocationOut(Schema):
    lat: float
    lon: float
    radius_km: float


class MissionOut(Schema):
    id: str
    company_id: str
    title: str
    category: str
    instructions: str
    estimated_minutes: int
    reward_cents: int
    fee_cents: int
    vat_cents: int
    place_cost_cents: int
    cost_cents: int
    places: int
    places_left: int
    places_approved: int
    location: LocationOut | None
    ends_at: datetime | None
    questions: list[dict[str, Any]]
    state: str
    change_reason: str
    created_at: datetime
    submitted_at: datetime | None
    published_at: datetime | None


class MissionPage(Schema):
    items: list[MissionOut]
    next_cursor: str | None


class BatchOut(Schema):
    ids: list[str]
    items: list[MissionOut]


class ReasonIn(TextIn):
    reason: str = Field(min_length=1, max_length=2000)


class MissionFilters(Schema):
    category: CategorySlug | None = None
    near: str | None = Field(None, max_length=64)
    min_reward_cents: int | None = Field(None, ge=0, le=10**9)
    q: Text | None = Field(None, max_length=200)
    state: MissionStateName | None = None


class TransitionOut(Schema):
    from_state: str
    to_state: str
    at: datetime
    reason: str


class ReportFileOut(Schema):
    id: str
    question_key: str
    content_type: str
    size: int
    url: str


class ReportOut(Schema):
    answers: dict[str, Any]
    text: str
    links: list[str]
    files: list[ReportFileOut]
    submitted_at: datetime | None


class ClaimOut(Schema):
    id: str
    mission_id: str
    mission_title: str
    tasker_id: str
    tasker_name: str
    state: str
    reward_cents: int
    claimed_at: datetime
    deadline_at: datetime
    report: ReportOut | None
    rating: int | None
    comment: str
    rejection_reason: str
    reviewed_at: datetime | None
    auto_approved: bool
    dispute_reason: str
    disputed_at: datetime | None
    settled_cents: int | None
    history: list[TransitionOut] | None = None


class ClaimPage(Schema):
    items: list[ClaimOut]
    next_cursor: str | None


class ClaimFilters(Schema):
    state: ClaimStateName | None = None
    mission_id: str | None = Field(None, max_length=20)


# One value per question: the service keeps each as text. A list or an object
# nested without end would only exhaust the stack while being checked.
AnswerValue = str | int | float | bool | None


class ReportIn(TextIn):
    answers: dict[str, AnswerValue] = Field(default_factory=dict)
    text: str | None = Field(None, max_length=10_000)
    links: list[str] | None = Field(None, max_length=20)


class ApproveIn(TextIn):
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)


class RejectIn(TextIn):
    reason: str = Field(min_length=1, max_length=2000)
    rating: int | None = Field(None, ge=1, le=5)


class SettleIn(Schema):
    tasker_paid_cents: StrictInt = Field(ge=0, le=10**9)


def mission_out(mission: Mission) -> dict[str, Any]:
    return {
        "id": str(mission.pk),
        "company_id": str(mission.company_id),
        "title": mission.title,
        "category": mission.category,
        "instructions": mission.instructions,
        "estimated_minutes": mission.estimated_minutes,
        "reward_cents": mission.reward_cents,
        "fee_cents": mission.fee_cents,
        "vat_cents": mission.vat_cents,
        "place_cost_cents": mission.place_cost_cents,
        "cost_cents": mission.cost_cents,
        "places": mission.places,
        "places_left": mission.places_left,
        "places_approved": mission.places_approved,
        "location": (
            {"lat": mission.latitude, "lon": mission.longitude, "radius_km": mission.radius_km}
            if mission.has_location
            else None
        ),
        "ends_at": mission.ends_at,
        "questions": mission.questions,
        "state": mission.state,
        "change_reason": mission.change_reason,
        "created_at": mission.created_at,
        "submitted_at": mission.submitted_at,
        "published_at": mission.published_at,
    }


def claim_out(claim: Claim, *, history: bool = False) -> dict[str, Any]:
    reported = claim.submitted_at is not None
    return {
        "id": str(claim.pk),
        "mission_id": str(claim.mission_id),
        "mission_title": claim.mission.title,
        "tasker_id": str(claim.tasker_id),
        "tasker_name": claim.tasker.display_name,
        "state": claim.state,
        "reward_cents": claim.mission.reward_cents,
        "claimed_at": claim.claimed_at,
        "deadline_at": claim.deadline_at,
        "report": (
            {
                "answers": claim.answers,
                "text": claim.text,
                "links": claim.links,
                "files": [
                    {
                        "id": str(f.pk),
                        "question_key": f.question_key,
                        "content_type": f.content_type,
                        "size": f.size,
                        "url": f"/missions/claims/{claim.pk}/files/{f.pk}/",
                    }
                    for f in claim.files.all()
                ],
                "submitted_at": claim.submitted_at,
            }
            if reported
            else None
        ),
        "rating": claim.rating,
        "comment": claim.comment,
        "rejection_reason": claim.rejection_reason,
        "reviewed_at": claim.reviewed_at,
        "auto_approved": claim.auto_approved,
        "dispute_reason": claim.dispute_reason,
        "disputed_at": claim.disputed_at,
        "settled_cents": claim.settled_cents,
        "history": (
            [
                {"from_state": t.from_state, "to_state": t.to_state, "at": t.at, "reason": t.reason}
                for t in claim.transitions.order_by("pk")
            ]
            if history
            else None
        ),
    }


def _location(data: LocationIn | None) -> services.Location | None:
    return services.Location(lat=data.lat, lon=data.lon, radius_km=data.radius_km) if data else None


def _near(raw: str | None) -> tuple[float, float] | None:
    if not raw:
        return None
    try:
        lat_text, lon_text = raw.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise InvalidInput("near is 'lat,lon', e.g. 48.85,2.35.", field="near") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("near is 'lat,lon' within the globe.", field="near")
    return lat, lon


# --- Missions -------------------------------------------------------------


@router.post("/missions", response={201: MissionOut})
def mission_create(request: HttpRequest, data: MissionIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_role(user, "company")
    mission = services.mission_create(
        company=user,
        title=data.title,
        category=data.category,
        instructions=data.instructions,
        estimated_minutes=data.estimated_minutes,
        reward_cents=data.reward_cents,
        places=data.places,
        location=_location(data.location),
        ends_at=data.ends_at,
        questions=[q.dict() for q in data.questions or []],
    )
    return Status(201, mission_out(mission))


BATCH_COLUMNS = ("title", "category", "instructions", "estimated_minutes", "reward_cents", "places")
BATCH_OPTIONAL = ("lat", "lon", "radius_km", "ends_at")
BATCH_MAX_ROWS = 500


def parse_batch_csv(content: bytes) -> list[dict[str, Any]]:
    """The rows of a mission CSV (MW04), each ready for `mission_create`; every bad row is named."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("The file must be UTF-8 CSV."), field="file") from None
    if "\x00" in text:
        raise InvalidInput(_("The file may not contain NUL characters."), field="file")
    sample = text[:2048]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    missing = [c for c in BATCH_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(_("Missing column(s): %(columns)s.") % {"columns": ", ".join(missing)}, field="file")
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for number, raw in enumerate(reader, start=1):
        if number > BATCH_MAX_ROWS:
            raise InvalidInput(_("At most %(count)s rows per file.") % {"count": BATCH_MAX_ROWS}, field="file")
        row: dict[str, Any] = {k: (raw.get(k) or "").strip() for k in BATCH_COLUMNS}
        try:
            for name in ("estimated_minutes", "reward_cents", "places"):
                try:
                    row[name] = int(row[name])
                except ValueError:
                    raise InvalidInput(_("A whole number is required."), field=name) from None
            lat, lon, radius = ((raw.get(k) or "").strip() for k in ("lat", "lon", "radius_km"))
            row["location"] = None
            if lat or lon or radius:
                try:
                    row["location"] = services.Location(lat=float(lat), lon=float(lon), radius_km=float(radius))
                except ValueError:
                    raise InvalidInput(
                        _("lat, lon and radius_km are numbers, all three or none."), field="lat"
                    ) from None
            ends_at = (raw.get("ends_at") or "").strip()
            row["ends_at"] = None
            if ends_at:
                try:
                    # A well-formed but impossible date (30 February) raises instead of returning None.
                    row["ends_at"] = parse_datetime(ends_at)
                except ValueError:
                    row["ends_at"] = None
                if row["ends_at"] is None or row["ends_at"].tzinfo is None:
                    raise InvalidInput(_("ends_at is an ISO 8601 date and time with offset."), field="ends_at")
        except InvalidInput as exc:
            errors.append({"field": f"row {number}: {exc.field}", "message": exc.detail})
            continue
        rows.append(row)
    if errors:
        raise services.BatchInvalid(errors)
    if not rows:
        raise InvalidInput(_("The file has no mission rows."), field="file")
    return rows


@router.post("/missions/batch", response={201: BatchOut})
def mission_batch(request: HttpRequest, file: File[UploadedFile]) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_role(user, "company")
    if file.size and file.size > 2 * 1024 * 1024:
        raise InvalidInput(_("The CSV file is larger than 2 MB."), field="file")
    missions = services.mission_batch_create(company=user, rows=parse_batch_csv(file.read()))
    return Status(201, {"ids": [str(m.pk) for m in missions], "items": [mission_out(m) for m in missions]})


@router.get("/missions", response=MissionPage)
def mission_list(request: HttpRequest, filters: Query[MissionFilters], page: Query[PageParams]) -> dict[str, Any]:
    user = current_user(request)
    if user.is_tasker:
        missions = selectors.missions_open(
            category=filters.category,
            min_reward_cents=filters.min_reward_cents,
            q=filters.q,
            near=_near(filters.near),
        )
    else:
        missions = selectors.missions_visible_to(user)
        if filters.category:
            missions = missions.filter(category=filters.category)
        if filters.state:
            missions = missions.filter(state=filters.state)
    return keyset_page(missions, limit=page.limit, cursor=page.cursor, serialize=mission_out)


@router.get("/missions/{mission_id}", response=MissionOut)
def mission_detail(request: HttpRequest, mission_id: str) -> dict[str, Any]:
    return mission_out(selectors.mission_for(current_user(request), mission_id))


@router.post("/missions/{mission_id}/submit", response=MissionOut)
def mission_submit(request: HttpRequest, mission_id: str) -> dict[str, Any]:
    user = current_user(request)
    return mission_out(services.mission_submit(mission=selectors.mission_for(user, mission_id), by=user))


@router.post("/missions/{mission_id}/publish", response=MissionOut)
def mission_publish(request: HttpRequest, mission_id: str) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "staff")
    return mission_out(services.mission_publish(mission=selectors.mission_for(user, mission_id), by=user))


@router.post("/missions/{mission_id}/request-changes", response=MissionOut)
def mission_request_changes(request: HttpRequest, mission_id: str, data: ReasonIn) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "staff")
    mission = selectors.mission_for(user, mission_id)
    return mission_out(services.mission_request_changes(mission=mission, by=user, reason=data.reason))


@router.post("/missions/{mission_id}/withdraw", response=MissionOut)
def mission_withdraw(request: HttpRequest, mission_id: str) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "company")
    return mission_out(services.mission_withdraw(mission=selectors.mission_for(user, mission_id), by=user))


# --- Claims ---------------------------------------------------------------


@router.post("/missions/{mission_id}/claims", response={201: ClaimOut})
def claim_create(request: HttpRequest, mission_id: str) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_role(user, "tasker")
    mission = selectors.mission_for(user, mission_id)
    claim = services.claim_create(mission=mission, tasker=user)
    return Status(201, claim_out(claim))


@router.get("/claims", response=ClaimPage)
def claim_list(request: HttpRequest, filters: Query[ClaimFilters], page: Query[PageParams]) -> dict[str, Any]:
    claims = selectors.claims_visible_to(current_user(request)).select_related("mission", "tasker")
    if filters.state:
        claims = claims.filter(state=filters.state)
    if filters.mission_id:
        mission_id = parse_id(filters.mission_id)
        if mission_id is None:
            raise InvalidInput("mission_id is an id.", field="mission_id")
        claims = claims.filter(mission_id=mission_id)
    claims = claims.prefetch_related("files")
    return keyset_page(claims, limit=page.limit, cursor=page.cursor, serialize=claim_out)


@router.get("/claims/{claim_id}", response=ClaimOut)
def claim_detail(request: HttpRequest, claim_id: str) -> dict[str, Any]:
    return claim_out(selectors.claim_for(current_user(request), claim_id), history=True)


def _claim_action(request: HttpRequest, claim_id: str, role: str) -> tuple[Any, Claim]:
    user = current_user(request)
    claim = selectors.claim_for(user, claim_id)
    require_role(user, role)
    return user, claim


@router.post("/claims/{claim_id}/release", response=ClaimOut)
def claim_release(request: HttpRequest, claim_id: str) -> dict[str, Any]:
    user, claim = _claim_action(request, claim_id, "tasker")
    return claim_out(services.claim_release(claim=claim, by=user), history=True)


@router.post("/claims/{claim_id}/report", response=ClaimOut)
def claim_report(request: HttpRequest, claim_id: str, data: ReportIn) -> dict[str, Any]:
    user, claim = _claim_action(request, claim_id, "tasker")
    claim = services.claim_report(claim=claim, by=user, answers=data.answers, text=data.text or "", links=data.links)
    return claim_out(claim, history=True)


@router.post("/claims/{claim_id}/report/files", response={201: ReportFileOut})
def claim_report_file(
    request: HttpRequest, claim_id: str, question: Form[str], file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    user, claim = _claim_action(request, claim_id, "tasker")
    added = services.report_file_add(claim=claim, by=user, question_key=question, upload=file)
    return Status(
        201,
        {
            "id": str(added.pk),
            "question_key": added.question_key,
            "content_type": added.content_type,
            "size": added.size,
            "url": f"/missions/claims/{claim.pk}/files/{added.pk}/",
        },
    )


@router.post("/claims/{claim_id}/approve", response=ClaimOut)
def claim_approve(request: HttpRequest, claim_id: str, data: ApproveIn) -> dict[str, Any]:
    user, claim = _claim_action(request, claim_id, "company")
    claim = services.claim_approve(claim=claim, by=user, rating=data.rating, comment=data.comment or "")
    return claim_out(claim, history=True)


@router.post("/claims/{claim_id}/reject", response=ClaimOut)
def claim_reject(request: HttpRequest, claim_id: str, data: RejectIn) -> dict[str, Any]:
    user, claim = _claim_action(request, claim_id, "company")
    return claim_out(services.claim_reject(claim=claim, by=user, reason=data.reason, rating=data.rating), history=True)


@router.post("/claims/{claim_id}/dispute", response=ClaimOut)
def claim_dispute(request: HttpRequest, claim_id: str, data: ReasonIn) -> dict[str, Any]:
    user, claim = _claim_action(request, claim_id, "tasker")
    return claim_out(services.claim_dispute(claim=claim, by=user, reason=data.reason), history=True)


@router.post("/claims/{claim_id}/settle", response=ClaimOut)
def claim_settle(request: HttpRequest, claim_id: str, data: SettleIn) -> dict[str, Any]:
    user, claim = _claim_action(request, claim_id, "staff")
    claim = services.claim_settle(claim=claim, by=user, tasker_paid_cents=data.tasker_paid_cents)
    return claim_out(claim, history=True)


# --- Staff ----------------------------------------------------------------

staff_router = Router(tags=["staff"])


@staff_router.get("/review-queue", response=MissionPage)
def review_queue(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Missions waiting for review, oldest first (HM11)."""
    require_role(current_user(request), "staff")
    missions = selectors.missions_pending_review()
    return keyset_page_ascending(missions, limit=page.limit, cursor=page.cursor, serialize=mission_out)
