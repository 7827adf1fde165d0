"""Claiming, reporting, reviewing, disputing and withdrawing, through the API (HM04-HM05, HM12-HM15b)."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from microwork.api.tests.helpers import assert_problem, error_fields
from microwork.ledger.models import AccountKind
from microwork.ledger.services import escrow_of, system_account
from microwork.missions import services
from microwork.missions.models import Claim, ClaimState, Mission, MissionState
from microwork.notifications.models import Notice
from microwork.testing import ACCOUNT, api_as, make_company, make_mission, make_tasker

from .conftest import assert_books_right, balance, photo_upload

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"key": "shop", "label": "Which shop?", "kind": "short_text"},
    {"key": "stock", "label": "Is the shelf full?", "kind": "choice", "choices": ["full", "half", "empty"]},
    {"key": "page", "label": "Link to the shop's page", "kind": "url", "required": False},
    {"key": "shelf", "label": "Photo of the shelf", "kind": "photo"},
]
GOOD_ANSWERS = {"shop": "Monoprix Bastille", "stock": "half", "page": "https://example.fr/shop"}
# The least a report on a mission without questions holds (HM13).
REPORT = {"answers": {}, "text": ACCOUNT}


def _revenue() -> int:
    return system_account(AccountKind.REVENUE).balance_cents


def _vat() -> int:
    return system_account(AccountKind.VAT).balance_cents


def _escrow(mission) -> int:
    return escrow_of(f"mission:{mission.pk}").balance_cents


def _places_left(mission) -> int:
    return Mission.objects.get(pk=mission.pk).places_free


def claim(tasker, mission, **kwargs):
    return api_as(tasker).post(f"/missions/{mission.pk}/claims", **kwargs)


def reported(tasker, mission) -> str:
    """Claim and report a mission without questions; the claim's id."""
    client = api_as(tasker)
    claim_id = client.post(f"/missions/{mission.pk}/claims").json()["id"]
    response = client.post(f"/claims/{claim_id}/report", REPORT)
    assert response.status_code == 200, response.json()
    return claim_id


def rejected(company, tasker, mission) -> str:
    claim_id = reported(tasker, mission)
    response = api_as(company).post(
        f"/claims/{claim_id}/reject", {"reason_code": "poor_quality", "reason": "The photo is blurred."}
    )
    assert response.status_code == 200, response.json()
    return claim_id


def disputed(company, tasker, mission) -> str:
    claim_id = rejected(company, tasker, mission)
    response = api_as(tasker).post(f"/claims/{claim_id}/dispute", {"reason": "It is sharp enough."})
    assert response.status_code == 200, response.json()
    return claim_id


# --- Claiming (MW01, HM04, HM05, HM12) -----------------------------------------------


def test_hm04_a_claim_holds_the_place_for_48_hours(published, alice):
    mission = published()
    before = timezone.now()
    response = claim(alice, mission)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["mission_id"]) == ("active", str(mission.pk))
    deadline = Claim.objects.get(pk=body["id"]).deadline_at
    assert before + timedelta(hours=48) <= deadline <= timezone.now() + timedelta(hours=48)
    assert api_as(alice).get(f"/missions/{mission.pk}").json()["places_left"] == 0


def test_hm04_a_report_after_48_hours_is_refused_before_any_tick(published, alice, bob, time_machine):
    # given alice's claim, and 48 hours and a minute gone by without any tick
    mission = published()
    claim_id = claim(alice, mission).json()["id"]
    time_machine.move_to(timezone.now() + timedelta(hours=48, minutes=1))
    # when she reports
    response = api_as(alice).post(f"/claims/{claim_id}/report", REPORT)
    # then it is refused at once, the claim is lapsed and the place is back in the pool
    assert response.status_code == 409
    assert response.json()["code"] == "claim_lapsed"
    assert Claim.objects.get(pk=claim_id).state == ClaimState.LAPSED
    assert api_as(bob).get(f"/missions/{mission.pk}").json()["places_left"] == 1
    # and bob can take it
    assert claim(bob, mission).status_code == 201
    # and a repeat of the report still says claim_lapsed
    assert api_as(alice).post(f"/claims/{claim_id}/report", REPORT).json()["code"] == "claim_lapsed"


