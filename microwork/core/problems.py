"""RFC 9457 problem details, the body of every API error."""

import json
from typing import Any

from django.http import HttpResponse

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
    return HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)


def request_too_big_response() -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE: a refusal of the input, not a server error."""
    message = "The request body is too large."
    return problem_response(
        status=422,
        code="invalid",
        title="The input is not valid.",
        detail=message,
        errors=[{"field": "body", "message": message}],
    )
