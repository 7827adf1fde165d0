"""Two staff members deciding on the same expert at once: one decision wins (AM17)."""

import json
from collections import Counter

import pytest
from django.test import Client

from microwork.accounts.models import ExpertProfile, ExpertProfileState, ExpertProfileTransition
from microwork.notifications.models import Notice
from microwork.testing import api_as, approve_expert_profile, make_expert, make_staff, run_together

pytestmark = pytest.mark.race


def test_race_am17_approve_and_refuse_at_once_make_one_decision(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # given an expert waiting for review, and two staff members
    expert = make_expert("race-ana@example.fr")
    approve_expert_profile(expert)
    ExpertProfile.objects.filter(user=expert).update(state=ExpertProfileState.PENDING)
    tokens = [api_as(make_staff(f"staff{i}@microwork.fr")).token for i in range(4)]

    def decide(token: str, action: str, body: dict[str, str]):
        def post() -> tuple[int, str]:
            response = Client().post(
                f"/api/v1/staff/experts/{expert.pk}/{action}",
                json.dumps(body),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            return response.status_code, response.json().get("code", response.json().get("state"))

        return post

    # when two approve and two refuse at the same moment
    results = run_together(
        [
            decide(tokens[0], "approve", {}),
            decide(tokens[1], "refuse", {"reason": "Non"}),
            decide(tokens[2], "approve", {}),
            decide(tokens[3], "refuse", {"reason": "Non"}),
        ]
    )

    # then exactly one decision is taken, recorded once and told once; the others are a wrong state
    assert not [r for r in results if isinstance(r, BaseException)], results
    outcomes = Counter(status for status, _code in results)
    assert outcomes == Counter({200: 1, 409: 3})
    assert {code for status, code in results if status == 409} == {"wrong_state"}
    decided = ExpertProfile.objects.get(user=expert).state
    assert decided in (ExpertProfileState.APPROVED, ExpertProfileState.REFUSED)
    assert ExpertProfileTransition.objects.filter(profile_id=expert.pk, from_state="pending").count() == 1
    assert Notice.objects.filter(user=expert).count() == 1