def test_hm04_a_report_just_before_the_deadline_is_accepted(published, alice, time_machine):
    mission = published()
    claim_id = claim(alice, mission).json()["id"]
    time_machine.move_to(timezone.now() + timedelta(hours=47, minutes=59))
    response = api_as(alice).post(f"/claims/{claim_id}/report", REPORT)
    assert response.status_code == 200
    assert response.json()["state"] == "submitted"


def test_hm04_a_full_mission_frees_a_lapsed_place_on_the_next_claim(published, alice, bob, time_machine):
    # given alice's claim past its deadline on a one-place mission, and no tick
    mission = published()
    alice_claim = claim(alice, mission).json()["id"]
    time_machine.move_to(timezone.now() + timedelta(hours=49))
    # when bob claims
    response = claim(bob, mission)
    # then he gets the place, and alice's claim is lapsed
    assert response.status_code == 201
    assert Claim.objects.get(pk=alice_claim).state == ClaimState.LAPSED
    assert _places_left(mission) == 0


def test_hm04_tick_lapses_claims_past_48_hours(published, alice, time_machine):
    mission = published()
    claim_id = claim(alice, mission).json()["id"]
    call_command("tick")
    assert Claim.objects.get(pk=claim_id).state == ClaimState.ACTIVE
    time_machine.move_to(timezone.now() + timedelta(hours=48, seconds=1))
    call_command("tick")
    assert Claim.objects.get(pk=claim_id).state == ClaimState.LAPSED
    assert _places_left(mission) == 1
    history = api_as(alice).get(f"/claims/{claim_id}").json()["history"]
    assert [(h["from_state"], h["to_state"]) for h in history] == [("", "active"), ("active", "lapsed")]
    # nothing lost: the tasker owes nothing and the mission's escrow still funds the place
    assert balance(alice) == 0
    assert _escrow(mission) == 372
    assert_books_right()


def test_hm04_release_returns_the_place(published, alice):
    mission = published()
    claim_id = claim(alice, mission).json()["id"]
    response = api_as(alice).post(f"/claims/{claim_id}/release")
    assert response.status_code == 200
    assert response.json()["state"] == "released"
    assert _places_left(mission) == 1
    assert api_as(alice).post(f"/claims/{claim_id}/release").status_code == 409


def test_hm05_third_claim_refused(published, alice):
    first, second, third = published(), published(title="Second shelf"), published(title="Third shelf")
    assert claim(alice, first).status_code == 201
    assert claim(alice, second).status_code == 201
    response = claim(alice, third)
    assert response.status_code == 409
    assert response.json()["code"] == "claim_limit_reached"
    assert _places_left(third) == 1
    assert Claim.objects.filter(tasker=alice).count() == 2


def test_hm05_a_report_frees_a_slot(published, alice):
    first, second, third = published(), published(title="Second shelf"), published(title="Third shelf")
    first_claim = claim(alice, first).json()["id"]
    claim(alice, second)
    api_as(alice).post(f"/claims/{first_claim}/report", REPORT)
    assert claim(alice, third).status_code == 201


def test_hm05_a_release_frees_a_slot(published, alice):
    first, second, third = published(), published(title="Second shelf"), published(title="Third shelf")
    first_claim = claim(alice, first).json()["id"]
    claim(alice, second)
    api_as(alice).post(f"/claims/{first_claim}/release")
    assert claim(alice, third).status_code == 201


def test_hm05_a_lapsed_claim_frees_a_slot_without_tick(published, alice, time_machine):
    first, second = published(), published(title="Second shelf")
    claim(alice, first)
    time_machine.move_to(timezone.now() + timedelta(hours=30))
    claim(alice, second)
    third = published(title="Third shelf")
    time_machine.move_to(timezone.now() + timedelta(hours=19))
    # the first claim is past its deadline now; the second is not
    assert claim(alice, third).status_code == 201
    assert Claim.objects.get(tasker=alice, mission=first).state == ClaimState.LAPSED
    assert _places_left(first) == 1


