"""MW02: a task of a few seconds can be posted, its duration in seconds, its
reward still at least the SMIC prorated to the second (HM08); PL04: every
mission gives its reward per hour of the estimate."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from microwork.api.tests.helpers import assert_problem, error_fields
from microwork.missions import services
from microwork.missions.models import Mission
from microwork.testing import api_as, make_published, signed_in

pytestmark = pytest.mark.django_db

LABEL = {
    "title": "Is there a cat in this picture?",
    "category": "image_labelling",
    "instructions": "Look at the picture and answer yes or no: is there a cat in it?",
    "reward_cents": 11,
    "places": 50,
}


def test_mw02_the_floor_is_the_smic_prorated_to_the_second(acme, settings):
    # 30 seconds at 12.02 EUR an hour is 10.02 cents: at least 11 cents
    assert services.minimum_reward_cents(30, date(2026, 6, 1)) == 11
    refused = api_as(acme).post("/missions", {**LABEL, "reward_cents": 10, "estimated_seconds": 30})
    assert_problem(refused, 422, "reward_below_minimum_wage")
    assert "30" in refused.json()["detail"]
    answer = api_as(acme).post("/missions", {**LABEL, "estimated_seconds": 30})
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["estimated_seconds"] == 30 and body["estimated_minutes"] == 1
    assert body["hourly_rate_cents"] == 13_20
    assert Mission.objects.get(pk=body["id"]).estimated_seconds == 30


def test_mw02_minutes_still_work_and_read_back_in_seconds(acme):
    body = api_as(acme).post("/missions", {**LABEL, "reward_cents": 300, "estimated_minutes": 10}).json()
    assert (body["estimated_minutes"], body["estimated_seconds"], body["hourly_rate_cents"]) == (10, 600, 18_00)


def test_mw02_one_duration_never_both_never_none(acme):
    both = api_as(acme).post("/missions", {**LABEL, "estimated_minutes": 1, "estimated_seconds": 30})
    assert_problem(both, 422, "invalid")
    assert "estimated_seconds" in error_fields(both.json())
    none = api_as(acme).post("/missions", LABEL)
    assert_problem(none, 422, "invalid")
    too_long = api_as(acme).post("/missions", {**LABEL, "reward_cents": 9000, "estimated_seconds": 8 * 3600 + 1})
    assert_problem(too_long, 422, "invalid")
    assert Mission.objects.count() == 0


def test_mw02_a_batch_of_tasks_of_seconds(acme):
    rows = "title,category,instructions,estimated_seconds,reward_cents,places\n" + "".join(
        f"Image {n},image_labelling,Look at the picture and answer yes or no: is there a cat?,20,7,100\n"
        for n in range(3)
    )
    file = SimpleUploadedFile("labels.csv", rows.encode(), content_type="text/csv")
    answer = api_as(acme).upload("/missions/batch", {"file": file})
    assert answer.status_code == 201, answer.json()
    assert {item["estimated_seconds"] for item in answer.json()["items"]} == {20}
    # 20 seconds at 12.02 EUR an hour is 6.68 cents: 6 cents is refused, row named
    rows = rows.replace(",20,7,", ",20,6,", 1)
    file = SimpleUploadedFile("labels.csv", rows.encode(), content_type="text/csv")
    refused = api_as(acme).upload("/missions/batch", {"file": file})
    assert refused.status_code == 422
    assert any(field.startswith("row 1") for field in error_fields(refused.json()))


def test_mw02_pages_say_seconds_and_the_hourly_rate(acme, staff, alice, client):
    mission = make_published(acme, staff, **{**LABEL, "estimated_minutes": None, "estimated_seconds": 30})
    html = signed_in(client, alice).get(reverse("missions:detail", args=[mission.pk])).content.decode()
    assert "30\xa0s" in html
    assert "13,20" in html  # per hour
