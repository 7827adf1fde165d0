"""The full-text index of offers, one per database (see gigs/search.py):
a GIN index on the weighted French vector on PostgreSQL, an FTS5 table of
stemmed words on SQLite."""

from django.db import migrations

FORWARD = {
    "postgresql": ["CREATE INDEX gigs_offer_search_gin ON gigs_offer USING gin (search_vector)"],
    "sqlite": [
        "CREATE VIRTUAL TABLE gigs_offer_fts USING fts5("
        "title, keywords, description, tokenize = 'unicode61 remove_diacritics 2')"
    ],
}
BACKWARD = {
    "postgresql": ["DROP INDEX IF EXISTS gigs_offer_search_gin"],
    "sqlite": ["DROP TABLE IF EXISTS gigs_offer_fts"],
}


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("gigs", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
