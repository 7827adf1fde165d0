"""First come, first served under real concurrency (MW01, HM05, HM12, HM14, HM15).

Each test opens real parallel connections: threads released together by a
barrier, each with its own client, each closing its connection at the end.
No module-level `django_db` mark: the tests ask for `transactional_db`.
"""

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from microwork.ledger.models import Entry
from microwork.ledger.selectors import ledger_audit
from microwork.missions import services
from microwork.missions.models import Claim, ClaimState, Mission
from microwork.testing import ACCOUNT, api_as, make_company, make_published, make_staff, make_tasker
from microwork.testing import run_together as run_all_at_once

from .conftest import balance

pytestmark = pytest.mark.race


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Every call at once (microwork.testing.run_together); none may raise."""
    results = run_all_at_once(calls)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


def poster(token: str, path: str, body: str = "{}", key: str | None = None) -> Callable[[], tuple[int, dict]]:
    def post() -> tuple[int, dict]:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if key:
            headers["HTTP_IDEMPOTENCY_KEY"] = key
        response = Client().post(f"/api/v1{path}", body, content_type="application/json", **headers)
        return response.status_code, response.json()

    return post


def _outcomes(results: list[tuple[int, dict]]) -> Counter:
    return Counter(status if status < 400 else body["code"] for status, body in results)


@pytest.fixture
def world(transactional_db):
    company = make_company("race-acme@example.fr", balance_cents=100_00)
    staff = make_staff("race-staff@microwork.fr")
    return company, staff


def test_race_20_taskers_for_3_places_get_exactly_3(world):
    # given a mission with 3 places and 20 verified taskers
    company, staff = world
    mission = make_published(company, staff, places=3)
    taskers = [make_tasker(f"t{n}@example.fr", f"+3361000{n:04d}") for n in range(20)]
    tokens = [api_as(t).token for t in taskers]
    # when they all claim at the same moment
    results = run_together([poster(token, f"/missions/{mission.pk}/claims") for token in tokens])
    # then exactly 3 get a place, 17 find the mission full
    assert _outcomes(results) == Counter({201: 3, "mission_full": 17})
    assert Claim.objects.filter(mission=mission, state=ClaimState.ACTIVE).count() == 3
    assert Mission.objects.get(pk=mission.pk).places_free == 0
    assert api_as(taskers[0]).get(f"/missions/{mission.pk}").json()["places_left"] == 0
    assert ledger_audit() == []


def test_race_one_tasker_firing_6_claims_gets_exactly_2(world):
    # given three missions with places to spare, and alice
    company, staff = world
    missions = [make_published(company, staff, title=f"Shelf {n}", places=5) for n in range(3)]
    alice = make_tasker("race-alice@example.fr", "+33612340000")
    token = api_as(alice).token
    # when she double-clicks 'claim' on each of the three at once
    calls = [poster(token, f"/missions/{m.pk}/claims") for m in missions for _ in range(2)]
    results = run_together(calls)
    # then she holds exactly 2 claims (HM05), at most one per mission (HM12)
    outcomes = _outcomes(results)
    assert outcomes[201] == 2, outcomes
    assert set(outcomes) <= {201, "claim_limit_reached", "already_claimed"}
    claims = Claim.objects.filter(tasker=alice)
    assert claims.count() == 2
    assert len({c.mission_id for c in claims}) == 2
    # and each mission's counter matches its claims
    for mission in Mission.objects.filter(pk__in=[m.pk for m in missions]):
        assert mission.places_free == 5 - mission.claims.count()


def test_race_10_approvals_of_one_report_credit_once(world):
    # given alice's report
    company, staff = world
    mission = make_published(company, staff)
    alice = make_tasker("race-alice@example.fr", "+33612340000")
    claim = services.claim_create(mission=mission, tasker=alice)
    services.claim_report(claim=claim, by=alice, answers={}, text=ACCOUNT)
    token = api_as(company).token
    # when the company approves it ten times at once
    results = run_together([poster(token, f"/claims/{claim.pk}/approve", '{"rating": 5}') for _ in range(10)])
    # then one approval goes through, the others see a wrong state, and alice is paid once
    outcomes = _outcomes(results)
    assert outcomes[200] == 1, outcomes
    assert sum(outcomes.values()) == 10
    assert set(outcomes) == {200, "wrong_state"}
    assert balance(alice) == 300
    assert Entry.objects.filter(kind="claim_approve").count() == 1
    assert ledger_audit() == []


def test_race_two_staff_settling_one_dispute_settle_once(world):
    # given a disputed rejection, and two staff members
    company, staff = world
    other_staff = make_staff("race-staff-2@microwork.fr")
    mission = make_published(company, staff)
    alice = make_tasker("race-alice@example.fr", "+33612340000")
    claim = services.claim_create(mission=mission, tasker=alice)
    services.claim_report(claim=claim, by=alice, answers={}, text=ACCOUNT)
    services.claim_reject(claim=claim, by=company, reason_code="poor_quality", reason="Blurred")
    services.claim_dispute(claim=claim, by=alice, reason="It is sharp")
    before = balance(company)
    calls = [
        poster(api_as(staff).token, f"/claims/{claim.pk}/settle", '{"tasker_paid_cents": 200}'),
        poster(api_as(other_staff).token, f"/claims/{claim.pk}/settle", '{"tasker_paid_cents": 100}'),
    ]
    # when both click 'settle' at once
    results = run_together(calls)
    # then one settlement stands, and the money matches it
    assert _outcomes(results) == Counter({200: 1, "wrong_state": 1})
    settled = Claim.objects.get(pk=claim.pk)
    assert settled.state == ClaimState.SETTLED
    paid = settled.settled_cents
    assert paid in (100, 200)
    fee, vat = services.place_price(paid)
    assert balance(alice) == paid
    assert before - balance(company) == paid + fee + vat
    assert Entry.objects.filter(kind="claim_settle").count() == 1
    assert ledger_audit() == []


def test_race_same_idempotency_key_claims_once_with_identical_answers(world):
    company, staff = world
    mission = make_published(company, staff, places=5)
    alice = make_tasker("race-alice@example.fr", "+33612340000")
    token = api_as(alice).token
    # when eight copies of one claim request, under one key, arrive together
    results = run_together([poster(token, f"/missions/{mission.pk}/claims", key="claim-1") for _ in range(8)])
    # then every answer is the same 201 with the same claim
    assert {status for status, _ in results} == {201}, results
    assert len({body["id"] for _, body in results}) == 1
    assert Claim.objects.filter(tasker=alice).count() == 1
    assert Mission.objects.get(pk=mission.pk).places_free == 4


def test_race_a_full_mission_refuses_without_waiting_for_its_lock(world):
    # given a mission whose only place is taken, and its row locked by a long write
    import threading

    from django.db import connection, transaction

    company, staff = world
    mission = make_published(company, staff, title="Taken", places=1)
    holder, late = (make_tasker(f"lock-{n}@example.fr", f"+3361200{n:04d}") for n in range(2))
    services.claim_create(mission=mission, tasker=holder)
    claim_full = poster(api_as(late).token, f"/missions/{mission.pk}/claims")
    locked, release, ended = threading.Event(), threading.Event(), threading.Event()

    def hold_the_row() -> None:
        try:
            with transaction.atomic():
                Mission.objects.select_for_update().get(pk=mission.pk)
                locked.set()
                release.wait(timeout=20)
        finally:
            ended.set()
            connection.close()

    thread = threading.Thread(target=hold_the_row)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        # when another tasker claims it: refused at once, the lock still held
        status, body = claim_full()
        still_held = not ended.is_set()
    finally:
        release.set()
        thread.join()
    assert (status, body["code"], still_held) == (409, "mission_full", True)
