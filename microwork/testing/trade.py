"""The things people trade, built as the services build them: offers,
missions, and earnings credited through the ledger."""

import itertools
from typing import Any

from microwork.accounts.models import User
from microwork.gigs import services as gigs_services
from microwork.gigs.models import Offer
from microwork.ledger.models import AccountKind, Entry
from microwork.ledger.services import entry_post, escrow_of, system_account, wallet_of
from microwork.missions import services as missions_services
from microwork.missions.models import Mission

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


def offer_fields(**overrides: Any) -> gigs_services.OfferFields:
    data = {**OFFER, **overrides}
    return gigs_services.OfferFields(
        kind=data["kind"],
        title=data["title"],
        category=data["category"],
        description=data["description"],
        price_cents=data["price_cents"],
        delivery_days=data["delivery_days"],
        keywords=tuple(data["keywords"]),
        extras=tuple(gigs_services.ExtraIn(**extra) for extra in data["extras"]),
        opening_message=data["opening_message"],
        ip_note=data.get("ip_note", ""),
        video_url=data.get("video_url", ""),
    )


def make_offer(expert: User, **overrides: Any) -> Offer:
    return gigs_services.offer_create(expert=expert, fields=offer_fields(**overrides))


# Ten minutes of work paid 300 cents: above the minimum wage (201 cents), one place costs 372.
MISSION: dict[str, Any] = {
    "title": "Photo of the biscuit shelf",
    "category": "photo",
    "instructions": "Take one clear photo of the biscuit shelf at the shop entrance, in daylight.",
    "estimated_minutes": 10,
    "reward_cents": 300,
    "places": 1,
}
# A written account: what a report on a mission without questions holds at the least (HM13).
ACCOUNT = "Photo taken in daylight, the whole shelf in frame."


def make_mission(company: User, **overrides: Any) -> Mission:
    return missions_services.mission_create(company=company, **{**MISSION, **overrides})


def make_published(company: User, staff: User, **overrides: Any) -> Mission:
    mission = make_mission(company, **overrides)
    missions_services.mission_submit(mission=mission, by=company)
    missions_services.mission_publish(mission=mission, by=staff)
    mission.refresh_from_db()
    return mission


_earning_keys = itertools.count(1)


def earn(user: User, cents: int, *, kind: str = "claim_approve", memo: str = "", ref: str = "") -> Entry:
    """Earnings credited as a reward is (SPEC PL01): money comes in to an
    escrow, then goes from the escrow to the user's earnings. `kind` is the
    entry's kind (`claim_approve` shows in the earnings chart)."""
    n = next(_earning_keys)
    escrow = escrow_of(f"test:{user.pk}:{n}")
    entry_post(
        kind="test_reserve",
        idempotency_key=f"test-reserve:{user.pk}:{n}",
        lines=[(system_account(AccountKind.GATEWAY), -cents), (escrow, cents)],
    )
    return entry_post(
        kind=kind,
        idempotency_key=f"test-earn:{user.pk}:{n}",
        lines=[(escrow, -cents), (wallet_of(user), cents)],
        memo=memo,
        ref=ref,
    )
