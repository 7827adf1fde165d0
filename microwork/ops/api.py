"""The API's endpoints for what spans every app: the data export (AC03) and
account closure (AC02)."""

import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from microwork.accounts.models import ClosureRequest
from microwork.accounts.roles import current_user
from microwork.core.errors import NotFound
from microwork.core.problems import problem_response

from . import closure as closures
from .export import export_is_large, user_export

# Tagged as before the move: clients group these with their account.
router = Router(tags=["accounts"])


class ClosureOut(Schema):
    id: str
    state: str
    requested_at: datetime
    effective_at: datetime
    cancelled_at: datetime | None
    closed_at: datetime | None
    blocked_reasons: list[str]


class ExportQueuedOut(Schema):
    state: str
    detail: str


def closure_out(closure: ClosureRequest) -> dict[str, Any]:
    return {
        "id": str(closure.pk),
        "state": closure.state,
        "requested_at": closure.requested_at,
        "effective_at": closure.effective_at,
        "cancelled_at": closure.cancelled_at,
        "closed_at": closure.closed_at,
        "blocked_reasons": list(closure.blocked_reasons or []),
    }


@router.get(
    "/me/export",
    operation_id="microwork_accounts_api_export",
    response={200: dict, 202: ExportQueuedOut},
)
def export(request: HttpRequest) -> Any:
    """All of the user's data as JSON; a large account's export is built in
    the background and its link emailed (202)."""
    user = current_user(request)
    if export_is_large(user):
        from .tasks import export_build

        export_build.enqueue(user.pk)
        return Status(202, {"state": "building", "detail": "The export is being built; a link will be emailed."})
    return HttpResponse(
        json.dumps(user_export(user), cls=DjangoJSONEncoder, ensure_ascii=False), content_type="application/json"
    )


@router.post("/me/closure", operation_id="microwork_accounts_api_closure", response={202: ClosureOut})
def closure_request(request: HttpRequest) -> Any:
    """Ask to close the account (AC02); `409 closure_blocked` with `reasons` while work or money is open."""
    try:
        closure = closures.closure_request(user=current_user(request))
    except closures.ClosureBlocked as exc:
        return problem_response(
            status=exc.status, code=exc.code, title=str(exc.title), detail=exc.detail, reasons=exc.reasons
        )
    return Status(202, closure_out(closure))


@router.get(
    "/me/closure",
    response=ClosureOut,
    openapi_extra={"responses": {404: {"description": "No closure is waiting to take effect."}}},
)
def closure_detail(request: HttpRequest) -> dict[str, Any]:
    """The closure waiting to take effect; 404 when there is none."""
    closure = closures.closure_open(current_user(request))
    if closure is None:
        raise NotFound()
    return closure_out(closure)


@router.delete("/me/closure", response=ClosureOut)
def closure_cancel(request: HttpRequest) -> dict[str, Any]:
    """Cancel the closure before it takes effect; `409 closure_not_cancellable` otherwise."""
    return closure_out(closures.closure_cancel(user=current_user(request)))
