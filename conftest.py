import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management.commands import flush as flush_command
from django.db import connections
from hypothesis import settings as hypothesis_settings

from microwork import testdb, testing
from microwork.notifications import sms

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the browser tests make between page actions are still plain sync code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Debian's Chromium headless shell (`make browser`): the browser's Blink
# without its windowing layer, what headless tests want. A developer's full
# Chromium will do where the shell is missing.
CHROMIUM = next(
    (path for path in (Path("/usr/bin/chromium-headless-shell"), Path("/usr/bin/chromium")) if path.exists()),
    Path("/usr/bin/chromium-headless-shell"),
)

# Property tests search briefly on a developer's run (`make test`) and deeply
# where CI asks for it (`HYPOTHESIS_PROFILE=ci`, set by `.ci/run`).
hypothesis_settings.register_profile("quick", max_examples=10)
hypothesis_settings.register_profile("ci", max_examples=200)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "quick")
hypothesis_settings.load_profile(HYPOTHESIS_PROFILE)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long tests first, the property tests (Hypothesis state machines),
    then the browser journeys, so that none of them runs alone at the end.
    With several workers (`make test`), xdist's `worksteal` first hands each
    worker an equal slice of this list: the long tests are dealt out among
    the slices, each worker starting on its share of them."""
    items.sort(key=lambda item: (not _runs_a_state_machine(item), item.get_closest_marker("browser") is None))
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers > 1:
        items[:] = _dealt(items, workers)


def _dealt(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    long = [item for item in items if _runs_a_state_machine(item) or item.get_closest_marker("browser")]
    short = [item for item in items if not (_runs_a_state_machine(item) or item.get_closest_marker("browser"))]
    dealt: list[pytest.Item] = []
    left = len(items)
    for worker in range(workers):
        # The slice xdist's worksteal sends this worker: what is left, shared
        # by the workers still to serve (the last ones get one more).
        size = left // (workers - worker)
        left -= size
        share = long[worker::workers]
        fill = max(size - len(share), 0)
        dealt += share + short[:fill]
        del short[:fill]
    return dealt + short


def _runs_a_state_machine(item: pytest.Item) -> bool:
    function = getattr(item, "function", None)
    return function is not None and "run_state_machine_as_test" in function.__code__.co_names


# --- Test databases ---------------------------------------------------------

_FRESH = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def django_db_keepdb(
    request: pytest.FixtureRequest, django_db_modify_db_settings: None, django_db_blocker: Any
) -> bool:
    """The run starts from the migrated template when there is one for these
    migrations (`microwork/testdb.py`); `--reuse-db` and `--create-db` as ever."""
    if request.config.getvalue("reuse_db"):
        return True
    if request.config.getvalue("create_db") or request.config.getvalue("nomigrations"):
        return False
    with django_db_blocker.unblock():
        copied = testdb.copy_template()
    request.config.stash[_FRESH] = not copied
    return copied


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, request: pytest.FixtureRequest, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's, then the freshly migrated database kept as the template."""
    if request.config.stash.get(_FRESH, False):
        with django_db_blocker.unblock():
            testdb.keep_template()
    yield


@pytest.fixture(scope="session", autouse=True)
def _flush_only_what_tests_wrote() -> Iterator[None]:
    """Between transactional tests, empty only the tables the test wrote and
    leave content types and permissions as migrate made them, with no
    post_migrate handlers filling them again (`testdb.sql_flush_written`)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flush_command, "sql_flush", testdb.sql_flush_written)
        patch.setattr(flush_command, "emit_post_migrate_signal", lambda *args, **kwargs: None)
        yield


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> Iterator[None]:
    for name, value in testing.suite_settings().items():
        setattr(settings, name, value)
    sms.outbox.clear()
    # Rate limits and sign-in lockouts count on the cache: each test starts afresh.
    cache.clear()
    yield
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _allow_ledger_flush_on_sqlite(request: pytest.FixtureRequest) -> Iterator[None]:
    """Transactional tests end by emptying every table; on SQLite the ledger's
    append-only triggers let that through only while `ledger_purge_allowed`
    holds a row (see the ledger's first migration)."""
    names = set(request.fixturenames)
    if not names & {"transactional_db", "live_server"} or connections["default"].vendor != "sqlite":
        yield
        return
    request.getfixturevalue("django_db_setup")
    blocker = request.getfixturevalue("django_db_blocker")
    with blocker.unblock(), connections["default"].cursor() as cursor:
        cursor.execute("INSERT INTO ledger_purge_allowed (allowed) VALUES (1)")
    yield
    with blocker.unblock(), connections["default"].cursor() as cursor:
        cursor.execute("DELETE FROM ledger_purge_allowed")


@pytest.fixture(autouse=True)
def _live_server_helper(request: pytest.FixtureRequest, _allow_ledger_flush_on_sqlite: None) -> Iterator[None]:
    """pytest-django's own helper, set up after the ledger-flush permission
    above, so the live server's database is emptied before the permission is
    withdrawn, also when the test wrote ledger rows."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    live_server = request.getfixturevalue("live_server")
    live_server._live_server_modified_settings.enable()
    yield
    live_server._live_server_modified_settings.disable()


# --- Personas -------------------------------------------------------------


@pytest.fixture
def staff(db: None) -> Any:
    return testing.make_staff()


@pytest.fixture
def acme(db: None) -> Any:
    return testing.make_company(balance_cents=100_00)


@pytest.fixture
def alice(db: None) -> Any:
    return testing.make_tasker("alice@example.fr", "+33612345678")


@pytest.fixture
def bob(db: None) -> Any:
    return testing.make_tasker("bob@example.fr", "+33698765432")


@pytest.fixture
def charlie(db: None) -> Any:
    return testing.make_tasker("charlie@example.fr", "+33611223344", verified=False)


@pytest.fixture
def emma(db: None) -> Any:
    return testing.make_expert()


@pytest.fixture
def expert(db: None) -> Any:
    """An expert who may sell (AM13, AM17)."""
    return testing.make_verified_expert("emma@example.fr", display_name="Emma")


@pytest.fixture
def buyer(db: None) -> Any:
    """A company with 500 € of funds, to buy an offer with."""
    return testing.make_company("buyer@example.fr", balance_cents=500_00)


@pytest.fixture
def offer(expert: Any) -> Any:
    """The expert's live standard offer (`testing.OFFER`)."""
    return testing.make_offer(expert)


@pytest.fixture
def anon() -> testing.ApiClient:
    return testing.api_as(None)


# --- Browser --------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"Debian's Chromium is missing at {CHROMIUM}; `make test` installs it.")
        pytest.skip("Debian's Chromium is not installed (`make browser` installs it).")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # A phone: the platform is used on the move (MW01). Its screen's pixel
    # density is a phone's for the screenshots (`make shots`); a plain run
    # draws one pixel a CSS pixel, a quarter of the painting, and the layout,
    # which counts in CSS pixels, is the same.
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2 if testing.SHOTS else 1,
        "is_mobile": True,
        "has_touch": True,
        "locale": "fr-FR",
    }


@pytest.fixture(params=testing.LANGUAGES)
def language(request: pytest.FixtureRequest) -> str:
    """Run a phone test once per language the pages speak (MW01)."""
    return str(request.param)
