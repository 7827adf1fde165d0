"""Template batches (MW04, issue 15 items 6 and 8): a template and a file of
items make one batch, submitted, reviewed and published as one unit, in
waves when asked; progress, results in MTurk's layout, `batch.done`."""

import csv
import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from microwork.api.tests.helpers import assert_problem
from microwork.ledger.models import Entry
from microwork.missions import batch_template, services
from microwork.missions.batch_template import worker_id
from microwork.missions.models import Batch, BatchTransition, Claim, Mission, MissionTransition
from microwork.ops.tick import run_due
from microwork.testing import api_as, make_company, make_tasker
from microwork.webhooks.models import Delivery

from .conftest import assert_books_right, balance

pytestmark = pytest.mark.django_db

# Two minutes paid 100 cents (above the SMIC for two minutes); a place costs 100 + 20 + 4 = 124.
TEMPLATE = {
    "title": "Label the photo ${photo_id}",
    "category": "image_labelling",
    "instructions": "Look at the photo at ${url} and say which animal it shows, if any.",
    "estimated_seconds": 120,
    "reward_cents": 100,
    "places": 1,
    "questions": [{"key": "animal", "label": "Which animal?", "kind": "choice", "choices": ["cat", "dog", "none"]}],
}
ITEMS = (
    "photo_id,url\np1,https://img.example.fr/1.jpg\np2,https://img.example.fr/2.jpg\np3,https://img.example.fr/3.jpg\n"
)