def test_hm12_several_places_each_once_per_tasker(published, alice, bob):
    # given a mission with two places
    mission = published(places=2)
    carol = make_tasker("carol@example.fr", "+33655555555")
    # when alice claims twice, bob once, then carol
    assert claim(alice, mission).status_code == 201
    twice = claim(alice, mission)
    assert claim(bob, mission).status_code == 201
    full = claim(carol, mission)
    # then alice's second try is already_claimed and carol finds it full
    assert (twice.status_code, twice.json()["code"]) == (409, "already_claimed")
    assert (full.status_code, full.json()["code"]) == (409, "mission_full")
    assert _places_left(mission) == 0


def test_hm12_a_released_mission_cannot_be_claimed_again_by_the_same_tasker(published, alice):
    mission = published(places=2)
    claim_id = claim(alice, mission).json()["id"]
    api_as(alice).post(f"/claims/{claim_id}/release")
    response = claim(alice, mission)
    assert (response.status_code, response.json()["code"]) == (409, "already_claimed")


def test_unverified_phone_cannot_claim(published, charlie):
    mission = published()
    response = claim(charlie, mission)
    assert (response.status_code, response.json()["code"]) == (403, "phone_not_verified")
    assert _places_left(mission) == 1


def test_companies_cannot_claim(published, acme):
    mission = published()
    assert claim(acme, mission).status_code == 403
    assert not Claim.objects.exists()


def test_a_withdrawn_mission_is_not_available(published, acme, alice):
    mission = published(places=2)
    api_as(acme).post(f"/missions/{mission.pk}/withdraw")
    response = claim(alice, mission)
    assert (response.status_code, response.json()["code"]) == (409, "mission_not_available")


def test_a_mission_past_its_end_date_is_not_available_before_tick(published, alice, time_machine):
    mission = published(ends_at=timezone.now() + timedelta(days=2))
    time_machine.move_to(timezone.now() + timedelta(days=2, minutes=1))
    response = claim(alice, mission)
    assert (response.status_code, response.json()["code"]) == (409, "mission_not_available")
    assert api_as(alice).get("/missions").json()["items"] == []


def test_the_same_idempotency_key_claims_once(published, alice):
    mission = published(places=3)
    first = claim(alice, mission, key="claim-once")
    again = claim(alice, mission, key="claim-once")
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert Claim.objects.filter(tasker=alice).count() == 1


# --- Access ---------------------------------------------------------------------------


def test_claims_of_others_are_not_found(published, acme, alice, bob):
    mission = published()
    claim_id = claim(alice, mission).json()["id"]
    other = make_company("other@example.fr")
    for client in (api_as(bob), api_as(other)):
        assert client.get(f"/claims/{claim_id}").status_code == 404
        assert client.post(f"/claims/{claim_id}/release").status_code == 404
        assert client.post(f"/claims/{claim_id}/approve", {"rating": 5}).status_code == 404
    assert api_as(bob).get("/claims").json()["items"] == []
    assert api_as(other).get("/claims").json()["items"] == []
    assert Claim.objects.get(pk=claim_id).state == ClaimState.ACTIVE
    for bad in ("abc", "0", "99999999"):
        assert api_as(alice).get(f"/claims/{bad}").status_code == 404


def test_the_tasker_and_the_company_see_the_claim(published, acme, alice):
    mission = published()
    claim_id = claim(alice, mission).json()["id"]
    assert api_as(alice).get(f"/claims/{claim_id}").json()["state"] == "active"
    listed = api_as(acme).get("/claims", mission_id=str(mission.pk)).json()["items"]
    assert [c["id"] for c in listed] == [claim_id]
    assert api_as(acme).get("/claims", state="approved").json()["items"] == []


def test_roles_that_may_not_act_on_a_claim_get_403(published, acme, alice):
    mission = published()
    claim_id = reported(alice, mission)
    assert api_as(alice).post(f"/claims/{claim_id}/approve", {"rating": 5}).status_code == 403
    assert api_as(acme).post(f"/claims/{claim_id}/release").status_code == 403
    assert Claim.objects.get(pk=claim_id).state == ClaimState.SUBMITTED


# --- HM13: the report -------------------------------------------------------------------


