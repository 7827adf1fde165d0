"""The Redis cache backend that keeps its client (core/cache.py), against the
machine's Redis (skipped when none answers)."""

import pytest
import redis

from microwork.core.cache import RedisCache

URL = "redis://127.0.0.1:6379/4"


@pytest.fixture
def backend() -> RedisCache:
    try:
        redis.Redis.from_url(URL, socket_connect_timeout=1).flushdb()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return RedisCache(URL, {})


def test_pl06_redis_cache_keeps_one_client_and_answers_as_django_s(backend):
    # one client per connection pool, kept from call to call
    first = backend._cache.get_client()
    assert backend._cache.get_client(write=True) is first
    # Django's cache API, unchanged: what the rate limits, the tokens and the feed use
    assert backend.add("counter", 0, timeout=None) and not backend.add("counter", 5)
    assert backend.incr("counter") == 1
    page = {"items": [1, 2], "next_cursor": None}
    backend.set("page", page, timeout=30)
    assert backend.get_many(["counter", "page", "absent"]) == {"counter": 1, "page": page}
    backend.delete_many(["counter", "page"])
    assert backend.get("page") is None and backend.get("counter", "gone") == "gone"
