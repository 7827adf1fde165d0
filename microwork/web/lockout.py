"""The answer to a sign-in locked out by django-axes (PL06): problem+json
on the API, a French page elsewhere, both 429 with Retry-After."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from microwork.core.problems import problem_response


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: Any) -> HttpResponse:
    retry_after = int(settings.AXES_COOLOFF_TIME.total_seconds())
    if request.path.startswith("/api/"):
        response = problem_response(
            status=429,
            code="too_many_requests",
            title="Too many requests; try again later.",
            detail="Too many wrong passwords; try again in a few minutes.",
        )
    else:
        minutes = max(1, retry_after // 60)
        response = render(request, "web/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after)
    return response
