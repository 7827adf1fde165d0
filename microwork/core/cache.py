"""Django's Redis cache, keeping its Redis client.

Django's `RedisCacheClient` makes a new `redis.Redis` for every call, which
builds redis-py's table of response callbacks each time: at two or three
cache calls per request (the token, the feed, the rate limits) that was a
tenth of the busiest request's time in profiles (docs/scaling.md). A
`redis.Redis` is thread-safe and meant to be kept: one per connection pool
here. The pools are Django's own (redis-py makes new connections after a fork).
"""

from typing import Any

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
