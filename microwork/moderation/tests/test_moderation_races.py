"""Parallel clicks (AC04): one open report per reporter and target, one
suspension in force per account, on SQLite and PostgreSQL alike."""

import json
from collections import Counter

import pytest
from django.core.cache import cache
from django.test import Client

from microwork import testing
from microwork.moderation.models import AbuseReport, Suspension
from microwork.testing import api_as, make_published, run_together

pytestmark = pytest.mark.race


def post(token: str, path: str, body: dict):
    def call() -> int:
        response = Client().post(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        return response.status_code

    return call


def test_race_ac04_the_same_report_sent_four_times_at_once_is_one_report(transactional_db):
    cache.clear()
    acme = testing.make_company(balance_cents=100_00)
    mission = make_published(acme, testing.make_staff())
    tasker = testing.make_tasker("racer@example.fr", "+33612000001")
    token = api_as(tasker).token
    body = {"target_type": "mission", "target_id": str(mission.pk), "reason": "spam"}
    results = run_together([post(token, "/abuse-reports", body) for _ in range(4)])
    assert Counter(results) == Counter({201: 1, 200: 3})
    assert AbuseReport.objects.count() == 1


def test_race_ac04_two_staff_suspend_one_account_at_once(transactional_db):
    tasker = testing.make_tasker("racer@example.fr", "+33612000001")
    tokens = [api_as(testing.make_staff(f"staff{n}@microwork.fr")).token for n in range(2)]
    results = run_together([post(t, f"/staff/users/{tasker.pk}/suspend", {"reason": "Spam."}) for t in tokens])
    assert Counter(results) == Counter({200: 1, 409: 1})
    assert Suspension.objects.filter(user=tasker, lifted_at__isnull=True).count() == 1
