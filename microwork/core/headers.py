"""Security headers every response carries (PL06).

* Content-Security-Policy: django-csp's middleware writes the policy of
  `settings.CONTENT_SECURITY_POLICY`, the same everywhere (Django's admin
  needs no inline script or style either).
* Permissions-Policy: the browser features no page needs are switched off.
* `csp_nonce`: the request's nonce for templates (`<script nonce=...>`), under
  the name django-htmx's `{% htmx_script %}` reads.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def csp_nonce(request: HttpRequest) -> dict[str, Any]:
    """Reading the nonce is what puts it in the header, so pages built on the
    base template always carry one."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}


class PermissionsPolicyMiddleware:
    """`Permissions-Policy` from `settings.PERMISSIONS_POLICY` (feature -> list
    of origins; an empty list switches the feature off)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(origins)})" for feature, origins in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response
