"""What the whole suite shares: the settings every test runs under, and rows
built once for all the tests of a module."""

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.test import override_settings

T = TypeVar("T")


def suite_settings() -> dict[str, Any]:
    """The settings every test runs under (`conftest.py` applies them to each
    test, `module_rows` to what a module builds before its tests)."""
    return {
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "SMS_BACKEND": "locmem",
        # Many tests move the clock months ahead with a token in hand; the
        # tokens' lifetime has its own tests (test_pl06_token_expires).
        "API_TOKEN_TTL_DAYS": 3650,
        "PAYMENT_GATEWAY": "sandbox",
        # Addresses typed without a suggestion are found among a few fixed ones: no network.
        "GEOCODER": "stub",
        # Property tests claim again and again as one tasker within one test;
        # the claim limits have their own tests (test_mw01_fair_dispatch_*), which set them.
        "RATE_LIMITS": {**settings.RATE_LIMITS, "claim_burst": (10_000, 60), "claim_sustained": (10_000, 3600)},
        "TASKS": {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}},
        # A test's writes never commit (its transaction is rolled back), so
        # the feed's cache would not hear of them; its own tests turn it on.
        "MISSION_FEED_CACHE_SECONDS": 0,
        "API_TOKEN_CACHE_SECONDS": 0,
    }


def module_rows(django_db_blocker: Any, build: Callable[[], T]) -> Iterator[T]:
    """Rows that every test of a module reads, built once: in a transaction
    held open around the module's tests (each test's own transaction nests in
    it as a savepoint and is rolled back as ever) and rolled back after the
    last one. Django's `TestCase.setUpTestData`, for a module-scoped fixture:

        @pytest.fixture(scope="module")
        def company(django_db_setup, django_db_blocker):
            yield from testing.module_rows(django_db_blocker, build_company)

    Only for tests that run inside a transaction (not `transactional_db`,
    `live_server` or threads with connections of their own) and only read the
    rows: unlike Django's, the objects are not copied for each test, and the
    build runs before the per-test fixtures (the cache, the SMS outbox and the
    media folder are not yet the test's own)."""
    atomic = transaction.atomic()
    with django_db_blocker.unblock(), override_settings(**suite_settings()):
        atomic.__enter__()
        try:
            rows = build()
        except BaseException as error:
            atomic.__exit__(type(error), error, error.__traceback__)
            raise
    try:
        yield rows
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
