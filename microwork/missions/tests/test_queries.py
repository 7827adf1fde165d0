"""Lists run a constant number of queries whatever the page size (MW01: fast on a phone)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from microwork.ledger.payments import topup_create
from microwork.missions import services
from microwork.testing import api_as, make_tasker

from .conftest import ACCOUNT, make_published

pytestmark = pytest.mark.django_db


def _count_queries(call) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return len(captured.captured_queries), result


def test_tasker_mission_list_queries_do_not_grow_with_the_page(acme, staff, alice, django_assert_num_queries):
    # given 5 published missions, and the count of queries alice's list takes
    topup_create(user=acme, amount_cents=200_00)
    for n in range(5):
        make_published(acme, staff, title=f"Shelf {n}")
    client = api_as(alice)
    small, response = _count_queries(lambda: client.get("/missions", limit=50))
    assert len(response.json()["items"]) == 5
    assert small <= 2  # the token, then one page of missions
    # when there are 40
    for n in range(5, 40):
        make_published(acme, staff, title=f"Shelf {n}")
    # then listing them all takes the same number of queries
    with django_assert_num_queries(small):
        response = client.get("/missions", limit=50)
    assert len(response.json()["items"]) == 40
    assert response.json()["next_cursor"] is None


def test_company_claim_list_queries_do_not_grow_with_the_page(acme, staff, django_assert_num_queries):
    # given a mission with 30 places, 5 claimed (some reported), and acme's claims list
    mission = make_published(acme, staff, places=30, reward_cents=201)
    taskers = [make_tasker(f"q{n}@example.fr", f"+3362000{n:04d}") for n in range(30)]

    def take(tasker, report: bool) -> None:
        claim = services.claim_create(mission=mission, tasker=tasker)
        if report:
            services.claim_report(claim=claim, by=tasker, answers={}, text=ACCOUNT)

    for n, tasker in enumerate(taskers[:5]):
        take(tasker, report=n % 2 == 0)
    client = api_as(acme)
    small, response = _count_queries(lambda: client.get("/claims", limit=50))
    assert len(response.json()["items"]) == 5
    assert small <= 3  # the token, one page of claims with their missions and taskers, their files
    # when 30 are claimed
    for n, tasker in enumerate(taskers[5:]):
        take(tasker, report=n % 2 == 0)
    # then listing them takes the same number of queries
    with django_assert_num_queries(small):
        response = client.get("/claims", limit=50)
    items = response.json()["items"]
    assert len(items) == 30
    assert {item["tasker_name"] for item in items} == {t.display_name for t in taskers}


def test_tasker_claim_list_pages_by_cursor(published, alice):
    first, second = published(), published(title="Two")
    one = services.claim_create(mission=first, tasker=alice)
    two = services.claim_create(mission=second, tasker=alice)
    client = api_as(alice)
    page = client.get("/claims", limit=1).json()
    rest = client.get("/claims", limit=1, cursor=page["next_cursor"]).json()
    assert [c["id"] for c in page["items"] + rest["items"]] == [str(two.pk), str(one.pk)]
    assert rest["next_cursor"] is None
