"""The open missions as taskers browse them at peak, from the shared cache.

At 9:00 thousands of taskers reload the same first page of open missions.
Building its query costs far more than reading it (profiles in
docs/scaling.md), so a page of `missions_open` is kept in the cache for
`MISSION_FEED_CACHE_SECONDS` under the feed's generation, a counter that every
committed write to a mission or a claim moves on (`feed_changed`, wired in
`missions.apps`): a page read after a write is always built again, so a new
mission, a claimed last place or a withdrawal shows at the next request.
What only time changes (an end date or a claim's deadline passing) shows
within the page's lifetime; a claim decides under its lock in any case
(HM04, HM12).

A mission's page is kept the same way for taskers: every tasker sees the
same missions, with the same fields (`missions_visible_to`).

The cached page is the one every tasker would get before the quality
filters. A tasker gets it as it is only when their record passes every
mission on it (`tasker_qualifies`) and a mission further on is open to all
(so their own list goes on where the page's cursor says): the page of the
filtered list is then the same page. Otherwise the list is read for them
alone, as without the cache.

Off (0) unless the cache is shared by every worker (Redis): a per-process
cache would not hear of a write served by another worker.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

from microwork.accounts.models import User
from microwork.core.errors import NotFound
from microwork.core.ids import object_id
from microwork.core.pagination import keyset_page

from ..models import Mission
from .missions import mission_for, missions_open
from .records import QualityBar, tasker_qualifies, tasker_record

logger = logging.getLogger(__name__)

GENERATION_KEY = "missions:feed:generation"
_MISSING = "missing"


def feed_changed() -> None:
    """Every kept page is out of date (after a write to a mission or a claim commits)."""
    if not settings.MISSION_FEED_CACHE_SECONDS:
        return
    try:
        cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
        cache.incr(GENERATION_KEY)
    except Exception:  # the write has committed: never answer it with an error
        logger.warning("missions feed: the generation could not move on", exc_info=True)


def _kept(key: str) -> tuple[int | None, Any]:
    """The feed's generation and what `key` keeps for it, in one round trip:
    (None, None) when the cache does not answer, (generation, None) when
    nothing current is kept."""
    try:
        found = cache.get_many([GENERATION_KEY, key])
        generation = found.get(GENERATION_KEY)
        if generation is None:
            # From the clock, not 0: a counter the cache evicted and made again
            # never meets a generation that pages were kept under before.
            cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
            generation = cache.get(GENERATION_KEY, 0)
    except Exception:  # a cache down means no cache, never a failed request
        logger.warning("missions feed: the cache does not answer", exc_info=True)
        return None, None
    entry = found.get(key)
    return int(generation), (entry[1] if entry is not None and entry[0] == generation else None)


def _keep(key: str, generation: int, value: Any) -> None:
    """Keep `value` for this generation: read before the database, so a
    write committed meanwhile has already moved the generation on."""
    try:
        cache.set(key, (generation, value), timeout=settings.MISSION_FEED_CACHE_SECONDS)
    except Exception:
        logger.warning("missions feed: the cache does not answer", exc_info=True)


def open_missions_page(
    *,
    tasker: User | None,
    limit: int,
    cursor: str | None,
    serialize: Callable[[Mission], Any],
    category: str | None = None,
    min_reward_cents: int | None = None,
    q: str | None = None,
    near: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """A page of `missions_open(...)` for `tasker` (or a visitor), newest
    first, keyset-paginated: from the cache when the feed's cache is on and
    the page is one many taskers share (no keyword, no place)."""
    generation, entry = None, None
    if settings.MISSION_FEED_CACHE_SECONDS and not q and near is None:
        key = f"missions:feed:page:{category or ''}:{min_reward_cents}:{limit}:{cursor or ''}"
        generation, entry = _kept(key)
    if generation is None:
        missions = missions_open(category=category, min_reward_cents=min_reward_cents, q=q, near=near, tasker=tasker)
        return keyset_page(missions, limit=limit, cursor=cursor, serialize=serialize)
    if entry is None:
        bars: list[QualityBar] = []
        shown: list[int] = []

        def shape(mission: Mission) -> Any:
            bars.append(QualityBar(mission.min_approved_reports, mission.min_approval_percent))
            shown.append(mission.pk)
            return serialize(mission)

        missions = missions_open(category=category, min_reward_cents=min_reward_cents)
        page = keyset_page(missions, limit=limit, cursor=cursor, serialize=shape)
        # The page's cursor is every tasker's when a mission further on is
        # open to all: whatever their record, their own list goes on too.
        cursor_for_all = page["next_cursor"] is None or (
            missions.filter(pk__lt=shown[-1], min_approval_percent=0, min_approved_reports=0).exists()
        )
        entry = (page, bars, cursor_for_all)
        _keep(key, generation, entry)
    page, bars, cursor_for_all = entry
    if tasker is not None and (any(bar.filters for bar in bars) or not cursor_for_all):
        record = tasker_record(tasker.pk)
        if not cursor_for_all or not all(tasker_qualifies(bar, record) for bar in bars):
            missions = missions_open(category=category, min_reward_cents=min_reward_cents, tasker=tasker)
            return keyset_page(missions, limit=limit, cursor=cursor, serialize=serialize)
    return page


def mission_page(user: User, mission_id: object, serialize: Callable[[Mission], Any]) -> Any:
    """`serialize(mission_for(user, mission_id))`, kept for taskers while the
    feed's cache is on: not found stays not found."""
    # Staff (even a tasker account made staff) see more than taskers: never kept.
    if not (settings.MISSION_FEED_CACHE_SECONDS and user.is_tasker and not user.is_staff_member):
        return serialize(mission_for(user, mission_id))
    key = f"missions:feed:mission:{object_id(mission_id)}"
    generation, entry = _kept(key)
    if entry is None:
        try:
            entry = serialize(mission_for(user, mission_id))
        except NotFound:
            entry = _MISSING
        if generation is not None:
            _keep(key, generation, entry)
    if entry == _MISSING:
        raise NotFound()
    return entry
