"""Charges to invoice: places approved on acme's missions, and a packaged service bought."""

from datetime import datetime
from typing import Any

import pytest

from microwork import testing
from microwork.accounts.models import User
from microwork.gigs import services as gigs
from microwork.gigs.models import Offer, Order
from microwork.missions import services as missions
from microwork.missions.models import Claim, Mission
from microwork.testing import ACCOUNT, make_offer

# A day in November 2026, and the first of December when tick invoices it.
IN_NOVEMBER = datetime.fromisoformat("2026-11-12T10:00:00+01:00")
FIRST_OF_DECEMBER = datetime.fromisoformat("2026-12-01T06:00:00+01:00")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def approved(mission: Mission, tasker: User, company: User) -> Claim:
    claim = missions.claim_create(mission=mission, tasker=tasker)
    missions.claim_report(claim=claim, by=tasker, answers={}, text=ACCOUNT)
    return missions.claim_approve(claim=claim, by=company, rating=5)


def taskers(count: int) -> list[User]:
    return [testing.make_tasker(f"tasker{i}@example.fr", f"+336100000{i:02d}") for i in range(count)]


def order_accepted(buyer: User, expert: User, price_cents: int = 10_000, *, offer: Offer | None = None) -> Order:
    offer = offer or make_offer(expert, price_cents=price_cents, extras=[])
    order = gigs.order_place(offer=offer, buyer=buyer)
    gigs.order_start(order=order, by=expert)
    gigs.order_deliver(order=order, by=expert, message="Voici les trois propositions.")
    return gigs.order_accept(order=order, by=buyer, rating=5)
