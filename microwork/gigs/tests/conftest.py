"""Shared pieces of the packaged-services tests: a verified expert, a
standard offer, a funded buyer, and the books checked after every test."""

from collections.abc import Iterator
from typing import Any

import pytest

from microwork import testing
from microwork.accounts.models import User
from microwork.gigs import services
from microwork.gigs.models import Offer
from microwork.ledger.selectors import ledger_audit, wallet_balance

# A logo for 120 €, VAT included, in 3 days; a rush extra adds 30 € and no day.
OFFER: dict[str, Any] = {
    "kind": "service",
    "title": "Création de logo professionnel",
    "category": "design",
    "description": "Je dessine le logo de votre entreprise en trois propositions, fichiers vectoriels inclus.",
    "price_cents": 12_000,
    "delivery_days": 3,
    "keywords": ["logo", "identité visuelle"],
    "extras": [
        {"name": "Livraison express", "price_cents": 3_000, "extra_days": 0},
        {"name": "Charte graphique", "price_cents": 5_000, "extra_days": 2},
    ],
    "opening_message": "Merci pour votre commande ! Envoyez-moi le nom et les couleurs de votre marque.",
}


def offer_fields(**overrides: Any) -> services.OfferFields:
    data = {**OFFER, **overrides}
    return services.OfferFields(
        kind=data["kind"],
        title=data["title"],
        category=data["category"],
        description=data["description"],
        price_cents=data["price_cents"],
        delivery_days=data["delivery_days"],
        keywords=tuple(data["keywords"]),
        extras=tuple(services.ExtraIn(**extra) for extra in data["extras"]),
        opening_message=data["opening_message"],
        ip_note=data.get("ip_note", ""),
        video_url=data.get("video_url", ""),
    )


def make_offer(expert: User, **overrides: Any) -> Offer:
    return services.offer_create(expert=expert, fields=offer_fields(**overrides))


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
def expert(db: None) -> User:
    return testing.make_verified_expert("emma@example.fr", display_name="Emma")


@pytest.fixture
def other_expert(db: None) -> User:
    return testing.make_verified_expert("hugo@example.fr", display_name="Hugo")


@pytest.fixture
def buyer(db: None) -> User:
    """A company with 500 € of funds."""
    return testing.make_company("buyer@example.fr", balance_cents=500_00)


@pytest.fixture
def offer(expert: User) -> Offer:
    return make_offer(expert)
