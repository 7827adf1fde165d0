"""Lists run a constant number of queries whatever the page size (MW01: fast on a phone)."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from microwork.ledger.payments import topup_create
from microwork.missions import selectors, services
from microwork.missions.models import Mission
from microwork.missions.schemas import MissionOut, MissionPage
from microwork.missions.serialisers import mission_out
from microwork.testing import ACCOUNT, api_as, make_published, make_tasker

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


def _publish_many(company, staff, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        make_published(company, staff, title=f"Bulk {n}", places=2)


@pytest.mark.parametrize("path", ["/missions?limit=5", "/missions?limit=50", "/missions?limit=20&q=Bulk"])
def test_mw01_tasker_mission_list_queries_are_constant_in_page_and_table_size(
    acme, staff, alice, bob, path, django_assert_num_queries
):
    # given 6 published missions
    topup_create(user=acme, amount_cents=400_00)
    _publish_many(acme, staff, 6)
    client = api_as(alice)
    small, response = _count_queries(lambda: client.get(path))
    assert response.status_code == 200 and response.json()["items"]
    # when the table holds 40 more, some taken
    _publish_many(acme, staff, 40, start=6)
    for mission in Mission.objects.order_by("-pk")[:2]:
        services.claim_create(mission=mission, tasker=bob)
    # then the same list takes exactly as many queries
    with django_assert_num_queries(small):
        response = client.get(path)
    assert response.status_code == 200 and response.json()["items"]


@pytest.mark.parametrize("as_visitor", [False, True])
def test_mw01_mission_page_and_html_list_queries_do_not_grow_with_the_table(
    acme, staff, alice, client, as_visitor, django_assert_num_queries
):
    topup_create(user=acme, amount_cents=400_00)
    _publish_many(acme, staff, 3)
    mission = Mission.objects.order_by("pk").first()
    api = api_as(alice)
    if not as_visitor:
        client.force_login(alice)
    # a first visit writes what a session writes once: counted from the second
    for call in (lambda: api.get(f"/missions/{mission.pk}"), lambda: client.get(reverse("missions:list"))):
        call()
    page_small, _r = _count_queries(lambda: api.get(f"/missions/{mission.pk}"))
    html_small, _r = _count_queries(lambda: client.get(reverse("missions:list")))
    detail_small, _r = _count_queries(lambda: client.get(reverse("missions:detail", args=[mission.pk])))
    _publish_many(acme, staff, 30, start=3)
    with django_assert_num_queries(page_small):
        assert api.get(f"/missions/{mission.pk}").status_code == 200
    with django_assert_num_queries(html_small):
        assert client.get(reverse("missions:list")).status_code == 200
    with django_assert_num_queries(detail_small):
        assert client.get(reverse("missions:detail", args=[mission.pk])).status_code == 200


def test_mw01_mission_list_and_page_answer_exactly_what_their_schema_validates(acme, staff, alice):
    # the busiest reads skip ninja's validation: their JSON must be what validating would give
    topup_create(user=acme, amount_cents=100_00)
    located = make_published(
        acme,
        staff,
        title="Shelf with a place",
        location=services.Location(lat=48.85, lon=2.35, radius_km=3),
        ends_at=timezone.now() + timedelta(days=3),
        questions=[{"key": "photo", "label": "Photo", "kind": "photo"}],
    )
    plain = make_published(acme, staff, title="Shelf anywhere")
    client = api_as(alice)
    body = client.get("/missions", limit=1)
    assert body["Content-Type"] == "application/json; charset=utf-8"
    listed = body.json()
    validated = MissionPage.model_validate(
        {"items": [mission_out(plain)], "next_cursor": listed["next_cursor"]}
    ).model_dump()
    assert listed == json.loads(json.dumps(validated, cls=NinjaJSONEncoder))
    assert listed["next_cursor"]
    for mission in (located, plain):
        mission = selectors.mission_for(alice, mission.pk)
        shown = mission_out(mission, company_stats=selectors.company_stats(mission.company_id))
        validated = MissionOut.model_validate(shown).model_dump()
        assert client.get(f"/missions/{mission.pk}").json() == json.loads(json.dumps(validated, cls=NinjaJSONEncoder))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_mw01_keyword_search_reads_trigram_indexes_on_postgresql(acme, staff, alice):
    # the expressions `icontains` filters on are indexed, so the planner knows how many rows match
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'missions_mission'")
        indexes = dict(cursor.fetchall())
    assert "gin_trgm_ops" in indexes["missions_mission_title_trgm"]
    assert "upper" in indexes["missions_mission_instructions_trgm"].lower()
    # and the search itself answers as before: a word in the title or the instructions, any case
    topup_create(user=acme, amount_cents=100_00)
    make_published(acme, staff, title="Photographier la VITRINE")
    make_published(acme, staff, title="Autre", instructions="Passez devant la vitrine. " + ACCOUNT)
    make_published(acme, staff, title="Sans rapport")
    found = {m["title"] for m in api_as(alice).get("/missions", q="Vitrine").json()["items"]}
    assert found == {"Photographier la VITRINE", "Autre"}
