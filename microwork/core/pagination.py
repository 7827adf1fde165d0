"""Keyset (cursor) pagination on the primary key, newest first.

`keyset_rows` is the one paginator; the API wraps it in opaque cursors
(`keyset_page`), the pages pass the last id shown in their links. Queues
ordered by a time of their own (`keyset_page_by_time`) hold the time and the
key in their cursor; a ranking holds a position (`ranked_page`).
"""

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from ninja import Schema

from microwork.core.errors import InvalidInput

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Primary keys are 64-bit: a larger cursor would overflow the database's integer.
MAX_PK = 2**63 - 1

M = TypeVar("M", bound=Model)


class PageParams(Schema):
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def _decode(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("This cursor is not valid.", field="cursor") from None
    if not 0 < value <= MAX_PK:
        raise InvalidInput("This cursor is not valid.", field="cursor")
    return value


def _encode(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


def keyset_page_ascending(
    queryset: QuerySet[M], *, limit: int, cursor: str | None, serialize: Callable[[M], Any]
) -> dict[str, Any]:
    """As `keyset_page`, oldest first (queues)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}.", field="limit")
    if cursor:
        queryset = queryset.filter(pk__gt=_decode(cursor))
    rows = list(queryset.order_by("pk")[: limit + 1])
    next_cursor = _encode(rows[limit - 1].pk) if len(rows) > limit else None
    return {"items": [serialize(row) for row in rows[:limit]], "next_cursor": next_cursor}


def keyset_rows(queryset: QuerySet[M], *, before: int | None, limit: int) -> tuple[list[M], int | None]:
    """Up to `limit` rows, newest first, with ids below `before`; and the id
    to continue below, or None on the last page."""
    if before is not None:
        queryset = queryset.filter(pk__lt=before)
    rows = list(queryset.order_by("-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].pk if more else None)


def keyset_page(
    queryset: QuerySet[M], *, limit: int, cursor: str | None, serialize: Callable[[M], Any]
) -> dict[str, Any]:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}.", field="limit")
    rows, next_pk = keyset_rows(queryset, before=_decode(cursor) if cursor else None, limit=limit)
    next_cursor = _encode(next_pk) if next_pk is not None else None
    return {"items": [serialize(row) for row in rows], "next_cursor": next_cursor}


def _decode_moment(cursor: str) -> tuple[datetime, int]:
    try:
        moment, pk = base64.urlsafe_b64decode(cursor.encode() + b"==").decode().split("|")
        after = (datetime.fromisoformat(moment), int(pk))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("This cursor is not valid.", field="cursor") from None
    if after[0].tzinfo is None or not 0 < after[1] <= MAX_PK:
        raise InvalidInput("This cursor is not valid.", field="cursor")
    return after


def _encode_moment(moment: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{pk}".encode()).decode().rstrip("=")


def keyset_page_by_time(
    queryset: QuerySet[M], *, field: str, limit: int, cursor: str | None, serialize: Callable[[list[M]], list[Any]]
) -> dict[str, Any]:
    """As `keyset_page_ascending`, in the order of a time `field` (the
    longest-waiting first), rows of the same moment by key; `serialize` takes
    the page's rows together (to fetch what they need in one query)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}.", field="limit")
    if cursor:
        moment, pk = _decode_moment(cursor)
        queryset = queryset.filter(**{f"{field}__gte": moment}).exclude(**{field: moment, "pk__lte": pk})
    rows = list(queryset.order_by(field, "pk")[: limit + 1])
    shown = rows[:limit]
    last = shown[-1] if shown else None
    next_cursor = _encode_moment(getattr(last, field), last.pk) if last is not None and len(rows) > limit else None
    return {"items": serialize(shown), "next_cursor": next_cursor}


def ranked_page(rows: QuerySet[M], *, limit: int, cursor: str | None, serialize: Callable[[M], Any]) -> dict[str, Any]:
    """A page of rows in an order of their own (a search's ranking), not of
    their keys: the cursor holds how many rows came before. `rows` is
    already ordered and bounded (a ranked search returns a few hundred)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}.", field="limit")
    start = _decode(cursor) if cursor else 0
    page = list(rows[start : start + limit + 1])
    next_cursor = _encode(start + limit) if len(page) > limit else None
    return {"items": [serialize(row) for row in page[:limit]], "next_cursor": next_cursor}