def test_hm13_report_with_answers_links_and_a_photo(published, alice):
    mission = published(questions=QUESTIONS)
    client = api_as(alice)
    claim_id = claim(alice, mission).json()["id"]
    # when alice uploads the photo then reports
    uploaded = client.upload(f"/claims/{claim_id}/report/files", {"question": "shelf", "file": photo_upload()})
    response = client.post(
        f"/claims/{claim_id}/report",
        {"answers": GOOD_ANSWERS, "text": "All good.", "links": ["https://example.fr/photo"]},
    )
    # then the report is submitted with everything in it
    assert uploaded.status_code == 201, uploaded.json()
    assert uploaded.json()["content_type"] == "image/png"
    assert response.status_code == 200, response.json()
    report = response.json()["report"]
    assert response.json()["state"] == "submitted"
    assert report["answers"] == GOOD_ANSWERS
    assert report["links"] == ["https://example.fr/photo"]
    assert [f["question_key"] for f in report["files"]] == ["shelf"]


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"stock": "half"}, "answers.shop"),
        ({"shop": "Monoprix", "stock": "overflowing"}, "answers.stock"),
        ({"shop": "Monoprix", "stock": "full", "page": "not a link"}, "answers.page"),
        ({"shop": "Monoprix", "stock": "full", "colour": "red"}, "answers"),
    ],
)
def test_hm13_bad_answers_are_refused(published, alice, answers, field):
    mission = published(questions=QUESTIONS)
    client = api_as(alice)
    claim_id = claim(alice, mission).json()["id"]
    client.upload(f"/claims/{claim_id}/report/files", {"question": "shelf", "file": photo_upload()})
    response = client.post(f"/claims/{claim_id}/report", {"answers": answers})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert Claim.objects.get(pk=claim_id).state == ClaimState.ACTIVE


def test_hm13_a_required_photo_must_be_attached(published, alice):
    mission = published(questions=QUESTIONS)
    claim_id = claim(alice, mission).json()["id"]
    response = api_as(alice).post(f"/claims/{claim_id}/report", {"answers": GOOD_ANSWERS})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "answers.shelf"


def test_hm13_a_non_image_disguised_as_jpg_is_refused(published, alice):
    mission = published(questions=QUESTIONS)
    claim_id = claim(alice, mission).json()["id"]
    fake = SimpleUploadedFile("shelf.jpg", b"#!/bin/sh\necho not a photo\n" * 10, content_type="image/jpeg")
    response = api_as(alice).upload(f"/claims/{claim_id}/report/files", {"question": "shelf", "file": fake})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    assert not Claim.objects.get(pk=claim_id).files.exists()


def test_hm13_a_file_for_a_text_question_is_refused(published, alice):
    mission = published(questions=QUESTIONS)
    claim_id = claim(alice, mission).json()["id"]
    response = api_as(alice).upload(f"/claims/{claim_id}/report/files", {"question": "shop", "file": photo_upload()})
    assert response.status_code == 422


def test_hm13_bad_links_are_refused(published, alice):
    mission = published()
    claim_id = claim(alice, mission).json()["id"]
    response = api_as(alice).post(f"/claims/{claim_id}/report", {**REPORT, "links": ["javascript:alert(1)"]})
    assert response.status_code == 422
    assert Claim.objects.get(pk=claim_id).state == ClaimState.ACTIVE


def test_hm13_a_report_is_sent_once(published, alice):
    mission = published()
    claim_id = reported(alice, mission)
    again = api_as(alice).post(f"/claims/{claim_id}/report", REPORT)
    assert again.status_code == 409
    assert api_as(alice).post(f"/claims/{claim_id}/release").status_code == 409


# --- HM14: review ---------------------------------------------------------------------------


