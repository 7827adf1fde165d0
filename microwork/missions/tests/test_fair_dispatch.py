"""Fair dispatch (issue 15, item 6; MW01 first come, first served): a
tasker's claims are counted over a burst window and a sustained one, so no
script sweeps a batch; past either, 429 `too_many_requests` with Retry-After
on the API, the message and the wait on the page, and nothing taken."""

import time
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from microwork.api.tests.helpers import assert_problem
from microwork.ledger.payments import topup_create
from microwork.missions.models import Claim, Mission
from microwork.testing import ACCOUNT, api_as, english, make_published, signed_in

pytestmark = pytest.mark.django_db


def _limits(settings: Any, *, burst: tuple[int, int], sustained: tuple[int, int]) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "claim_burst": burst, "claim_sustained": sustained}


def window_start(name: str, tasker: Any, period: int) -> datetime:
    """The first second of one of the tasker's `name` windows, ahead of now:
    the limits count over fixed windows, each key's shifted by its own
    offset (django-ratelimit), so a test started there never straddles two."""
    now = int(time.time())
    offset = zlib.crc32(f"{name}:{tasker.pk}".encode()) % period
    return datetime.fromtimestamp(now - now % period + offset + 1 + period, UTC)


def _take_and_report(client: Any, mission: Mission) -> Any:
    """Claim, and report at once when it went through (so HM05 never stops the next)."""
    answer = client.post(f"/missions/{mission.pk}/claims")
    if answer.status_code == 201:
        report = client.post(f"/claims/{answer.json()['id']}/report", {"answers": {}, "text": ACCOUNT})
        assert report.status_code == 200
    return answer


def test_mw01_fair_dispatch_limits_are_settings():
    from django.conf import settings as live

    # the production figures (the test settings lift them for the other tests)
    from microwork import settings as project

    assert project.RATE_LIMITS["claim_burst"] == (10, 60)
    assert project.RATE_LIMITS["claim_sustained"] == (300, 3600)
    assert set(live.RATE_LIMITS) >= {"claim_burst", "claim_sustained"}


def test_mw01_fair_dispatch_burst_answers_429_with_retry_after(settings, acme, staff, alice, bob):
    _limits(settings, burst=(3, 60), sustained=(100, 3600))
    topup_create(user=acme, amount_cents=100_00)
    missions = [make_published(acme, staff, title=f"Item {n}", reward_cents=201, places=3) for n in range(5)]
    client = api_as(alice)
    start = window_start("claim_burst", alice, 60)
    with time_machine.travel(start, tick=False):
        # three tries go through the count, whatever their outcome
        assert [_take_and_report(client, m).status_code for m in missions[:3]] == [201, 201, 201]
        # the fourth within the minute is refused before anything is taken, with the seconds left
        answer = client.post(f"/missions/{missions[3].pk}/claims")
        assert_problem(answer, 429, "too_many_requests")
        assert answer["Retry-After"] == "59"
        assert not Claim.objects.filter(mission=missions[3]).exists()
        assert Mission.objects.get(pk=missions[3].pk).places_free == 3
        # the limit is alice's own: bob claims the same mission
        assert api_as(bob).post(f"/missions/{missions[3].pk}/claims").status_code == 201
    # once the window has passed, alice claims again
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        assert _take_and_report(client, missions[3]).status_code == 201


def test_mw01_fair_dispatch_refusals_count_too(settings, acme, staff, alice):
    # a script hammering a full mission spends its burst as surely as one that takes places
    _limits(settings, burst=(4, 60), sustained=(100, 3600))
    topup_create(user=acme, amount_cents=100_00)
    full = make_published(acme, staff, title="Full", places=1)
    Mission.objects.filter(pk=full.pk).update(places_free=0)
    other = make_published(acme, staff, title="Free", places=2)
    client = api_as(alice)
    with time_machine.travel(window_start("claim_burst", alice, 60), tick=False):
        codes = [client.post(f"/missions/{full.pk}/claims").json()["code"] for _ in range(4)]
        assert codes == ["mission_full"] * 4
        assert_problem(client.post(f"/missions/{other.pk}/claims"), 429, "too_many_requests")
    assert not Claim.objects.filter(tasker=alice).exists()


def test_mw01_fair_dispatch_sustained_rate_holds_past_the_burst(settings, acme, staff, alice):
    _limits(settings, burst=(2, 60), sustained=(4, 3600))
    topup_create(user=acme, amount_cents=100_00)
    missions = [make_published(acme, staff, title=f"Item {n}", reward_cents=201) for n in range(6)]
    client = api_as(alice)
    start = window_start("claim_sustained", alice, 3600)
    taken = []
    # two a minute is within the burst; the fifth of the hour is past the sustained rate
    for n, mission in enumerate(missions[:5]):
        with time_machine.travel(start + timedelta(seconds=61 * (n // 2)), tick=False):
            taken.append(_take_and_report(client, mission))
    assert [a.status_code for a in taken] == [201, 201, 201, 201, 429]
    assert_problem(taken[-1], 429, "too_many_requests")
    assert taken[-1]["Retry-After"] == str(3599 - 122)  # what is left of the hour
    assert Claim.objects.filter(tasker=alice).count() == 4


def test_mw01_fair_dispatch_page_shows_the_message_and_the_wait(settings, client, acme, staff, alice):
    _limits(settings, burst=(1, 60), sustained=(100, 3600))
    topup_create(user=acme, amount_cents=100_00)
    first, second = (make_published(acme, staff, title=f"Item {n}", reward_cents=201) for n in range(2))
    signed_in(client, alice)
    english(client)
    with time_machine.travel(window_start("claim_burst", alice, 60), tick=False):
        assert client.post(reverse("missions:claim", args=[first.pk])).status_code == 302
        response = client.post(reverse("missions:claim", args=[second.pk]))
    assert response.status_code == 429
    assert response["Retry-After"] == "59"
    page = response.content.decode()
    assert "faster than anyone could do them" in page
    assert 'data-testid="retry-after"' in page and "You may take a mission again in 59 s" in page
    assert not Claim.objects.filter(mission=second).exists()
