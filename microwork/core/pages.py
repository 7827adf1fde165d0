"""What every app's pages share: a button or a form that calls one service,
then says it was done (or why not) on the page it leads back to; keyset pages
of model objects with their "more" link; the local page to go on to."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import ApplicationError, InvalidInput
from .pagination import keyset_page, keyset_page_ascending, ranked_page

PAGE_SIZE = 20

# What a service did, said in words: a fixed sentence, or one built from its result.
Done = str | Callable[[Any], str]


def _said(done: Done, result: object) -> str:
    return done(result) if callable(done) else done


def act_then_redirect(request: HttpRequest, action: Callable[[], object], *, done: Done, to: str) -> HttpResponse:
    """A button that calls one service: say it was done, or why not, on the page it leads back to."""
    try:
        result = action()
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _said(done, result))
    return redirect(to)


def form_then_redirect(
    request: HttpRequest,
    form: Any,
    action: Callable[[dict[str, Any]], object],
    *,
    done: Done,
    to: str,
    aliases: dict[str, str] | None = None,
) -> HttpResponse | None:
    """A form that calls one service: where to go once it is done, or None to
    show the form again with what the form or the service refused."""
    if not form.is_valid():
        return None
    try:
        result = action(form.cleaned_data)
    except ApplicationError as exc:
        form.add_service_error(exc, aliases=aliases)
        return None
    messages.success(request, _said(done, result))
    return redirect(to)


def page_of(
    queryset: QuerySet[Any], cursor: str, *, ascending: bool = False, ranked: bool = False, size: int = PAGE_SIZE
) -> dict[str, Any]:
    """A keyset page of model objects (oldest first with `ascending`; in the
    queryset's own order with `ranked`, as a search ranks them); a cursor that
    is not one starts over."""
    paginate = ranked_page if ranked else keyset_page_ascending if ascending else keyset_page
    try:
        return paginate(queryset, limit=size, cursor=cursor or None, serialize=lambda row: row)
    except InvalidInput:
        return paginate(queryset, limit=size, cursor=None, serialize=lambda row: row)


def more_url(request: HttpRequest, next_cursor: str | None) -> str:
    if not next_cursor:
        return ""
    query = request.GET.copy()
    query["cursor"] = next_cursor
    return f"{request.path}?{query.urlencode()}"


def next_url(request: HttpRequest) -> str:
    """The page to go on to afterwards (`next`, posted or in the address),
    when it is one of this site's; "" otherwise."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return url if safe else ""