def test_hm14_the_company_is_alerted_as_soon_as_a_report_arrives(
    published, acme, alice, django_capture_on_commit_callbacks
):
    mission = published()
    claim_id = claim(alice, mission).json()["id"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        api_as(alice).post(f"/claims/{claim_id}/report", REPORT)
    assert Notice.objects.filter(user=acme, kind="report_submitted").count() == 1
    assert [m.to for m in mail.outbox] == [[acme.email]]


def test_hm14_approval_pays_reward_fee_and_vat(published, acme, alice):
    # given alice's report on a one-place mission at 300 cents (372 in escrow)
    mission = published()
    claim_id = reported(alice, mission)
    revenue, vat = _revenue(), _vat()
    # when acme approves with a rating
    response = api_as(acme).post(f"/claims/{claim_id}/approve", {"rating": 4, "comment": "Nice"})
    # then alice gets the reward, revenue the fee, VAT the VAT; the escrow is empty
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["rating"]) == ("approved", 4)
    assert balance(alice) == 300
    assert _revenue() - revenue == 60
    assert _vat() - vat == 12
    assert _escrow(mission) == 0
    assert balance(acme) == 100_00 - 372
    # and every place being done, the mission is closed
    assert Mission.objects.get(pk=mission.pk).state == MissionState.CLOSED
    history = [(h["from_state"], h["to_state"]) for h in response.json()["history"]]
    assert history == [("", "active"), ("active", "submitted"), ("submitted", "approved")]
    assert Notice.objects.filter(user=alice, kind="claim_approved").exists()
    assert_books_right()


def test_hm14_approving_twice_credits_once(published, acme, alice):
    mission = published()
    claim_id = reported(alice, mission)
    client = api_as(acme)
    assert client.post(f"/claims/{claim_id}/approve", {"rating": 5}).status_code == 200
    second = client.post(f"/claims/{claim_id}/approve", {"rating": 5})
    assert second.status_code == 409
    assert balance(alice) == 300
    assert_books_right()


@pytest.mark.parametrize("rating", [0, 6, None])
def test_hm14_rating_is_1_to_5(published, acme, alice, rating):
    mission = published()
    claim_id = reported(alice, mission)
    response = api_as(acme).post(f"/claims/{claim_id}/approve", {"rating": rating})
    assert response.status_code == 422
    assert balance(alice) == 0


def test_hm14_an_active_claim_cannot_be_approved(published, acme, alice):
    mission = published()
    claim_id = claim(alice, mission).json()["id"]
    assert api_as(acme).post(f"/claims/{claim_id}/approve", {"rating": 5}).status_code == 409
    assert balance(alice) == 0


def test_hm14_rejection_returns_the_place_with_its_money(published, acme, alice, bob):
    mission = published()
    claim_id = reported(alice, mission)
    response = api_as(acme).post(
        f"/claims/{claim_id}/reject", {"reason_code": "wrong_location", "reason": "Wrong shop.", "rating": 1}
    )
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["rejection_reason"]) == ("rejected", "Wrong shop.")
    assert api_as(bob).get(f"/missions/{mission.pk}").json()["places_left"] == 1
    assert _escrow(mission) == 372
    assert balance(alice) == 0
    assert claim(bob, mission).status_code == 201
    assert_books_right()


def test_hm14_rejection_needs_a_reason(published, acme, alice):
    mission = published()
    claim_id = reported(alice, mission)
    assert (
        api_as(acme).post(f"/claims/{claim_id}/reject", {"reason_code": "incomplete", "reason": ""}).status_code == 422
    )
    assert Claim.objects.get(pk=claim_id).state == ClaimState.SUBMITTED


def test_hm14_unreviewed_report_is_approved_after_3_days(published, acme, alice, time_machine):
    mission = published()
    claim_id = reported(alice, mission)
    time_machine.move_to(timezone.now() + timedelta(days=2, hours=23))
    call_command("tick")
    assert Claim.objects.get(pk=claim_id).state == ClaimState.SUBMITTED
    time_machine.move_to(timezone.now() + timedelta(hours=1, seconds=1))
    call_command("tick")
    found = api_as(alice).get(f"/claims/{claim_id}").json()
    assert (found["state"], found["auto_approved"]) == ("approved", True)
    assert balance(alice) == 300
    assert _escrow(mission) == 0
    # a second tick pays nothing more
    call_command("tick")
    assert balance(alice) == 300
    assert_books_right()


# --- HM15: disputes ----------------------------------------------------------------------


