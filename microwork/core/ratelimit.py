"""Rate limits on Django's cache: a count per key over a fixed window.

The cache is local memory in development and Redis in production, so a limit
holds across every worker where it matters.
"""

from django.core.cache import cache

from .errors import TooManyRequests


def rate_limit(key: str, *, limit: int, window_seconds: int, message: str) -> None:
    """Count one more hit on `key`; refuse with 429 past `limit` hits in the window."""
    cache_key = f"ratelimit:{key}"
    # `add` starts the window only if none is running; `incr` is atomic on
    # Redis and under the local-memory cache's lock.
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The window closed between the two calls: this hit opens the next one.
        cache.add(cache_key, 1, timeout=window_seconds)
        count = 1
    if count > limit:
        raise TooManyRequests(message)
