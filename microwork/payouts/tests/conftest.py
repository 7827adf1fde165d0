"""Helpers for the payouts tests: money in a wallet, clients per persona."""

from itertools import count

import pytest

from microwork.core.testing import api_as
from microwork.ledger.models import AccountKind
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.ledger.services import system_account, transfer, wallet_of

_keys = count(1)


def fund(user, cents: int) -> None:
    """Credit a wallet from the outside world, as earned money would be."""
    transfer(
        kind="test_credit",
        idempotency_key=f"test-credit:{user.pk}:{next(_keys)}",
        source=system_account(AccountKind.GATEWAY),
        destination=wallet_of(user),
        amount_cents=cents,
    )


def earn(user, cents: int) -> None:
    """Credit a wallet as an approved mission does (kind claim_approve): it shows in the earnings chart."""
    transfer(
        kind="claim_approve",
        idempotency_key=f"test-earn:{user.pk}:{next(_keys)}",
        source=system_account(AccountKind.GATEWAY),
        destination=wallet_of(user),
        amount_cents=cents,
        memo="Photo of the biscuit shelf",
    )


def available(user) -> int:
    return wallet_balance(user).available_cents


def balance_of(kind: AccountKind) -> int:
    return system_account(kind).balance_cents


@pytest.fixture
def books_stay_right(db):
    """Every money test ends with books that add up."""
    yield
    assert ledger_audit() == []


@pytest.fixture
def alice_api(alice):
    return api_as(alice)


@pytest.fixture
def emma_api(emma):
    return api_as(emma)


@pytest.fixture
def staff_api(staff):
    return api_as(staff)


def published_mission(company, staff, *, places: int = 1, title: str = "Photo of the biscuit shelf"):
    """A mission of the company's, reserved and published (10 minutes, 3 EUR a place)."""
    from microwork.missions import services as missions

    mission = missions.mission_create(
        company=company,
        title=title,
        category="photo",
        instructions="Take one clear photo of the biscuit shelf at the shop entrance, in daylight.",
        estimated_minutes=10,
        reward_cents=300,
        places=places,
    )
    missions.mission_submit(mission=mission, by=company)
    missions.mission_publish(mission=mission, by=staff)
    mission.refresh_from_db()
    return mission


def approved_claim(mission, tasker):
    """The tasker takes a place, reports and the company approves: the reward is credited (HM16)."""
    from microwork.missions import services as missions

    claim = missions.claim_create(mission=mission, tasker=tasker)
    claim = missions.claim_report(claim=claim, by=tasker, answers={}, text="Done, photo attached by link.")
    return missions.claim_approve(claim=claim, by=mission.company, rating=5)
