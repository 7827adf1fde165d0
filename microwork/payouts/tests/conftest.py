"""Helpers for the payouts tests: money in a wallet, clients per persona."""

import csv
import io
from datetime import date, timedelta
from itertools import count

import pytest
from django.utils import timezone

from microwork import testing
from microwork.ledger.models import AccountKind
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.ledger.services import system_account
from microwork.testing import api_as

_keys = count(1)


def fund(user, cents: int) -> None:
    """Credit a user's earnings, as earned money would be."""
    testing.earn(user, cents, kind="test_credit")


def earn(user, cents: int) -> None:
    """Credit earnings as an approved mission does (kind claim_approve): it shows in the earnings chart."""
    testing.earn(user, cents, memo="Photo of the biscuit shelf")


def voucher_csv(*rows: tuple[str, str, str, str], delimiter: str = ",") -> io.BytesIO:
    """An issuer's file: a header, then one (brand, value, code, expiry) per row."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(("brand", "value", "code", "expiry"))
    writer.writerows(rows)
    return io.BytesIO(out.getvalue().encode())


def stock_vouchers(by, *values_cents: int, brand: str = "Fnac", expires_on: date | None = None) -> list[str]:
    """Staff import one gift-voucher code per value; returns the codes, in order."""
    from microwork.payouts import services

    expiry = (expires_on or timezone.localdate() + timedelta(days=365)).isoformat()
    codes = [f"{brand[:4].upper()}-{next(_keys):05d}-{n:03d}X" for n in range(len(values_cents))]
    rows = [
        (brand, f"{cents // 100}.{cents % 100:02d}", code, expiry)
        for cents, code in zip(values_cents, codes, strict=True)
    ]
    services.voucher_stock_import(by=by, file=voucher_csv(*rows))
    return codes


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
