"""The test database template (`microwork/testdb.py`): a run starts from a
copy only while the migrations are the ones it was made from."""

from pathlib import Path

from microwork import testdb


def _migrations(root: Path, content: str) -> None:
    folder = root / "ledger" / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0001_initial.py").write_text(content)


def test_template_name_changes_with_any_migration(tmp_path):
    ledger = [tmp_path / "ledger"]
    _migrations(tmp_path, "operations = []\n")
    first = testdb.migrations_digest(ledger)
    assert testdb.migrations_digest(ledger) == first
    _migrations(tmp_path, "operations = ['AddField']\n")
    changed = testdb.migrations_digest(ledger)
    (tmp_path / "ledger" / "migrations" / "0002_more.py").write_text("")
    assert len({first, changed, testdb.migrations_digest(ledger)}) == 3


def test_template_digest_covers_the_libraries_migrations():
    # django-axes' migrations are a library's; they shape the test database too
    import axes

    assert testdb.migrations_digest() != testdb.migrations_digest(
        [p for p in testdb.installed_apps_folders() if p.name != Path(axes.__file__).parent.name]
    )


def test_template_is_shared_by_the_workers_of_a_run():
    assert testdb._postgres_template("test_postgres_gw0") == testdb._postgres_template("test_postgres_gw1")
    assert testdb._postgres_template("test_postgres").startswith("test_postgres_tmpl_")
    assert testdb._sqlite_template("/x/var/test.sqlite3_gw0").parent == Path("/x/var")
    assert len(testdb._postgres_template("test_" + "x" * 80 + "_gw1")) <= testdb.PG_NAME_MAX


def test_flush_between_transactional_tests_empties_what_a_test_wrote(transactional_db):
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import DatabaseError, connection, transaction

    from microwork.ledger.models import Posting
    from microwork.testing import make_company

    make_company(balance_cents=5_00)  # a user, her accounts and a balanced ledger entry
    kinds, permissions = ContentType.objects.count(), Permission.objects.count()
    assert Posting.objects.exists() and kinds and permissions

    # as Django's TransactionTestCase empties the database after a test
    call_command("flush", verbosity=0, interactive=False, reset_sequences=False, inhibit_post_migrate=False)

    tables = set(connection.introspection.django_table_names(only_existing=True, include_views=False))
    assert testdb.tables_with_rows(connection, sorted(tables - testdb.KEPT_BY_FLUSH)) == []
    assert (ContentType.objects.count(), Permission.objects.count()) == (kinds, permissions)
    if connection.vendor == "postgresql":
        # the triggers are off only for the flush's own transaction
        make_company("again@example.fr", balance_cents=5_00)
        with connection.cursor() as cursor:
            cursor.execute("SHOW session_replication_role")
            assert cursor.fetchone()[0] == "origin"
            try:
                with transaction.atomic():
                    cursor.execute("DELETE FROM ledger_posting")
            except DatabaseError as refused:
                assert "append-only" in str(refused)
            else:
                raise AssertionError("the ledger let its postings be deleted")
        assert Posting.objects.exists()
