"""Template batches on the pages (MW04): the company makes one from the form
and a file, sends it, follows its progress and downloads the results; staff
see it once in the review queue and publish it as one unit. And the mission
form's duration, typed in minutes or in seconds (MW02)."""

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from microwork.missions import services
from microwork.missions.models import Batch, Mission
from microwork.testing import MISSION, signed_in

from .conftest import assert_books_right, balance

pytestmark = pytest.mark.django_db

ITEMS = "Input.photo_id,Input.url\np1,https://img.example.fr/1.jpg\np2,https://img.example.fr/2.jpg\n"


def html(response: Any) -> str:
    return response.content.decode()


def batch_post(items: str = ITEMS, **overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Label the photo ${photo_id}",
        "category": "image_labelling",
        "instructions": "Look at the photo at ${url} and say which animal it shows, if any.",
        "duration": "30",
        "duration_unit": "seconds",
        "reward": "0,20",
        "places": "1",
        "items": SimpleUploadedFile("items.csv", items.encode(), content_type="text/csv"),
        "questions-TOTAL_FORMS": "1",
        "questions-INITIAL_FORMS": "0",
        "questions-0-label": "Which animal?",
        "questions-0-kind": "choice",
        "questions-0-choices": "cat\ndog\nnone",
        "questions-0-required": "on",
    }
    data.update(overrides)
    return data


