from datetime import timedelta

from django.utils import timezone

from microwork.missions.models import Claim, ClaimState
from microwork.testing import api_as

from .conftest import assert_books_right


def test_hm04_a_place_held_past_its_deadline_reads_free_before_any_tick(published, alice, bob, time_machine):
    # given a one-place mission taken by alice
    time_machine.move_to(timezone.now())
    mission = published(places=1)
    alice_api, bob_api = api_as(alice), api_as(bob)
    assert alice_api.post(f"/missions/{mission.pk}/claims").status_code == 201
    assert bob_api.get(f"/missions/{mission.pk}").json()["places_left"] == 0
    assert bob_api.get("/missions").json()["items"] == []
    # when 48 hours pass and nothing has run tick
    time_machine.shift(timedelta(hours=48, minutes=1))
    # then bob already sees the place free, in the list and on the mission
    listed = bob_api.get("/missions").json()["items"]
    assert [item["id"] for item in listed] == [str(mission.pk)]
    assert listed[0]["places_left"] == 1
    assert bob_api.get(f"/missions/{mission.pk}").json()["places_left"] == 1
    # and can take it at once, which writes alice's lapse down
    assert bob_api.post(f"/missions/{mission.pk}/claims").status_code == 201
    assert Claim.objects.get(mission=mission, tasker=alice).state == ClaimState.LAPSED
    assert bob_api.get(f"/missions/{mission.pk}").json()["places_left"] == 0
    assert_books_right()


def test_hm04_the_list_stays_constant_in_queries_with_overdue_claims(published, alice, bob, django_assert_num_queries):
    # the overdue places are counted inside the list's own query, not per mission
    for _ in range(3):
        mission = published(places=1)
        Claim.objects.create(
            mission=mission,
            tasker=alice,
            claimed_at=timezone.now() - timedelta(hours=50),
            deadline_at=timezone.now() - timedelta(hours=2),
        )
        type(mission).objects.filter(pk=mission.pk).update(
            places_free=0, claims_due_at=timezone.now() - timedelta(hours=2)
        )
    api = api_as(bob)
    with django_assert_num_queries(2):
        items = api.get("/missions").json()["items"]
    assert len(items) == 3
    assert {item["places_left"] for item in items} == {1}
