"""An issued invoice never changes (PL02): the database itself refuses to
update or delete an invoice or one of its lines.

Both engines: a trigger refuses UPDATE and DELETE on both tables. On
SQLite, the test suite empties tables with DELETE between transactional
tests, so DELETE passes only while the ledger's `ledger_purge_allowed`
holds a row (ledger migration 0002), which nothing in the application writes.
"""

from typing import Any

from django.db import migrations

TABLES = ("billing_invoice", "billing_invoiceline")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION billing_refuse_issued_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'An issued invoice never changes (% on %).', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql
"""


def frozen(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION billing_refuse_issued_change()"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_frozen BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'An issued invoice never changes ({table}).'); END"
            )
            kept = (
                f"CREATE TRIGGER {table}_kept BEFORE DELETE ON {table} "  # noqa: S608 (fixed names)
                "WHEN NOT EXISTS (SELECT 1 FROM ledger_purge_allowed) "
                f"BEGIN SELECT RAISE(ABORT, 'An issued invoice is never deleted ({table}).'); END"
            )
            schema_editor.execute(kept)


def thawed(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_frozen")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_kept")
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS billing_refuse_issued_change()")


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_seller_tax_details"), ("ledger", "0002_append_only_and_balanced")]

    operations = [migrations.RunPython(frozen, thawed)]
