"""Database guards for the ledger.

Both engines refuse any UPDATE or DELETE of an entry or a posting. PostgreSQL
also checks at commit (a deferred constraint trigger) that each entry has at
least two postings and that they sum to zero; on SQLite the posting function
checks it before commit.

`ledger_purge_allowed` is not a model: a row in it lets the test suite empty
the tables between tests on SQLite. Nothing in the application writes it.
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE OR REPLACE FUNCTION ledger_check_posting_balanced() RETURNS trigger AS $$
DECLARE total bigint;
BEGIN
    SELECT COALESCE(SUM(amount_cents), 0) INTO total FROM ledger_posting WHERE entry_id = NEW.entry_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger entry % does not balance: postings sum to %', NEW.entry_id, total;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_posting_balanced();

CREATE OR REPLACE FUNCTION ledger_check_entry_has_postings() RETURNS trigger AS $$
DECLARE lines integer;
BEGIN
    SELECT COUNT(*) INTO lines FROM ledger_posting WHERE entry_id = NEW.id;
    IF lines < 2 THEN
        RAISE EXCEPTION 'ledger entry % has % posting(s); it needs at least two', NEW.id, lines;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_entry_has_postings AFTER INSERT ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_has_postings();
"""

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS ledger_entry_has_postings ON ledger_entry;
DROP TRIGGER IF EXISTS ledger_posting_balanced ON ledger_posting;
DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting;
DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_entry;
DROP FUNCTION IF EXISTS ledger_check_entry_has_postings();
DROP FUNCTION IF EXISTS ledger_check_posting_balanced();
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""

SQLITE_FORWARD = [
    "CREATE TABLE IF NOT EXISTS ledger_purge_allowed (allowed integer NOT NULL)",
    *(
        f"""CREATE TRIGGER ledger_{table}_no_{op.lower()} BEFORE {op} ON ledger_{table}
        {"WHEN NOT EXISTS (SELECT 1 FROM ledger_purge_allowed)" if op == "DELETE" else ""}
        BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END"""  # noqa: S608 (fixed names)
        for table in ("entry", "posting")
        for op in ("UPDATE", "DELETE")
    ),
]

SQLITE_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS ledger_{t}_no_{op}" for t in ("entry", "posting") for op in ("update", "delete")),
    "DROP TABLE IF EXISTS ledger_purge_allowed",
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
