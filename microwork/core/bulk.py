"""Bulk loading of many rows at once, for data sets too large for
`bulk_create` (which prepares every value through its field): COPY on
PostgreSQL, one `executemany` on SQLite. Rows are given as plain values;
primary keys are drawn beforehand (`next_ids`) so that rows pointing at each
other can be written in one pass.

For loading only (benchmark data sets): no signal, no `save()`, no
`auto_now`: the caller gives every column's value.
"""

import datetime
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def next_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys for `model`'s table. On SQLite, call it
    inside the transaction that writes the rows (one writer at a time)."""
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')  # noqa: S608 (names from the model)
        (top,) = cursor.fetchone()
        start = max(int(top), _sqlite_sequence(cursor, table)) + 1
        cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [start + count - 1, table])
        return list(range(start, start + count))


def _sqlite_sequence(cursor: Any, table: str) -> int:
    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
    row = cursor.fetchone()
    return int(row[0]) if row else 0


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write the rows (values in the order of `columns`, the database column
    names); returns how many. Datetimes must be aware; lists and dicts go to
    JSON columns."""
    table = model._meta.db_table
    names = ", ".join(f'"{column}"' for column in columns)
    json_columns = {
        i
        for i, column in enumerate(columns)
        for field in model._meta.concrete_fields
        if field.column == column and isinstance(field, models.JSONField)
    }
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            with raw.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([json.dumps(v) if i in json_columns else v for i, v in enumerate(row)])
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(columns))
        prepared = [_sqlite_row(row, json_columns) for row in rows]
        cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', prepared)  # noqa: S608
        return len(prepared)


def _sqlite_row(row: Sequence[Any], json_columns: set[int]) -> list[Any]:
    values = []
    for i, value in enumerate(row):
        if i in json_columns:
            value = json.dumps(value)
        elif isinstance(value, datetime.datetime):
            value = connection.ops.adapt_datetimefield_value(value)
        values.append(value)
    return values


def analyze(*models_: type[models.Model]) -> None:
    """Fresh planner statistics after a bulk load (what autovacuum would
    give a while later): without them PostgreSQL plans for the empty table."""
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