def test_hm15_dispute_within_7_days(published, acme, alice, time_machine):
    mission = published()
    claim_id = rejected(acme, alice, mission)
    time_machine.move_to(timezone.now() + timedelta(days=6, hours=23))
    response = api_as(alice).post(f"/claims/{claim_id}/dispute", {"reason": "The photo is fine."})
    assert response.status_code == 200
    assert response.json()["state"] == "disputed"


def test_hm15_dispute_after_7_days_is_refused(published, acme, alice, time_machine):
    mission = published()
    claim_id = rejected(acme, alice, mission)
    time_machine.move_to(timezone.now() + timedelta(days=7, minutes=1))
    response = api_as(alice).post(f"/claims/{claim_id}/dispute", {"reason": "The photo is fine."})
    assert (response.status_code, response.json()["code"]) == (409, "dispute_window_closed")
    assert Claim.objects.get(pk=claim_id).state == ClaimState.REJECTED


def test_hm15_only_a_rejection_can_be_disputed(published, acme, alice):
    mission = published()
    claim_id = reported(alice, mission)
    response = api_as(alice).post(f"/claims/{claim_id}/dispute", {"reason": "Hurry up."})
    assert response.status_code == 409


def test_hm15_settlement_charges_the_company_with_fee_and_vat(published, acme, alice, staff):
    # given a disputed rejection; the rejected place is back in the pool, funded
    mission = published()
    claim_id = disputed(acme, alice, mission)
    company_before, revenue, vat = balance(acme), _revenue(), _vat()
    # when staff settle for 150 cents
    response = api_as(staff).post(f"/claims/{claim_id}/settle", {"tasker_paid_cents": 150})
    # then alice gets 150, and acme pays 150 + 30 fee + 6 VAT
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["settled_cents"]) == ("settled", 150)
    assert balance(alice) == 150
    assert company_before - balance(acme) == 186
    assert (_revenue() - revenue, _vat() - vat) == (30, 6)
    # the place's own money is untouched in escrow
    assert _escrow(mission) == 372
    history = [h["to_state"] for h in response.json()["history"]]
    assert history == ["active", "submitted", "rejected", "disputed", "settled"]
    assert_books_right()


def test_hm15_settlement_for_the_company_pays_nothing(published, acme, alice, staff):
    mission = published()
    claim_id = disputed(acme, alice, mission)
    before = balance(acme)
    response = api_as(staff).post(f"/claims/{claim_id}/settle", {"tasker_paid_cents": 0})
    assert response.json()["state"] == "settled"
    assert (balance(alice), balance(acme)) == (0, before)
    assert_books_right()


def test_hm15_settlement_is_at_most_the_reward(published, acme, alice, staff):
    mission = published()
    claim_id = disputed(acme, alice, mission)
    response = api_as(staff).post(f"/claims/{claim_id}/settle", {"tasker_paid_cents": 301})
    assert response.status_code == 422
    assert Claim.objects.get(pk=claim_id).state == ClaimState.DISPUTED
    assert api_as(staff).post(f"/claims/{claim_id}/settle", {"tasker_paid_cents": -1}).status_code == 422
    assert balance(alice) == 0


def test_hm15_only_staff_settle_and_only_once(published, acme, alice, staff):
    mission = published()
    claim_id = disputed(acme, alice, mission)
    assert api_as(acme).post(f"/claims/{claim_id}/settle", {"tasker_paid_cents": 0}).status_code == 403
    assert api_as(alice).post(f"/claims/{claim_id}/settle", {"tasker_paid_cents": 300}).status_code == 403
    assert api_as(staff).post(f"/claims/{claim_id}/settle", {"tasker_paid_cents": 300}).status_code == 200
    assert api_as(staff).post(f"/claims/{claim_id}/settle", {"tasker_paid_cents": 300}).status_code == 409
    assert balance(alice) == 300
    assert_books_right()


