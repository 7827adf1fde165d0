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
