"""Template batches through the API (MW04): a template and a file of items
make one batch of missions, submitted, reviewed and published as one unit;
its progress, and its results as CSV in MTurk's layout."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from microwork.accounts.roles import current_user, require_role
from microwork.core.pagination import PageParams, keyset_page

from . import batch_selectors, services
from .batch_template import items_content, read_template, results_response, template_fields
from .models import Batch
from .schemas import ReasonIn, TemplateBatchFilters, TemplateBatchOut, TemplateBatchPage
from .serialisers import batch_out

router = Router(tags=["batches"])


def _out(batch: Batch, *, detail: bool = False) -> dict[str, Any]:
    ids = list(batch_selectors.batch_missions(batch).values_list("pk", flat=True)) if detail else None
    return batch_out(batch, progress=batch_selectors.batch_progress(batch), mission_ids=ids)


@router.post("/batches", response={201: TemplateBatchOut})
def batch_create(request: HttpRequest, template: Form[str], items: File[UploadedFile]) -> Status[dict[str, Any]]:
    """A draft batch: one mission per row of `items`, the template filled from the row; all or nothing."""
    user = current_user(request)
    require_role(user, "company")
    content = items_content(items)
    checked = read_template(template)
    batch = services.batch_create_from_file(
        company=user,
        template=template_fields(checked),
        content=content,
        wave_size=checked.wave_size,
        wave_minutes=checked.wave_minutes,
    )
    return Status(201, _out(batch, detail=True))


@router.get("/batches", response=TemplateBatchPage)
def batch_list(request: HttpRequest, filters: Query[TemplateBatchFilters], page: Query[PageParams]) -> dict[str, Any]:
    """A company's batches; staff see every batch (`state=pending_review`: the review queue)."""
    batches = batch_selectors.batches_visible_to(current_user(request))
    if filters.state:
        batches = batches.filter(state=filters.state)
    return keyset_page(batches, limit=page.limit, cursor=page.cursor, serialize=_out)


@router.get("/batches/{batch_id}", response=TemplateBatchOut)
def batch_detail(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    return _out(batch_selectors.batch_for(current_user(request), batch_id), detail=True)


@router.post("/batches/{batch_id}/submit", response=TemplateBatchOut)
def batch_submit(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "company")
    return _out(services.batch_submit(batch=batch_selectors.batch_for(user, batch_id), by=user))


@router.post("/batches/{batch_id}/publish", response=TemplateBatchOut)
def batch_publish(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "staff")
    return _out(services.batch_publish(batch=batch_selectors.batch_for(user, batch_id), by=user))


@router.post("/batches/{batch_id}/request-changes", response=TemplateBatchOut)
def batch_request_changes(request: HttpRequest, batch_id: str, data: ReasonIn) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "staff")
    batch = batch_selectors.batch_for(user, batch_id)
    return _out(services.batch_request_changes(batch=batch, by=user, reason=data.reason))


@router.post("/batches/{batch_id}/withdraw", response=TemplateBatchOut)
def batch_withdraw(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "company")
    return _out(services.batch_withdraw(batch=batch_selectors.batch_for(user, batch_id), by=user))


@router.get("/batches/{batch_id}/results.csv", response={200: None})
def batch_results(request: HttpRequest, batch_id: str) -> HttpResponse:
    """One line per report, in MTurk's batch results layout (`Input.*`, then `Answer.*`)."""
    batch = batch_selectors.batch_for(current_user(request), batch_id)
    return results_response(batch, batch_selectors.batch_results(batch))