def test_hm15_settlement_may_take_the_company_below_zero_and_then_it_cannot_submit(staff, alice):
    # given a company that spent its whole balance on one place
    poor = make_company("poor@example.fr", balance_cents=372)
    mission = make_mission(poor)
    api_as(poor).post(f"/missions/{mission.pk}/submit")
    api_as(staff).post(f"/missions/{mission.pk}/publish")
    assert balance(poor) == 0
    claim_id = disputed(poor, alice, mission)
    # when staff settle in full for the tasker
    response = api_as(staff).post(f"/claims/{claim_id}/settle", {"tasker_paid_cents": 300})
    # then the company is charged anyway and goes below zero
    assert response.status_code == 200
    assert balance(poor) == -372
    assert balance(alice) == 300
    assert_books_right()
    # and it cannot submit a new mission until it tops up
    cheap = make_mission(poor, reward_cents=201)
    refused = api_as(poor).post(f"/missions/{cheap.pk}/submit")
    assert (refused.status_code, refused.json()["code"]) == (409, "insufficient_funds")
    assert balance(poor) == -372


# --- HM15b: withdraw and end date ------------------------------------------------------------


def test_hm15b_withdraw_refunds_only_unclaimed_places(published, acme, alice):
    # given 3 places (3 x 372 reserved), one held by alice
    mission = published(places=3)
    claim_id = claim(alice, mission).json()["id"]
    # when acme withdraws
    response = api_as(acme).post(f"/missions/{mission.pk}/withdraw")
    # then the two free places are refunded; alice's place stays funded
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["places_left"]) == ("closed", 0)
    assert balance(acme) == 100_00 - 372
    assert _escrow(mission) == 372
    assert_books_right()
    # when alice releases her place, it is refunded too
    api_as(alice).post(f"/claims/{claim_id}/release")
    assert balance(acme) == 100_00
    assert _escrow(mission) == 0
    assert_books_right()


def test_hm15b_a_claim_kept_after_withdrawal_is_still_paid(published, acme, alice):
    mission = published(places=2)
    claim_id = claim(alice, mission).json()["id"]
    api_as(acme).post(f"/missions/{mission.pk}/withdraw")
    api_as(alice).post(f"/claims/{claim_id}/report", REPORT)
    assert api_as(acme).post(f"/claims/{claim_id}/approve", {"rating": 5}).status_code == 200
    assert balance(alice) == 300
    assert balance(acme) == 100_00 - 372
    assert _escrow(mission) == 0
    assert_books_right()


def test_hm15b_a_rejection_after_withdrawal_refunds_the_place(published, acme, alice):
    mission = published(places=2)
    claim_id = claim(alice, mission).json()["id"]
    api_as(acme).post(f"/missions/{mission.pk}/withdraw")
    api_as(alice).post(f"/claims/{claim_id}/report", REPORT)
    api_as(acme).post(f"/claims/{claim_id}/reject", {"reason_code": "wrong_location", "reason": "Wrong shop."})
    assert balance(acme) == 100_00
    assert _escrow(mission) == 0
    assert_books_right()


def test_hm15b_a_lapse_after_withdrawal_refunds_the_place(published, acme, alice, time_machine):
    mission = published(places=2)
    claim(alice, mission)
    api_as(acme).post(f"/missions/{mission.pk}/withdraw")
    time_machine.move_to(timezone.now() + timedelta(hours=49))
    call_command("tick")
    assert balance(acme) == 100_00
    assert _escrow(mission) == 0
    assert_books_right()


def test_hm15b_withdrawing_a_mission_pending_review_refunds_everything(acme):
    mission = make_mission(acme, places=4)
    api_as(acme).post(f"/missions/{mission.pk}/submit")
    response = api_as(acme).post(f"/missions/{mission.pk}/withdraw")
    assert response.json()["state"] == "closed"
    assert balance(acme) == 100_00
    assert_books_right()


def test_hm15b_withdrawing_twice_is_a_wrong_state(published, acme):
    mission = published(places=2)
    assert api_as(acme).post(f"/missions/{mission.pk}/withdraw").status_code == 200
    again = api_as(acme).post(f"/missions/{mission.pk}/withdraw")
    assert again.status_code == 409
    assert balance(acme) == 100_00
    assert_books_right()


