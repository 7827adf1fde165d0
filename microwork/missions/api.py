"""The missions and claims API (SPEC HM, MW01, MW04): each handler finds the
object through its access helper, calls one service and answers its schema."""

from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from microwork.accounts.roles import current_user, require_role
from microwork.core.errors import InvalidInput
from microwork.core.ids import parse_id
from microwork.core.pagination import PageParams, keyset_page, keyset_page_ascending
from microwork.core.responses import schema_json
from microwork.core.uploads import file_response

from . import selectors, services
from .batch import batch_file_content, parse_batch_csv
from .models import Claim, Mission
from .schemas import (
    ApproveIn,
    BatchOut,
    ClaimFilters,
    ClaimIn,
    ClaimOut,
    ClaimPage,
    MissionFilters,
    MissionIn,
    MissionOut,
    MissionPage,
    ReasonIn,
    RejectIn,
    ReportFileOut,
    ReportIn,
    SettleIn,
)
from .serialisers import claim_out, mission_out, report_file_out

router = Router(tags=["missions"])


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


@router.post("/missions", response={201: MissionOut})
def mission_create(request: HttpRequest, data: MissionIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_role(user, "company")
    mission = services.mission_create(company=user, **data.mission_fields())
    return Status(201, mission_out(mission))


@router.post("/missions/batch", response={201: BatchOut})
def mission_batch(request: HttpRequest, file: File[UploadedFile]) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_role(user, "company")
    missions = services.mission_batch_create(company=user, rows=parse_batch_csv(batch_file_content(file)))
    return Status(201, {"ids": [str(m.pk) for m in missions], "items": [mission_out(m) for m in missions]})


@router.get("/missions", response=MissionPage)
def mission_list(request: HttpRequest, filters: Query[MissionFilters], page: Query[PageParams]) -> HttpResponse:
    user = current_user(request)
    if user.is_tasker:
        # The busiest read: shaped by `mission_out`, answered without validating it again.
        return schema_json(
            selectors.open_missions_page(
                tasker=user,
                limit=page.limit,
                cursor=page.cursor,
                serialize=mission_out,
                category=filters.category,
                min_reward_cents=filters.min_reward_cents,
                q=filters.q,
                near=_near(filters.near),
            )
        )
    missions = selectors.missions_visible_to(user)
    if filters.category:
        missions = missions.filter(category=filters.category)
    if filters.state:
        missions = missions.filter(state=filters.state)
    return schema_json(keyset_page(missions, limit=page.limit, cursor=page.cursor, serialize=mission_out))


@router.get("/missions/{mission_id}", response=MissionOut)
def mission_detail(request: HttpRequest, mission_id: str) -> HttpResponse:
    return schema_json(selectors.mission_page(current_user(request), mission_id, _mission_page_out))


def _mission_page_out(mission: Mission) -> dict[str, Any]:
    """A mission on its own page: with its company's record (PL05)."""
    return mission_out(mission, company_stats=selectors.company_stats(mission.company_id))


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


CLAIM_ERRORS = {
    403: {
        "description": "This account may not take it: `forbidden` (not a tasker), `phone_not_verified`, "
        "`not_qualified` (the tasker's record falls short of the mission's quality filters; `detail` gives "
        "both figures)."
    },
    409: {
        "description": "Refused by the current state of things: `claim_limit_reached` (HM05), `mission_full`, "
        "`already_claimed`, `mission_not_available`, `outside_radius`."
    },
    429: {
        "description": "`too_many_requests`: the tasker's claims passed the burst or the sustained limit "
        "(fair dispatch); `Retry-After` gives the seconds to wait."
    },
}


@router.post("/missions/{mission_id}/claims", response={201: ClaimOut}, openapi_extra={"responses": CLAIM_ERRORS})
def claim_create(request: HttpRequest, mission_id: str, data: ClaimIn | None = None) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_role(user, "tasker")
    mission = selectors.mission_for(user, mission_id, places=False)
    position = (data.position.lat, data.position.lon) if data and data.position else None
    claim = services.claim_create(mission=mission, tasker=user, position=position)
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
    claim = services.claim_report(
        claim=claim, by=user, answers=data.answers, text=data.text or "", links=data.links, started_at=data.started_at
    )
    return claim_out(claim, history=True)


@router.get("/claims/{claim_id}/report/files/{file_id}", response={200: None})
def claim_report_file_get(request: HttpRequest, claim_id: str, file_id: str) -> FileResponse:
    """The file itself: an image inline with its detected type, a PDF as an attachment."""
    user = current_user(request)
    upload = selectors.report_file_for(user, claim_id, file_id)
    return file_response(selectors.report_file_shown(upload, user), content_type=upload.content_type)


@router.post("/claims/{claim_id}/report/files", response={201: ReportFileOut})
def claim_report_file(
    request: HttpRequest, claim_id: str, question: Form[str], file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    user, claim = _claim_action(request, claim_id, "tasker")
    added = services.report_file_add(claim=claim, by=user, question_key=question, upload=file)
    return Status(201, report_file_out(added, claim))


@router.post("/claims/{claim_id}/approve", response=ClaimOut)
def claim_approve(request: HttpRequest, claim_id: str, data: ApproveIn) -> dict[str, Any]:
    user, claim = _claim_action(request, claim_id, "company")
    claim = services.claim_approve(claim=claim, by=user, rating=data.rating, comment=data.comment or "")
    return claim_out(claim, history=True)


@router.post("/claims/{claim_id}/reject", response=ClaimOut)
def claim_reject(request: HttpRequest, claim_id: str, data: RejectIn) -> dict[str, Any]:
    user, claim = _claim_action(request, claim_id, "company")
    rejected = services.claim_reject(
        claim=claim, by=user, reason_code=data.reason_code, reason=data.reason, rating=data.rating
    )
    return claim_out(rejected, history=True)


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
