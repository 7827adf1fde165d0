"""Authentication backends (PL06)."""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for every sign-in that comes with a request
    (the API, the sign-in page, the admin). A sign-in from code, without a
    request (a shell, a test client's `login`), has no address to count and
    is left to the next backend instead of being refused."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