def test_mw04_company_makes_sends_and_follows_a_batch_and_staff_publish_it_once(client, acme, staff, alice):
    page = signed_in(client, acme)
    assert page.get(reverse("missions:batch_create")).status_code == 200
    response = page.post(reverse("missions:batch_create"), batch_post())
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    batch = Batch.objects.get()
    assert response["Location"] == reverse("missions:batch_detail", args=[batch.pk])
    # 30 seconds at 20 cents: two items, each its mission, the template filled (MTurk's Input.* columns read)
    missions = list(Mission.objects.filter(batch=batch).order_by("batch_item"))
    assert [m.title for m in missions] == ["Label the photo p1", "Label the photo p2"]
    assert missions[0].estimated_seconds == 30 and missions[0].questions[0]["choices"] == ["cat", "dog", "none"]
    detail = page.get(reverse("missions:batch_detail", args=[batch.pk]))
    assert "https://img.example.fr/1.jpg" in html(detail) and 'data-testid="batch-progress"' in html(detail)
    assert batch.title in html(page.get(reverse("missions:batch_list")))
    before = balance(acme)
    page.post(reverse("missions:batch_submit", args=[batch.pk]))
    assert Batch.objects.get().state == "pending_review"
    assert before - balance(acme) == 2 * (20 + 4 + 1)
    # staff: the batch once in the queue, none of its items
    staff_page = signed_in(client.__class__(), staff)
    queue = html(staff_page.get(reverse("missions:review_queue")))
    assert queue.count(f'data-testid="review-batch-{batch.pk}"') == 1
    assert not any(f'data-testid="review-{m.pk}"' in queue for m in missions)
    response = staff_page.post(reverse("missions:batch_publish", args=[batch.pk]))
    assert response.status_code == 302
    assert set(Mission.objects.filter(batch=batch).values_list("state", flat=True)) == {"published"}
    # a report comes in; the company sees the progress and downloads the results
    claim = services.claim_create(mission=missions[0], tasker=alice)
    services.claim_report(claim=claim, by=alice, answers={"q1": "cat"})
    detail = page.get(reverse("missions:batch_detail", args=[batch.pk]))
    assert detail.context["progress"]["submitted"] == 1
    results = page.get(reverse("missions:batch_results", args=[batch.pk]))
    assert results.status_code == 200 and "attachment" in results["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(results.content.decode())))
    assert rows[0]["Input.photo_id"] == "p1" and rows[0]["Answer.q1"] == "cat"
    assert rows[0]["AssignmentStatus"] == "Submitted"
    assert_books_right()


def test_mw04_batch_form_names_each_bad_row_and_creates_nothing(client, acme):
    items = "photo_id,url\np1,https://img.example.fr/1.jpg\np2,\np3,\n"
    response = signed_in(client, acme).post(reverse("missions:batch_create"), batch_post(items))
    assert response.status_code == 400
    assert [(row["row"], row["field"]) for row in response.context["row_errors"]] == [("2", "url"), ("3", "url")]
    assert 'data-testid="row-errors"' in html(response)
    assert not Batch.objects.exists() and not Mission.objects.exists()
    # a reward under the minimum wage for the duration is said on the form, nothing made
    response = client.post(reverse("missions:batch_create"), batch_post(duration="10", duration_unit="minutes"))
    assert response.status_code == 400
    assert not Batch.objects.exists()


def test_mw04_batch_pages_are_the_companys_own(client, acme, alice):
    signed_in(client, acme).post(reverse("missions:batch_create"), batch_post())
    batch = Batch.objects.get()
    other = signed_in(client.__class__(), alice)
    assert other.get(reverse("missions:batch_detail", args=[batch.pk])).status_code in (403, 404)
    assert other.get(reverse("missions:batch_results", args=[batch.pk])).status_code in (403, 404)


def test_staff_request_changes_on_a_batch_from_its_page(client, acme, staff):
    signed_in(client, acme).post(reverse("missions:batch_create"), batch_post())
    batch = Batch.objects.get()
    client.post(reverse("missions:batch_submit", args=[batch.pk]))
    staff_page = signed_in(client.__class__(), staff)
    assert 'data-testid="batch-review"' in html(staff_page.get(reverse("missions:batch_detail", args=[batch.pk])))
    url = reverse("missions:batch_request_changes", args=[batch.pk])
    assert staff_page.post(url, {f"b{batch.pk}-reason": ""}).status_code == 400
    assert staff_page.post(url, {f"b{batch.pk}-reason": "Say what to do when unsure."}).status_code == 302
    assert Batch.objects.get().state == "changes_requested"


# --- The mission form's duration, in minutes or seconds (MW02) ----------------


def mission_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": MISSION["title"],
        "category": "image_labelling",
        "instructions": MISSION["instructions"],
        "duration": "30",
        "duration_unit": "seconds",
        "reward": "0,20",
        "places": "1",
        "questions-TOTAL_FORMS": "0",
        "questions-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_mw02_mission_form_takes_seconds_and_keeps_them_when_edited(client, acme):
    page = signed_in(client, acme)
    response = page.post(reverse("missions:create"), mission_post())
    assert response.status_code == 302
    mission = Mission.objects.get()
    assert mission.estimated_seconds == 30
    # the edit form shows 30 seconds, not a minute rounded up; saving it as is keeps 30 seconds
    form = page.get(reverse("missions:edit", args=[mission.pk])).context["form"]
    assert (form.initial["duration"], form.initial["duration_unit"]) == (30, "seconds")
    assert page.post(reverse("missions:edit", args=[mission.pk]), mission_post(title="Shelf photo")).status_code == 302
    mission.refresh_from_db()
    assert mission.estimated_seconds == 30 and mission.title == "Shelf photo"
    # minutes still work, and a whole number of minutes is shown in minutes
    page.post(
        reverse("missions:edit", args=[mission.pk]), mission_post(duration="2", duration_unit="minutes", reward="0,50")
    )
    mission.refresh_from_db()
    assert mission.estimated_seconds == 120
    form = page.get(reverse("missions:edit", args=[mission.pk])).context["form"]
    assert (form.initial["duration"], form.initial["duration_unit"]) == (2, "minutes")


def test_mw02_live_cost_reads_the_unit(client, acme):
    page = signed_in(client, acme)
    # 20 cents for 30 seconds is above the minimum wage; for 30 minutes it is not
    ok = page.post(
        reverse("missions:price"), {"reward": "0,20", "places": "1", "duration": "30", "duration_unit": "seconds"}
    )
    assert "refusal" not in ok.context or not ok.context["refusal"]
    low = page.post(
        reverse("missions:price"), {"reward": "0,20", "places": "1", "duration": "30", "duration_unit": "minutes"}
    )
    assert low.context["refusal"]


def test_mw04_batch_form_takes_the_quality_filters(client, acme):
    page = signed_in(client, acme)
    form = html(page.get(reverse("missions:batch_create")))
    assert 'name="min_approval_percent"' in form and 'name="min_approved_reports"' in form
    response = page.post(
        reverse("missions:batch_create"), batch_post(min_approval_percent="80", min_approved_reports="3")
    )
    assert response.status_code == 302
    assert {(m.min_approval_percent, m.min_approved_reports) for m in Mission.objects.all()} == {(80, 3)}
