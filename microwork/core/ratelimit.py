"""Rate limits on Django's cache, counted by django-ratelimit: a number of
calls per key over a window.

The cache is local memory in development and Redis in production, so a limit
holds across every worker where it matters. Sign-in lockouts (wrong
passwords) are django-axes' job, on the same cache.
"""

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from .errors import TooManyRequests


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address, as every limit and lockout counts it."""
    return request.META.get("REMOTE_ADDR") or None


def rate_limit(key: str, *, limit: int, window_seconds: int, message: str) -> None:
    """Count one more call on `key` ("<what>:<whose>"); past `limit` calls in
    the window, refuse with 429 and the seconds until the window ends."""
    group = key.partition(":")[0]
    usage = get_usage(
        None, group=f"microwork.{group}", key=lambda _group, _request: key, rate=(limit, window_seconds), increment=True
    )
    if usage is not None and usage["should_limit"]:
        raise TooManyRequests(message, retry_after=usage["time_left"])


def rate_limit_named(name: str, whose: object, *, message: str) -> None:
    """A limit of settings.RATE_LIMITS (`name`: calls, seconds) on `whose`."""
    limit, window_seconds = settings.RATE_LIMITS[name]
    rate_limit(f"{name}:{whose}", limit=limit, window_seconds=window_seconds, message=message)
