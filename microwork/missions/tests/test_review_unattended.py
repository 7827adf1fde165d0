"""Rules that must hold even when `tick` has not run (HM14)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from microwork.missions import services
from microwork.missions.models import ClaimState, MissionState
from microwork.testing import ACCOUNT, api_as, make_mission

from .conftest import assert_books_right, balance

pytestmark = pytest.mark.django_db


def test_hm14_a_report_left_3_days_cannot_be_rejected_before_tick(published, acme, alice, time_machine):
    mission = published()
    claim = services.claim_create(mission=mission, tasker=alice)
    services.claim_report(claim=claim, by=alice, answers={}, text=ACCOUNT)
    time_machine.move_to(timezone.now() + timedelta(days=3, minutes=1))

    answer = api_as(acme).post(f"/claims/{claim.pk}/reject", {"reason_code": "other", "reason": "Too late, but no."})

    assert answer.status_code == 409, answer.json()
    claim.refresh_from_db()
    assert (claim.state, claim.auto_approved) == (ClaimState.APPROVED, True)
    assert balance(alice) == 300
    assert services.claims_auto_approve_due() == 0
    assert_books_right()


def test_hm14_a_report_under_3_days_can_still_be_rejected(published, acme, alice, time_machine):
    claim = services.claim_create(mission=published(), tasker=alice)
    services.claim_report(claim=claim, by=alice, answers={}, text=ACCOUNT)
    time_machine.move_to(timezone.now() + timedelta(days=3) - timedelta(minutes=1))

    answer = api_as(acme).post(
        f"/claims/{claim.pk}/reject", {"reason_code": "poor_quality", "reason": "Blurred photo."}
    )

    assert answer.status_code == 200, answer.json()
    assert answer.json()["state"] == "rejected"


def test_hm15b_a_mission_still_in_review_at_its_end_date_is_refunded(acme, staff, time_machine):
    mission = make_mission(acme, places=2, ends_at=timezone.now() + timedelta(hours=10))
    services.mission_submit(mission=mission, by=acme)
    assert balance(acme) == 100_00 - 2 * 372
    time_machine.move_to(timezone.now() + timedelta(hours=11))

    assert services.missions_expire_due() == 1

    mission.refresh_from_db()
    assert (mission.state, mission.places_free) == (MissionState.EXPIRED, 0)
    assert balance(acme) == 100_00
    assert_books_right()


def test_hm15b_staff_cannot_publish_a_mission_past_its_end_date(acme, staff, time_machine):
    mission = make_mission(acme, ends_at=timezone.now() + timedelta(hours=10))
    services.mission_submit(mission=mission, by=acme)
    time_machine.move_to(timezone.now() + timedelta(hours=11))

    answer = api_as(staff).post(f"/missions/{mission.pk}/publish")

    assert answer.status_code == 409, answer.json()
    mission.refresh_from_db()
    assert mission.state == MissionState.EXPIRED
    assert balance(acme) == 100_00
    assert_books_right()
