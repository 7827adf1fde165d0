"""The open missions' pages kept in the shared cache at peak (issue 12,
missions/selectors/feed.py): the same answer as the database, out of date
at the next request after any committed write, the quality filters kept."""

import gc
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache

from microwork.ledger.payments import topup_create
from microwork.missions import services
from microwork.missions.models import Mission
from microwork.missions.selectors import feed
from microwork.testing import ACCOUNT, api_as, make_mission, make_published, make_tasker

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed_on(settings: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """The cache on, and each write's commit callbacks run as a real commit would run them."""
    settings.MISSION_FEED_CACHE_SECONDS = 30

    def committed(write: Any, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return write(*args, **kwargs)

    return committed


def _one_approved_report(company: Any, staff: Any, tasker: Any) -> None:
    topup_create(user=company, amount_cents=300_00)
    claim = services.claim_create(mission=make_published(company, staff, title="Past"), tasker=tasker)
    services.claim_report(claim=claim, by=tasker, answers={}, text=ACCOUNT)
    services.claim_approve(claim=claim, by=company, rating=5)


def _titles(client: Any, **params: Any) -> list[str]:
    answer = client.get("/missions", **params)
    assert answer.status_code == 200, answer.content
    return [item["title"] for item in answer.json()["items"]]


def test_mw01_feed_cache_answers_what_the_database_answers(
    acme, staff, alice, feed_on, settings, django_assert_num_queries
):
    topup_create(user=acme, amount_cents=300_00)
    for n in range(5):
        make_published(acme, staff, title=f"Shelf {n}", category="photo" if n % 2 else "survey")
    client = api_as(alice)
    settings.MISSION_FEED_CACHE_SECONDS = 0
    asked = ((), (("limit", 2),), (("category", "photo"),))
    expected = {params: client.get("/missions", **dict(params)).json() for params in asked}
    settings.MISSION_FEED_CACHE_SECONDS = 30
    for params, answer in expected.items():
        assert client.get("/missions", **dict(params)).json() == answer  # filled
        # a second tasker's request: the token alone, the page from the cache
        with django_assert_num_queries(1):
            assert client.get("/missions", **dict(params)).json() == answer
    # the next page follows the cached cursor exactly
    cursor = expected[(("limit", 2),)]["next_cursor"]
    assert _titles(client, limit=2, cursor=cursor) == ["Shelf 2", "Shelf 1"]
    # a wrong limit or cursor is still refused, cache or not
    assert client.get("/missions", limit=0).status_code == 422
    assert client.get("/missions", cursor="!!").status_code == 422


def test_mw01_feed_cache_shows_a_write_at_the_next_request(acme, staff, alice, bob, feed_on):
    gc.collect()  # the receivers that move the feed on stay connected
    topup_create(user=acme, amount_cents=300_00)
    first = make_published(acme, staff, title="First", places=1)
    client = api_as(alice)
    assert _titles(client) == ["First"]
    # a mission published after the page was kept
    second = feed_on(make_published, acme, staff, title="Second")
    assert _titles(client) == ["Second", "First"]
    # the last place taken: the mission leaves the list (HM04)
    claim = feed_on(services.claim_create, mission=first, tasker=bob)
    assert _titles(client) == ["Second"]
    # and comes back when the tasker lets it go
    feed_on(services.claim_release, claim=claim, by=bob)
    assert _titles(client) == ["Second", "First"]
    # withdrawn by its company
    feed_on(services.mission_withdraw, mission=Mission.objects.get(pk=second.pk), by=acme)
    assert _titles(client) == ["First"]


def test_mw01_feed_cache_keeps_the_quality_filters(acme, staff, alice, bob, feed_on):
    _one_approved_report(acme, staff, bob)  # alice has none
    make_published(acme, staff, title="Open to all")
    feed_on(make_published, acme, staff, title="One report at least", min_approved_reports=1)
    # the page kept for everyone holds a filtered mission: each gets what their record opens
    assert _titles(api_as(bob)) == ["One report at least", "Open to all"]
    assert _titles(api_as(alice)) == ["Open to all"]
    assert _titles(api_as(bob)) == ["One report at least", "Open to all"]


def test_mw01_feed_cache_down_the_list_still_answers(acme, staff, alice, feed_on):
    topup_create(user=acme, amount_cents=100_00)
    make_published(acme, staff, title="Still here")
    with mock.patch.object(cache, "get_many", side_effect=ConnectionError("down")):
        assert _titles(api_as(alice)) == ["Still here"]
    # a write whose commit cannot reach the cache still succeeds
    with mock.patch.object(cache, "incr", side_effect=ConnectionError("down")):
        feed_on(make_published, acme, staff, title="Written anyway")
    assert Mission.objects.filter(title="Written anyway").exists()


def test_mw01_feed_cache_off_without_a_shared_cache(settings):
    # the setting's default: on only when every worker shares the cache (Redis)
    assert settings.MISSION_FEED_CACHE_SECONDS == 0 or settings.REDIS_URL
    settings.MISSION_FEED_CACHE_SECONDS = 0
    before = cache.get(feed.GENERATION_KEY)
    feed.feed_changed()
    assert cache.get(feed.GENERATION_KEY) == before


def test_mw01_feed_cache_keeps_a_mission_page_for_taskers(acme, staff, alice, bob, feed_on, django_assert_num_queries):
    topup_create(user=acme, amount_cents=100_00)
    mission = make_published(acme, staff, title="Kept", places=1)
    alice_api, bob_api = api_as(alice), api_as(bob)
    first = alice_api.get(f"/missions/{mission.pk}").json()
    assert first["places_left"] == 1 and first["company_stats"] is not None
    # another tasker: the token, then the page from the cache
    with django_assert_num_queries(1):
        assert bob_api.get(f"/missions/{mission.pk}").json() == first
    # a write shows at the next request: the last place taken
    feed_on(services.claim_create, mission=mission, tasker=bob)
    assert alice_api.get(f"/missions/{mission.pk}").json()["places_left"] == 0
    # not found stays not found, kept or not
    assert alice_api.get("/missions/999999").status_code == 404
    assert alice_api.get("/missions/999999").status_code == 404
    assert alice_api.get("/missions/nope").status_code in (404, 422)
    # the company sees its own mission as always, never a tasker's kept page
    assert api_as(acme).get(f"/missions/{mission.pk}").json()["places_left"] == 0
    # a draft is not found by taskers until it is published, then found at once
    draft = make_mission(acme, title="Soon")
    assert alice_api.get(f"/missions/{draft.pk}").status_code == 404
    assert alice_api.get(f"/missions/{draft.pk}").status_code == 404
    feed_on(services.mission_submit, mission=draft, by=acme)
    feed_on(services.mission_publish, mission=Mission.objects.get(pk=draft.pk), by=staff)
    assert alice_api.get(f"/missions/{draft.pk}").json()["title"] == "Soon"


def test_mw01_feed_cache_gives_each_tasker_their_own_next_cursor(acme, staff, alice, bob, feed_on):
    _one_approved_report(acme, staff, bob)  # alice has none
    # only filtered missions after the newest one, which is open to all
    feed_on(make_published, acme, staff, title="Filtered", min_approved_reports=1)
    feed_on(make_published, acme, staff, title="Open to all")
    bobs = api_as(bob).get("/missions", limit=1).json()
    alices = api_as(alice).get("/missions", limit=1).json()
    assert [i["title"] for i in bobs["items"]] == [i["title"] for i in alices["items"]] == ["Open to all"]
    # bob's list goes on; alice's ends here (no cursor to an empty page)
    assert bobs["next_cursor"] is not None
    assert api_as(bob).get("/missions", limit=1, cursor=bobs["next_cursor"]).json()["items"][0]["title"] == "Filtered"
    assert alices["next_cursor"] is None


def test_mw01_feed_cache_never_keeps_what_staff_see(acme, staff, alice, feed_on):
    # a tasker account made staff sees drafts: what it sees is not kept for taskers
    alice_staff = make_tasker("alice-staff@example.fr", "+33655500001")
    alice_staff.is_staff = True
    alice_staff.save(update_fields=["is_staff"])
    draft = make_mission(acme, title="Draft")
    assert api_as(alice_staff).get(f"/missions/{draft.pk}").status_code == 200
    assert api_as(alice).get(f"/missions/{draft.pk}").status_code == 404