def test_hm15b_end_date_expires_the_mission_and_refunds_free_places(published, acme, alice, time_machine):
    # given 3 places ending in a day, one held by alice
    mission = published(places=3, ends_at=timezone.now() + timedelta(days=1))
    claim_id = claim(alice, mission).json()["id"]
    # when the end date passes and tick runs
    time_machine.move_to(timezone.now() + timedelta(days=1, minutes=1))
    call_command("tick")
    # then the mission is expired, the two free places refunded, alice's still funded
    assert Mission.objects.get(pk=mission.pk).state == MissionState.EXPIRED
    assert balance(acme) == 100_00 - 372
    assert _escrow(mission) == 372
    # and alice can still report within her 48 hours, and be paid
    api_as(alice).post(f"/claims/{claim_id}/report", REPORT)
    assert api_as(acme).post(f"/claims/{claim_id}/approve", {"rating": 5}).status_code == 200
    assert balance(alice) == 300
    assert _escrow(mission) == 0
    assert_books_right()


def test_claim_list_mission_filter_too_long_is_refused(published, acme):
    published()
    response = api_as(acme).get("/claims", mission_id="9" * 19)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "mission_id"


def test_hm13_nul_characters_in_a_report_are_refused(published, alice):
    mission = published()
    claim_id = claim(alice, mission).json()["id"]
    response = api_as(alice).post(f"/claims/{claim_id}/report", {"answers": {}, "text": ACCOUNT + "\x00"})
    assert response.status_code == 422
    assert Claim.objects.get(pk=claim_id).state == ClaimState.ACTIVE


@pytest.mark.parametrize("raw", ["\u00b2", "\u0661\u0662", "\uff11\uff12"])
def test_ids_in_digits_other_than_ascii_are_not_found_not_a_server_error(published, acme, raw):
    # given a mission and a claim on it
    mission = published()
    # when an id is written in superscript, Arabic-Indic or full-width digits
    api = api_as(acme)
    # then it is unknown (404) or refused as a filter (422), never a server error
    assert_problem(api.get(f"/missions/{raw}"), 404, "not_found")
    assert_problem(api.get(f"/claims/{raw}"), 404, "not_found")
    assert_problem(api.post(f"/missions/{raw}/withdraw"), 404, "not_found")
    problem = assert_problem(api.get("/claims", mission_id=raw), 422, "invalid")
    assert error_fields(problem) == {"mission_id"}
    assert Mission.objects.get(pk=mission.pk).state == MissionState.PUBLISHED


@pytest.mark.parametrize("value", [[1], {"a": "b"}, "DEEP"])
def test_hm13_an_answer_is_one_value_not_a_list_or_an_object(published, alice, value):
    # given an active claim
    mission = published()
    claim_id = claim(alice, mission).json()["id"]
    # when an answer is a list, an object, or a list nested 500 deep
    answer = json.loads("[" * 500 + "]" * 500) if value == "DEEP" else value
    response = api_as(alice).post(f"/claims/{claim_id}/report", {"answers": {"q": answer}})
    # then it is refused as input, never a server error, and the claim stays active
    problem = assert_problem(response, 422, "invalid")
    assert any(field.startswith("answers") for field in error_fields(problem))
    assert Claim.objects.get(pk=claim_id).state == ClaimState.ACTIVE


def test_hm12_a_full_mission_refuses_in_the_locked_order(published, alice):
    # given a one-place mission alice holds, and carol at her limit of places (HM05)
    mission = published(places=1)
    carol = make_tasker("carol@example.fr", "+33655555555")
    dave = make_tasker("dave@example.fr", "+33655555556")
    assert claim(alice, mission).status_code == 201
    for n in range(services.MAX_ACTIVE_CLAIMS):
        assert claim(carol, published(places=1, title=f"Held {n}")).status_code == 201
    # when each tries the full mission: the answers the locked path gives, in its order
    assert claim(alice, mission).json()["code"] == "already_claimed"
    assert claim(carol, mission).json()["code"] == "claim_limit_reached"
    assert claim(dave, mission).json()["code"] == "mission_full"
    # and a copy of the row read before a release does not refuse a place now free
    stale = Mission.objects.get(pk=mission.pk)
    assert stale.places_free == 0
    services.claim_release(claim=Claim.objects.get(mission=mission, tasker=alice), by=alice)
    assert services.claim_create(mission=stale, tasker=dave).state == ClaimState.ACTIVE
