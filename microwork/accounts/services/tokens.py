"""The bearer tokens' lookups kept in the shared cache (PL06, issue 12).

Every API call looks its token up; through the ORM that costs more than the
busiest pages themselves (profiles in docs/scaling.md). A token found live
is kept in the cache for `API_TOKEN_CACHE_SECONDS` with its user, beside a
stamp: a random value under a second key of the token's own. A kept token is
believed only while its stamp is still there and still the same; any write
to the token or to its user, once committed, removes the stamps of the
user's tokens (`tokens_forget`, wired in `accounts.apps` for saves and
deletions, and called by each bulk revocation). So a revoked token, a
changed password, a closed account or a changed role is seen at the next
request on every worker, as without the cache; a lookup that read the
database before such a write and wrote the cache after it holds the old
stamp, which no new stamp ever equals.

What only time changes (the token's expiry) is checked at each request.
Off (0) unless the cache is shared by every worker (Redis).
"""

import logging
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from ..models import ApiToken

logger = logging.getLogger(__name__)


def _keys(key_hash: str) -> tuple[str, str]:
    return f"accounts:token:{key_hash}", f"accounts:token-stamp:{key_hash}"


def token_cached(key_hash: str) -> tuple[ApiToken | None, str | None]:
    """The token (with its user) kept under a stamp still current, and the
    token's current stamp: (None, stamp) when nothing current is kept, (None,
    None) when there is no stamp yet (or the cache is off or down)."""
    if not settings.API_TOKEN_CACHE_SECONDS:
        return None, None
    entry_key, stamp_key = _keys(key_hash)
    try:
        found = cache.get_many([entry_key, stamp_key])
    except Exception:  # a cache down means the database answers
        logger.warning("api tokens: the cache does not answer", exc_info=True)
        return None, None
    entry, stamp = found.get(entry_key), found.get(stamp_key)
    if entry is None or stamp is None or entry[0] != stamp:
        return None, stamp
    token: ApiToken = entry[1]
    return token, stamp


def token_stamp(key_hash: str) -> str | None:
    """A new stamp for the token when it has none: made BEFORE the database
    is read, so that a write committed in between is never kept."""
    if not settings.API_TOKEN_CACHE_SECONDS:
        return None
    _entry_key, stamp_key = _keys(key_hash)
    stamp = secrets.token_hex(16)
    try:
        if cache.add(stamp_key, stamp, timeout=settings.API_TOKEN_CACHE_SECONDS * 2):
            return stamp
        current: str | None = cache.get(stamp_key)
        return current
    except Exception:
        logger.warning("api tokens: the cache does not answer", exc_info=True)
        return None


def token_keep(token: ApiToken, stamp: str | None) -> None:
    """Keep the token (its user loaded with it) under the stamp read before the database."""
    if stamp is None:
        return
    entry_key, _stamp_key = _keys(token.key_hash)
    try:
        cache.set(entry_key, (stamp, token), timeout=settings.API_TOKEN_CACHE_SECONDS)
    except Exception:
        logger.warning("api tokens: the cache does not answer", exc_info=True)


def tokens_forget(*, key_hashes: Iterable[str] = (), user_id: int | None = None) -> None:
    """After the current transaction commits, no kept lookup of these tokens
    (or of every token of `user_id`) is believed any more."""
    if not settings.API_TOKEN_CACHE_SECONDS:
        return
    hashes = list(key_hashes)

    def forget() -> None:
        try:
            every = hashes
            if user_id is not None:
                every = [*hashes, *ApiToken.objects.filter(user_id=user_id).values_list("key_hash", flat=True)]
            keys = [key for key_hash in every for key in _keys(key_hash)]
            try:
                cache.delete_many(keys)
            except Exception:
                cache.delete_many(keys)  # once more: a dropped connection is made again
        except Exception:
            # The write has committed; the kept lookups end with their lifetime.
            logger.error("api tokens: kept lookups could not be forgotten", exc_info=True)

    transaction.on_commit(forget, robust=True)


def on_token_write(sender: type, instance: ApiToken, **kwargs: Any) -> None:
    tokens_forget(key_hashes=[instance.key_hash])


def on_user_write(sender: type, instance: Any, **kwargs: Any) -> None:
    tokens_forget(user_id=instance.pk)
