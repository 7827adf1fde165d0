"""Shared pieces of the packaged-services tests: a second expert, an open
custom request, and the books checked after every test. The expert, the
buyer, the offer and staff are personas of the whole suite (the root
conftest); the builders are in `microwork.testing`."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from microwork import testing
from microwork.accounts.models import User
from microwork.gigs import services
from microwork.gigs.models import CustomRequest
from microwork.ledger.selectors import ledger_audit, wallet_balance


def available(user: User) -> int:
    return wallet_balance(user).available_cents


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _books_right(request: pytest.FixtureRequest) -> Iterator[None]:
    """`ledger_audit` is clean after every test that touched the database
    (the database is set up first, so the check runs before it is undone)."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in names or bool(marker and marker.kwargs.get("transaction"))
    uses_db = transactional or "db" in names or marker is not None
    if uses_db:
        request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    if uses_db:
        assert ledger_audit() == []


@pytest.fixture
def other_expert(db: None) -> User:
    return testing.make_verified_expert("hugo@example.fr", display_name="Hugo")


@pytest.fixture
def request_open(buyer: User) -> CustomRequest:
    """A company's open custom request (AM11), for ten days."""
    return services.custom_request_create(
        buyer=buyer,
        title="Logo pour une boulangerie",
        description="Un logo simple et chaleureux pour notre boulangerie de quartier.",
        budget_cents=15_000,
        deadline=timezone.localdate() + timedelta(days=10),
        category="design",
    )
