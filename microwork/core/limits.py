"""The request body is capped before it is read (PL06)."""

import re
from collections.abc import Callable
from functools import lru_cache
from html import escape

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from .problems import problem_response


@lru_cache(maxsize=8)
def _compiled(limits: tuple[tuple[str, int], ...]) -> tuple[tuple[re.Pattern[str], int], ...]:
    return tuple((re.compile(pattern), size) for pattern, size in limits)


def body_limit(path: str) -> int:
    """The largest body `path` takes: `MAX_REQUEST_BODY_BYTES`, or a larger cap
    of `REQUEST_BODY_LIMITS` where several files go at once."""
    for pattern, size in _compiled(tuple(tuple(item) for item in settings.REQUEST_BODY_LIMITS)):
        if pattern.search(path):
            return size
    return int(settings.MAX_REQUEST_BODY_BYTES)


def _megabytes(size: int) -> int:
    return max(1, size // (1024 * 1024))


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    language = translation.get_language_from_request(request)
    with translation.override(language):
        title = _("The request is too large.")
        detail = _("Send at most %(count)s MB at once.") % {"count": _megabytes(limit)}
        if request.path.startswith("/api/"):
            return problem_response(status=413, code="request_too_large", title=title, detail=detail)
        back = _("Go back to the previous page and send smaller or fewer files.")
        page = (
            f'<!doctype html><html lang="{escape(language)}"><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(detail)}</p><p>{escape(back)}</p></html>"
        )
    return HttpResponse(page, status=413, content_type="text/html; charset=utf-8")


class RequestBodyLimitMiddleware:
    """Refuses a body whose Content-Length is over its path's cap with 413,
    before anything reads it (problem+json on the API, a short page
    elsewhere). A body sent without a length is read by Django as empty; the
    front server caps every body first (docs/deploy.md)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > 0:
            limit = body_limit(request.path_info)
            if length > limit:
                return too_large_response(request, limit)
        return self.get_response(request)
