"""What every mission page shares: who is asking, the object they may see
(404 for a foreign one), keyset pages and a report shown question by question."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from microwork.accounts.models import User
from microwork.accounts.roles import page_user
from microwork.core.errors import ApplicationError, InvalidInput
from microwork.core.pagination import keyset_page, keyset_page_ascending

from .. import selectors
from ..models import Claim, Mission

PAGE_SIZE = 20


def any_user(request: HttpRequest) -> User:
    return page_user(request)


def tasker_user(request: HttpRequest) -> User:
    return page_user(request, "tasker")


def company_user(request: HttpRequest) -> User:
    return page_user(request, "company")


def staff_user(request: HttpRequest) -> User:
    return page_user(request, "staff")


def mission_for(user: User, mission_id: object) -> Mission:
    return selectors.mission_for(user, mission_id)


def claim_for(user: User, claim_id: object) -> Claim:
    return selectors.claim_for(user, claim_id)


def page_of(queryset: QuerySet[Any], cursor: str, *, ascending: bool = False) -> dict[str, Any]:
    """A keyset page of model objects; a cursor that is not one starts over."""
    paginate = keyset_page_ascending if ascending else keyset_page
    try:
        return paginate(queryset, limit=PAGE_SIZE, cursor=cursor or None, serialize=lambda row: row)
    except InvalidInput:
        return paginate(queryset, limit=PAGE_SIZE, cursor=None, serialize=lambda row: row)


def posted(request: HttpRequest) -> Any:
    """The POST data, also when empty: an empty POST still binds the form (and shows its errors)."""
    return request.POST if request.method == "POST" else None


def more_url(request: HttpRequest, next_cursor: str | None) -> str:
    if not next_cursor:
        return ""
    query = request.GET.copy()
    query["cursor"] = next_cursor
    return f"{request.path}?{query.urlencode()}"


def report_rows(claim: Claim, mission: Mission) -> list[dict[str, Any]]:
    """The report question by question, with the files sent for each (HM13)."""
    files = list(claim.files.all())
    rows = []
    for question in mission.questions:
        key = question["key"]
        rows.append(
            {
                "label": question["label"],
                "kind": question["kind"],
                "value": claim.answers.get(key, ""),
                "files": [f for f in files if f.question_key == key],
            }
        )
    return rows


def act_then_redirect(request: HttpRequest, action: Callable[[], object], *, done: str, to: str) -> HttpResponse:
    """A button that calls one service: say it was done, or why not, on the page it leads back to."""
    try:
        action()
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect(to)


def form_then_redirect(
    request: HttpRequest,
    form: Any,
    action: Callable[[dict[str, Any]], object],
    *,
    done: str,
    to: str,
    aliases: dict[str, str] | None = None,
) -> HttpResponse | None:
    """A form that calls one service: where to go once it is done, or None to
    show the form again with what the form or the service refused."""
    if not form.is_valid():
        return None
    try:
        action(form.cleaned_data)
    except ApplicationError as exc:
        form.add_service_error(exc, aliases=aliases)
        return None
    messages.success(request, done)
    return redirect(to)


def with_override(row: dict[str, Any], key: str, override: dict[str, Any] | None) -> dict[str, Any]:
    """A page row; for the row just posted, its bound form and errors instead of a blank one."""
    if override and override[key].pk == row[key].pk:
        row.update({k: v for k, v in override.items() if k != key})
    return row
