"""Trigram indexes for the keyword search of the open missions (PostgreSQL).

`missions_open(q=...)` filters with `icontains`, which PostgreSQL runs as
`UPPER(column::text) LIKE UPPER('%word%')`. Without an index on those
expressions the planner has no statistics on them, guesses that almost no
row matches, and reads the whole table before sorting (30 ms at 10,000
missions, growing with the table). GIN trigram indexes on the same
expressions give it both an index for rare words and the statistics to
walk the newest missions first for common ones (under 1 ms, bench/README.md).

SQLite has no such index and its plan is not the problem there: nothing to do.
pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's
owner may create it.
"""

from django.db import migrations

INDEXES = {
    "missions_mission_title_trgm": "UPPER(title::text)",
    "missions_mission_instructions_trgm": "UPPER(instructions::text)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON missions_mission USING gin ({expression} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("missions", "0011_report_photo_proof_and_report_start")]

    operations = [migrations.RunPython(create, drop)]
