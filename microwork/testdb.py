"""A migrated test database kept as a template, so a test run starts from a
copy instead of applying every migration again (most of a worker's start).

The template's name carries a digest of the installed apps' migration files
and Django's version: a new or changed migration makes a new template, built
once by the run that first needs it; older ones are removed then. On SQLite
the template is a file beside the test database; on PostgreSQL a database
that each worker's is created from (`CREATE DATABASE … TEMPLATE …`)."""

import hashlib
import os
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.core.management.color import Style
from django.db import Error, connections
from django.db.backends.base.base import BaseDatabaseWrapper

#: PostgreSQL's longest name; a longer one would be cut, and never found again.
PG_NAME_MAX = 63
#: What PostgreSQL answers when the database exists already (a second worker
#: made the template first), whatever the server's language.
ALREADY_THERE = {"42P04", "23505"}


def installed_apps_folders() -> list[Path]:
    return [Path(app.path) for app in apps.get_app_configs()]


def migrations_digest(apps_folders: Iterable[Path] | None = None) -> str:
    """A digest of the migrations of every installed app (Django's own and
    the libraries' included) and of Django's version."""
    if apps_folders is None:
        apps_folders = installed_apps_folders()
    digest = hashlib.sha1(django.get_version().encode(), usedforsecurity=False)
    for folder in sorted(apps_folders):
        for path in sorted((folder / "migrations").glob("*.py")):
            digest.update(f"{folder.name}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _test_name(alias: str = "default") -> str:
    db = settings.DATABASES[alias]
    return str(db.get("TEST", {}).get("NAME") or f"test_{db['NAME']}")


def _sqlite_template(name: str) -> Path:
    return Path(name).with_name(f"test-template-{migrations_digest()}.sqlite3")


def _postgres_template(name: str) -> str:
    # A worker's database is the test name with "_gw0"; the template is shared.
    digest = migrations_digest()
    base = name.rsplit("_gw", 1)[0][: PG_NAME_MAX - len(digest) - len("_tmpl_")]
    return f"{base}_tmpl_{digest}"


def copy_template(alias: str = "default") -> bool:
    """Give this run's test database the template's content; False when
    there is no template yet (the run then migrates, and `keep_template` keeps it)."""
    connection = connections[alias]
    name = _test_name(alias)
    if connection.vendor == "sqlite":
        template = _sqlite_template(name)
        try:
            # Read-only: a template removed meanwhile is never made again, empty, by opening it.
            source = sqlite3.connect(f"{template.as_uri()}?mode=ro", uri=True)
        except sqlite3.OperationalError:
            return False
        for leftover in (Path(name), Path(f"{name}-wal"), Path(f"{name}-shm")):
            leftover.unlink(missing_ok=True)
        with closing(source), closing(sqlite3.connect(name)) as target:
            source.backup(target)
        return True
    if connection.vendor == "postgresql":
        origin = _postgres_template(name)
        with connection._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [origin])
            if cursor.fetchone() is None:
                return False
            quote = connection.ops.quote_name
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(origin)}")
        return True
    return False


def keep_template(alias: str = "default") -> None:
    """Keep this run's freshly migrated test database as the template (and
    remove the templates of older migrations)."""
    connection = connections[alias]
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        template = _sqlite_template(name)
        current = template.name.removesuffix(".sqlite3")
        for old in template.parent.glob("test-template-*"):
            if not old.name.startswith(current):
                old.unlink(missing_ok=True)
        partial = template.with_suffix(f".{os.getpid()}.part")
        connection.ensure_connection()
        with closing(sqlite3.connect(partial)) as target:
            connection.connection.backup(target)
        os.replace(partial, template)
    elif connection.vendor == "postgresql":
        kept = _postgres_template(name)
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
                [kept.rsplit("_tmpl_", 1)[0] + "\\_tmpl\\_%", kept],
            )
            quote = connection.ops.quote_name
            for (old,) in cursor.fetchall():
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(old)} WITH (FORCE)")
            try:
                cursor.execute(f"CREATE DATABASE {quote(kept)} TEMPLATE {quote(name)}")
            except Error as exc:
                if getattr(exc.__cause__, "sqlstate", None) not in ALREADY_THERE:
                    raise


# --- Emptying the database between transactional tests ----------------------

#: Tables `migrate` fills and nothing writes afterwards. A flush between
#: transactional tests leaves them as they are, so Django need not fill them
#: again (its post_migrate handlers) after every such test.
KEPT_BY_FLUSH = frozenset({"django_content_type", "auth_permission"})


def tables_with_rows(connection: BaseDatabaseWrapper, tables: list[str]) -> list[str]:
    """Those of `tables` holding at least one row, in one query."""
    if not tables:
        return []
    quote = connection.ops.quote_name
    probes = " UNION ALL ".join(
        f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})"  # noqa: S608 (the schema's own names)
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(probes, tables)
        return [name for (name,) in cursor.fetchall()]


def sql_flush_written(
    style: Style, connection: BaseDatabaseWrapper, *, reset_sequences: bool = False, allow_cascade: bool = False
) -> list[str]:
    """What `flush` runs between transactional tests: it empties only the
    tables a test wrote, where Django's own empties every table (a
    `TRUNCATE` of some ninety tables takes half a second on PostgreSQL).

    On PostgreSQL a superuser deletes the rows with triggers off for the
    flush's transaction (the ledger's and the invoices' refuse deletes; the
    foreign keys are all emptied together); anyone else truncates every table
    as Django does, since TRUNCATE must name all the tables that refer to
    one. On SQLite the rows are deleted while `ledger_purge_allowed` holds a
    row (conftest.py). A test that asks for its sequences reset gets every
    table emptied, as Django does."""
    tables = [
        table
        for table in connection.introspection.django_table_names(only_existing=True, include_views=False)
        if table not in KEPT_BY_FLUSH
    ]
    if connection.vendor == "postgresql" and not reset_sequences:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('is_superuser')")
            superuser = cursor.fetchone()[0] == "on"
        if superuser:
            quote = connection.ops.quote_name
            written = tables_with_rows(connection, tables)
            return ["SET LOCAL session_replication_role = replica", *(f"DELETE FROM {quote(t)}" for t in written)]  # noqa: S608
    elif connection.vendor == "sqlite" and not reset_sequences:
        tables = tables_with_rows(connection, tables)
    return list(connection.ops.sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade))