def _file(text: str, name: str = "items.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def create(company, items: str = ITEMS, **template):
    body = {"template": json.dumps({**TEMPLATE, **template}), "items": _file(items)}
    return api_as(company).upload("/batches", body)


def created(company, items: str = ITEMS, **template) -> dict:
    response = create(company, items, **template)
    assert response.status_code == 201, response.json()
    return response.json()


def published(company, staff, items: str = ITEMS, **template) -> dict:
    batch = created(company, items, **template)
    assert api_as(company).post(f"/batches/{batch['id']}/submit").status_code == 200
    response = api_as(staff).post(f"/batches/{batch['id']}/publish")
    assert response.status_code == 200, response.json()
    return response.json()


def report(tasker, mission_id: str, animal: str = "cat") -> Claim:
    claim = services.claim_create(mission=Mission.objects.get(pk=mission_id), tasker=tasker)
    return services.claim_report(claim=claim, by=tasker, answers={"animal": animal}, text="")


def test_mw04_template_batch_makes_one_mission_per_item(acme):
    batch = created(acme)
    assert batch["state"] == "draft" and batch["items"] == 3 and batch["variables"] == ["photo_id", "url"]
    assert batch["cost_cents"] == 3 * 124
    missions = list(Mission.objects.filter(batch_id=batch["id"]).order_by("batch_item"))
    assert [m.title for m in missions] == ["Label the photo p1", "Label the photo p2", "Label the photo p3"]
    assert (
        missions[1].instructions
        == "Look at the photo at https://img.example.fr/2.jpg and say which animal it shows, if any."
    )
    assert missions[0].batch_input == {"photo_id": "p1", "url": "https://img.example.fr/1.jpg"}
    assert {m.state for m in missions} == {"draft"} and missions[0].questions[0]["key"] == "animal"
    assert batch["mission_ids"] == [str(m.pk) for m in missions]
    # the batch keeps its template, variables and all
    assert Batch.objects.get().instructions == TEMPLATE["instructions"]


def test_mw04_batch_is_all_or_nothing_and_names_each_bad_row(acme):
    items = "photo_id,url\np1,https://img.example.fr/1.jpg\np2,\n,https://img.example.fr/3.jpg\np4,x\n"
    response = create(acme, items)
    assert_problem(response, 422, "invalid")
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["row 2: url", "row 3: photo_id"]
    assert "${url}" in errors[0]["message"]
    assert not Mission.objects.exists() and not Batch.objects.exists()
    # a row the single-mission schema refuses is named too (here: a title past 200 characters)
    response = create(acme, "photo_id,url\np1,u\n" + "p" * 200 + ",u\n")
    assert_problem(response, 422, "invalid")
    assert [e["field"] for e in response.json()["errors"]] == ["row 2: title"]
    assert not Mission.objects.exists()


def test_mw04_batch_rules_of_a_mission_hold_per_item(acme):
    # 100 cents for ten minutes is below the minimum wage: every row is refused, nothing is made
    response = create(acme, estimated_seconds=None, estimated_minutes=10)
    assert_problem(response, 422, "invalid")
    assert [e["field"] for e in response.json()["errors"]] == [f"row {n}: reward_cents" for n in (1, 2, 3)]
    assert not Mission.objects.exists() and not Batch.objects.exists()


def test_mw04_batch_template_errors(acme, alice):
    response = create(acme, instructions="Look at ${colour} and say which animal it shows, if any.")
    assert_problem(response, 422, "invalid")
    assert "${colour}" in response.json()["detail"]
    response = create(acme, instructions="Pay $ 5 and look at ${url} to say which animal it shows.")
    assert_problem(response, 422, "invalid")
    body = {"template": json.dumps({**TEMPLATE, "reward_cents": "a lot"}), "items": _file(ITEMS)}
    response = api_as(acme).upload("/batches", body)
    assert_problem(response, 422, "invalid")
    assert response.json()["errors"][0]["field"] == "template.reward_cents"
    response = api_as(acme).upload("/batches", {"template": "{not json", "items": _file(ITEMS)})
    assert_problem(response, 422, "invalid")
    response = create(acme, "photo_id,url\n")
    assert_problem(response, 422, "invalid")
    response = create(acme, wave_size=5)
    assert_problem(response, 422, "invalid")
    # taskers do not post batches
    assert_problem(create(alice), 403, "forbidden")
    assert not Batch.objects.exists()


def test_mw04_mturk_items_with_input_columns_are_read(acme):
    items = "HITId,Input.photo_id,Input.url,Answer.animal\nX1,p1,https://img.example.fr/1.jpg,cat\n"
    batch = created(acme, items)
    assert batch["variables"] == ["photo_id", "url"]
    assert Mission.objects.get().batch_input == {"photo_id": "p1", "url": "https://img.example.fr/1.jpg"}


def test_mw04_batch_submit_reserves_every_item_at_once(acme):
    batch = created(acme)
    before = balance(acme)
    response = api_as(acme).post(f"/batches/{batch['id']}/submit")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "pending_review"
    assert before - balance(acme) == 3 * 124
    # one ledger entry for the whole batch, each item's cost in its own escrow
    assert Entry.objects.filter(kind="mission_reserve").count() == 1
    assert set(Mission.objects.values_list("state", flat=True)) == {"pending_review"}
    assert_books_right()
    # an item does not move on its own
    mission = Mission.objects.first()
    assert_problem(api_as(acme).post(f"/missions/{mission.pk}/withdraw"), 409, "wrong_state")


def test_mw04_batch_submit_refused_without_funds_changes_nothing(db):
    poor = make_company("poor@example.fr", balance_cents=300)
    batch = created(poor)
    assert_problem(api_as(poor).post(f"/batches/{batch['id']}/submit"), 409, "insufficient_funds")
    assert Batch.objects.get().state == "draft"
    assert set(Mission.objects.values_list("state", flat=True)) == {"draft"}
    assert balance(poor) == 300


def test_mw04_staff_review_the_batch_once_and_publish_it_as_one_unit(acme, staff, alice):
    batch = created(acme)
    api_as(acme).post(f"/batches/{batch['id']}/submit")
    # staff's queue holds the batch once, and none of its items
    queue = api_as(staff).get("/batches", state="pending_review").json()["items"]
    assert [b["id"] for b in queue] == [batch["id"]]
    assert api_as(staff).get("/staff/review-queue").json()["items"] == []
    # an item is not published alone
    mission = Mission.objects.first()
    assert_problem(api_as(staff).post(f"/missions/{mission.pk}/publish"), 409, "wrong_state")
    # taskers and other companies do not publish
    assert_problem(api_as(acme).post(f"/batches/{batch['id']}/publish"), 403, "forbidden")
    other = make_company("other@example.fr")
    assert_problem(api_as(other).get(f"/batches/{batch['id']}"), 404, "not_found")
    response = api_as(staff).post(f"/batches/{batch['id']}/publish")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "published" and body["progress"]["open"] == 3 and body["progress"]["released"] == 3
    assert set(Mission.objects.values_list("state", flat=True)) == {"published"}
    assert MissionTransition.objects.filter(to_state="published").count() == 3
    assert len(api_as(alice).get("/missions").json()["items"]) == 3


def test_mw04_changes_requested_on_the_batch_refund_every_item(acme, staff):
    batch = created(acme)
    before = balance(acme)
    api_as(acme).post(f"/batches/{batch['id']}/submit")
    response = api_as(staff).post(f"/batches/{batch['id']}/request-changes", {"reason": "Say what to do when unsure."})
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "changes_requested"
    assert set(Mission.objects.values_list("state", flat=True)) == {"changes_requested"}
    assert balance(acme) == before
    # resubmitted: reserved again, once
    assert api_as(acme).post(f"/batches/{batch['id']}/submit").json()["state"] == "pending_review"
    assert before - balance(acme) == 3 * 124
    assert_books_right()


def test_mw04_progress_results_and_batch_done(acme, staff, alice, bob):
    register = api_as(acme).post("/me/webhooks", {"url": "http://127.0.0.1:9/h", "events": ["batch.done"]})
    assert register.status_code == 201
    batch = published(acme, staff, ITEMS)
    ids = [str(m.pk) for m in Mission.objects.filter(batch_id=batch["id"]).order_by("batch_item")]
    first = report(alice, ids[0], "cat")
    second = report(bob, ids[1], "dog")
    services.claim_approve(claim=first, by=acme, rating=5)
    services.claim_reject(claim=second, by=acme, reason_code="incomplete", reason="No animal was named.")
    progress = api_as(acme).get(f"/batches/{batch['id']}").json()["progress"]
    assert progress == {
        "items": 3,
        "released": 3,
        "open": 2,
        "done": 1,
        "submitted": 0,
        "approved": 1,
        "rejected": 1,
    }
    # the results, in MTurk's layout: one line per report, Input.* then Answer.*
    response = api_as(acme).get(f"/batches/{batch['id']}/results.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    header = next(csv.reader(io.StringIO(response.content.decode())))
    assert header[:8] == [
        "HITId",
        "Title",
        "Reward",
        "AssignmentId",
        "WorkerId",
        "AssignmentStatus",
        "AcceptTime",
        "SubmitTime",
    ]
    assert header[-4:] == ["Input.photo_id", "Input.url", "Answer.animal", "Answer.comments"]
    assert [(r["HITId"], r["AssignmentId"], r["AssignmentStatus"]) for r in rows] == [
        (ids[0], str(first.pk), "Approved"),
        (ids[1], str(second.pk), "Rejected"),
    ]
    assert rows[0]["Input.url"] == "https://img.example.fr/1.jpg" and rows[0]["Answer.animal"] == "cat"
    assert rows[1]["RequesterFeedback"] == "No animal was named."
    # an opaque worker id: never the tasker's email or account id
    assert rows[0]["WorkerId"] == worker_id(acme.pk, alice.pk)
    assert "alice" not in response.content.decode() and rows[0]["WorkerId"] != str(alice.pk)
    assert rows[0]["Reward"] == "1.00"
    # the results round-trip: the file given back as items makes the same items
    again = created(acme, response.content.decode())
    assert again["variables"] == ["photo_id", "url"]
    assert list(Mission.objects.filter(batch_id=again["id"]).values_list("batch_input", flat=True)) == [
        {"photo_id": "p1", "url": "https://img.example.fr/1.jpg"},
        {"photo_id": "p2", "url": "https://img.example.fr/2.jpg"},
    ]
    # not done while an item is open; done once every item is settled, told once
    assert not Delivery.objects.filter(event_type="batch.done").exists()
    carol = make_tasker("carol@example.fr", "+33600000003")
    services.claim_approve(claim=report(carol, ids[1]), by=acme, rating=4)
    services.claim_approve(claim=report(carol, ids[2]), by=acme, rating=4)
    detail = api_as(acme).get(f"/batches/{batch['id']}").json()
    assert detail["state"] == "done" and detail["progress"]["done"] == 3
    delivery = Delivery.objects.get(event_type="batch.done")
    sent = json.loads(delivery.body)
    assert sent["data"]["batch_id"] == batch["id"] and sent["data"]["approved"] == 3
    assert run_due()["batches_done"] == 0
    assert Delivery.objects.filter(event_type="batch.done").count() == 1
    assert BatchTransition.objects.filter(batch_id=batch["id"], to_state="done").count() == 1


def test_mw04_results_are_the_companys_own(acme, staff, alice):
    batch = published(acme, staff)
    other = make_company("other@example.fr")
    assert_problem(api_as(other).get(f"/batches/{batch['id']}/results.csv"), 404, "not_found")
    assert_problem(api_as(alice).get(f"/batches/{batch['id']}/results.csv"), 404, "not_found")
    assert api_as(alice).get("/batches").json()["items"] == []


def test_pl_fair_dispatch_waves_release_on_time_or_when_the_last_is_done(acme, staff, alice, bob):
    items = "photo_id,url\n" + "".join(f"p{n},https://img.example.fr/{n}.jpg\n" for n in range(1, 6))
    batch = published(acme, staff, items, wave_size=2, wave_minutes=30)
    assert batch["waves"] == 3 and batch["waves_released"] == 1
    assert batch["progress"]["released"] == 2 and batch["progress"]["open"] == 2
    open_ids = [m["id"] for m in api_as(alice).get("/missions").json()["items"]]
    assert len(open_ids) == 2
    waiting = Mission.objects.filter(batch_id=batch["id"], batch_wave=3).get()
    assert_problem(api_as(alice).post(f"/missions/{waiting.pk}/claims"), 404, "not_found")
    # nothing is due yet
    assert run_due()["batch_waves_released"] == 0
    # the first wave done (each place reported): the next wave is due at once
    report(alice, open_ids[0])
    report(bob, open_ids[1])
    assert run_due()["batch_waves_released"] == 1
    assert api_as(acme).get(f"/batches/{batch['id']}").json()["progress"]["released"] == 4
    # the third wave comes when its time has come, even with the second not done
    assert run_due()["batch_waves_released"] == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert run_due()["batch_waves_released"] == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert run_due()["batch_waves_released"] == 1
    detail = api_as(acme).get(f"/batches/{batch['id']}").json()
    assert detail["waves_released"] == 3 and detail["progress"]["released"] == 5
    assert run_due()["batch_waves_released"] == 0
    assert_books_right()


def test_pl_fair_dispatch_withdrawn_batch_refunds_waves_never_released(acme, staff):
    items = "photo_id,url\n" + "".join(f"p{n},https://img.example.fr/{n}.jpg\n" for n in range(1, 5))
    before = balance(acme)
    batch = published(acme, staff, items, wave_size=2)
    assert before - balance(acme) == 4 * 124
    response = api_as(acme).post(f"/batches/{batch['id']}/withdraw")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "closed"
    assert balance(acme) == before
    assert set(Mission.objects.values_list("state", flat=True)) == {"closed"}
    assert_books_right()
    assert_problem(api_as(acme).post(f"/batches/{batch['id']}/withdraw"), 409, "wrong_state")


def test_mw04_batch_items_are_limited(acme, monkeypatch):
    monkeypatch.setattr(batch_template, "ITEMS_MAX_ROWS", 2)
    response = create(acme)
    assert_problem(response, 422, "invalid")
    assert response.json()["errors"][0]["field"] == "file"
    assert not Batch.objects.exists()


def test_mw04_quality_filters_of_the_template_hold_on_every_item(acme, staff, alice):
    # given a batch whose template asks for taskers with a record
    batch = published(acme, staff, min_approval_rate=0.9, min_approved_reports=1)
    missions = Mission.objects.filter(batch_id=batch["id"])
    # then every item carries the filters
    assert {(m.min_approval_percent, m.min_approved_reports) for m in missions} == {(90, 1)}
    # and a new tasker, with no approved report yet, is told so and takes nothing
    refused = api_as(alice).post(f"/missions/{missions.first().pk}/claims")
    assert_problem(refused, 403, "not_qualified")
    assert not Claim.objects.exists()


def test_mw04_a_template_rate_that_is_not_a_whole_percent_is_refused_once(acme):
    response = create(acme, min_approval_rate=0.955)
    assert_problem(response, 422, "invalid")
    assert [e["field"] for e in response.json()["errors"]] == ["template.min_approval_rate"]
    assert not Mission.objects.exists() and not Batch.objects.exists()
