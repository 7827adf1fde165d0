"""Shared pieces of the moderation tests: a published mission, a live offer, an
order between a buyer and an expert with a message each way."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from microwork.accounts.models import User
from microwork.gigs import services as gigs
from microwork.gigs.models import Offer, Order, OrderMessage
from microwork.ledger.selectors import ledger_audit
from microwork.missions.models import Mission
from microwork.testing import make_published


@pytest.fixture(autouse=True)
def _fresh(settings: Any, tmp_path: Any) -> Iterator[None]:
    """Rate-limit counts start at zero; uploads go to a throwaway folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mission(acme: User, staff: User) -> Mission:
    return make_published(acme, staff)


@pytest.fixture
def order(offer: Offer, buyer: User) -> Order:
    return gigs.order_place(offer=offer, buyer=buyer)


@pytest.fixture
def expert_message(order: Order, expert: User) -> OrderMessage:
    return gigs.message_post(order=order, by=expert, body="Envoyez-moi votre numéro, on règle hors plateforme.")


@pytest.fixture
def books_stay_right(db: None) -> Iterator[None]:
    yield
    assert ledger_audit() == []
