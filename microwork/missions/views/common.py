"""What every mission page shares: who is asking (the object they may see,
404 for a foreign one, comes from `selectors.mission_for` / `claim_for`), a
report shown question by question; and, from
`core.pages`, keyset pages and the call-a-service-then-redirect helpers."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from microwork.accounts.models import User
from microwork.accounts.roles import page_user
from microwork.core.pages import act_then_redirect, form_then_redirect, more_url, page_of

from .. import selectors
from ..models import Claim, Mission

__all__ = [
    "act_then_redirect",
    "any_user",
    "company_user",
    "form_then_redirect",
    "map_context",
    "more_url",
    "page_of",
    "posted",
    "report_rows",
    "rows_page",
    "staff_user",
    "tasker_user",
    "with_override",
]


def any_user(request: HttpRequest) -> User:
    return page_user(request)


def tasker_user(request: HttpRequest) -> User:
    return page_user(request, "tasker")


def company_user(request: HttpRequest) -> User:
    return page_user(request, "company")


def staff_user(request: HttpRequest) -> User:
    return page_user(request, "staff")


def posted(request: HttpRequest) -> Any:
    """The POST data, also when empty: an empty POST still binds the form (and shows its errors)."""
    return request.POST if request.method == "POST" else None


def report_rows(claim: Claim, mission: Mission) -> list[dict[str, Any]]:
    """The report question by question, with the files sent for each and,
    for a photo, its proof (HM13)."""
    files = list(claim.files.all())
    rows = []
    for question in mission.questions:
        key = question["key"]
        rows.append(
            {
                "label": question["label"],
                "kind": question["kind"],
                "value": claim.answers.get(key, ""),
                "files": [
                    {"file": f, "proof": selectors.photo_proof(f, claim, mission)}
                    for f in files
                    if f.question_key == key
                ],
            }
        )
    return rows


def rows_page(
    request: HttpRequest,
    queryset: QuerySet[Any],
    template: str,
    row: Callable[[Any], dict[str, Any]],
    *,
    key: str,
    ascending: bool = False,
    override: dict[str, Any] | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """A keyset page of rows, one per object, built by `row`; the row just
    posted (`override`) keeps its bound form and errors; `extra` adds to the context."""
    page = page_of(queryset, request.GET.get("cursor", ""), ascending=ascending)
    rows = [with_override(row(obj), key, override) for obj in page["items"]]
    context = {"rows": rows, "more_url": more_url(request, page["next_cursor"]), **(extra or {})}
    return render(request, template, context, status=status)


def with_override(row: dict[str, Any], key: str, override: dict[str, Any] | None) -> dict[str, Any]:
    """A page row; for the row just posted, its bound form and errors instead of a blank one."""
    if override and override[key].pk == row[key].pk:
        row.update({k: v for k, v in override.items() if k != key})
    return row


def map_context() -> dict[str, str]:
    """Where a page's map tiles and address suggestions come from (HM12)."""
    return {"map_tile_url": settings.MAP_TILE_URL, "address_api_url": settings.ADDRESS_API_URL}
