"""RFC 9457 problem details, the body of every API error."""

import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_response(*, status: int, code: str, title: str, detail: str = "", **extra: Any) -> HttpResponse:
    body = {
        "type": f"https://microwork.fr/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
        **extra,
    }
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)
    if status == 401:
        # RFC 9110: a 401 names the scheme that would let the caller in (PL06).
        response["WWW-Authenticate"] = "Bearer"
    return response


def _body_refused(message: str) -> HttpResponse:
    return problem_response(
        status=422,
        code="invalid",
        title="The input is not valid.",
        detail=message,
        errors=[{"field": "body", "message": message}],
    )


def request_too_big_response() -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE: a refusal of the input, not a server error."""
    return _body_refused("The request body is too large.")


# What Django raises while reading a form or a query string it cannot take.
UNREADABLE_REQUEST_ERRORS = (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent)


def unreadable_request_response(exc: Exception) -> HttpResponse:
    """A malformed multipart body (no boundary, broken parts) or one with too many
    fields or files: a refusal of the input, not a server error."""
    if isinstance(exc, TooManyFilesSent):
        return _body_refused("The request has too many files.")
    if isinstance(exc, TooManyFieldsSent):
        return _body_refused("The request has too many fields.")
    return _body_refused("The multipart body cannot be read; is its boundary set?")


class MethodNotAllowedMiddleware:
    """The API's 405 as problem+json, like every other API error (ninja
    answers it before any of the API's handlers run)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and request.path.startswith("/api/"):
            allowed = response.get("Allow", "")
            problem = problem_response(
                status=405,
                code="method_not_allowed",
                title="This method is not allowed here.",
                detail=f"Allowed: {allowed}." if allowed else "",
            )
            if allowed:
                problem["Allow"] = allowed
            return problem
        return response
