"""HM13: a report is never empty. It answers every required question, and a
mission without questions gets at least a written account; so nothing is
approved, by hand or after 3 days, for a report that says nothing."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from microwork.api.tests.helpers import assert_problem, error_fields
from microwork.ledger.models import Entry
from microwork.missions import services
from microwork.missions.models import Claim, ClaimState, ClaimTransition, Mission
from microwork.notifications.models import Notice
from microwork.testing import ACCOUNT, api_as, signed_in

from .conftest import balance, photo_upload

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"key": "shop", "label": "Which shop?", "kind": "short_text"},
    {"key": "shelf", "label": "Photo of the shelf", "kind": "photo"},
    {"key": "note", "label": "Anything to add?", "kind": "long_text", "required": False},
]
OPTIONAL_ONLY = [
    {"key": "note", "label": "Anything to add?", "kind": "long_text", "required": False},
    {"key": "extra", "label": "Another photo", "kind": "photo", "required": False},
]


def _claimed(tasker: Any, mission: Mission) -> str:
    response = api_as(tasker).post(f"/missions/{mission.pk}/claims")
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def _attach(tasker: Any, claim_id: str, question: str) -> None:
    response = api_as(tasker).upload(f"/claims/{claim_id}/report/files", {"question": question, "file": photo_upload()})
    assert response.status_code == 201, response.json()


def _report(tasker: Any, claim_id: str, body: dict[str, Any]) -> Any:
    return api_as(tasker).post(f"/claims/{claim_id}/report", body)


def _untouched(claim_id: str, company: Any) -> None:
    """A refused report leaves the claim as it was and alerts nobody."""
    claim = Claim.objects.get(pk=claim_id)
    assert claim.state == ClaimState.ACTIVE
    assert claim.submitted_at is None and claim.answers == {} and claim.text == "" and claim.links == []
    assert list(ClaimTransition.objects.filter(claim=claim).values_list("to_state", flat=True)) == ["active"]
    assert not Notice.objects.filter(user=company, kind="report_submitted").exists()


# --- Through the API ---------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"answers": {}},
        {"answers": {}, "text": ""},
        {"answers": {}, "text": None},
        # links alone are not a written account
        {"answers": {}, "links": ["https://example.fr/photo"]},
    ],
)
def test_hm13_an_empty_report_is_refused_naming_the_text(published, acme, alice, body):
    # given alice's claim on a mission that asks no questions
    claim_id = _claimed(alice, published())
    # when she sends a report without a written account
    response = _report(alice, claim_id, body)
    # then it is refused on the text, saying how much to write, and nothing changes
    problem = assert_problem(response, 422, "invalid")
    assert error_fields(problem) == {"text"}
    assert str(services.ACCOUNT_MIN_CHARS) in problem["errors"][0]["message"]
    _untouched(claim_id, acme)


@pytest.mark.parametrize("text", ["   ", "\n\t \u00a0\n", "Done.", "ok        ok", "a\n\n\n\n\n\n\n\n\nb"])
def test_hm13_a_blank_or_one_word_account_is_refused(published, acme, alice, text):
    claim_id = _claimed(alice, published())
    response = _report(alice, claim_id, {"answers": {}, "text": text})
    problem = assert_problem(response, 422, "invalid")
    assert error_fields(problem) == {"text"}
    _untouched(claim_id, acme)


def test_hm13_a_written_account_of_the_minimum_length_is_a_report(published, acme, alice):
    # given alice's claim on a mission without questions
    claim_id = _claimed(alice, published())
    # when her account is exactly as long as the minimum, once its spaces are trimmed
    account = "Shelf done"
    assert len(account) == services.ACCOUNT_MIN_CHARS
    response = _report(alice, claim_id, {"text": f"  {account} \n"})
    # then the report is submitted and the company alerted
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "submitted"
    assert Claim.objects.get(pk=claim_id).text == account
    assert Notice.objects.filter(user=acme, kind="report_submitted").count() == 1


@pytest.mark.parametrize(
    ("answers", "field"),
    [({}, "answers.shop"), ({"shop": ""}, "answers.shop"), ({"shop": "   "}, "answers.shop")],
)
def test_hm13_a_missing_required_answer_is_refused(published, acme, alice, answers, field):
    # given alice's claim with the photo already sent
    claim_id = _claimed(alice, published(questions=QUESTIONS))
    _attach(alice, claim_id, "shelf")
    # when the required text answer is missing or blank, however long the comments
    response = _report(alice, claim_id, {"answers": answers, "text": ACCOUNT})
    # then the report is refused on that question
    problem = assert_problem(response, 422, "invalid")
    assert error_fields(problem) == {field}
    _untouched(claim_id, acme)


def test_hm13_a_required_photo_without_its_file_is_refused(published, acme, alice):
    # given alice's claim; she answers the text question but sends no photo through /report/files
    claim_id = _claimed(alice, published(questions=QUESTIONS))
    response = _report(alice, claim_id, {"answers": {"shop": "Monoprix Bastille"}, "text": ACCOUNT})
    # then the report is refused on the photo question
    problem = assert_problem(response, 422, "invalid")
    assert error_fields(problem) == {"answers.shelf"}
    _untouched(claim_id, acme)
    # and once the photo is sent, the same report goes through
    _attach(alice, claim_id, "shelf")
    response = _report(alice, claim_id, {"answers": {"shop": "Monoprix Bastille"}})
    assert response.status_code == 200, response.json()


def test_hm13_required_answers_alone_are_a_report(published, alice):
    # given a mission with questions, the required ones answered and nothing else
    claim_id = _claimed(alice, published(questions=QUESTIONS))
    _attach(alice, claim_id, "shelf")
    response = _report(alice, claim_id, {"answers": {"shop": "Monoprix"}})
    # then no written account is asked for
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "submitted"


def test_hm13_only_optional_questions_left_blank_need_a_written_account(published, acme, alice, bob):
    # given a mission whose questions are all optional
    mission = published(questions=OPTIONAL_ONLY, places=3)
    # when alice answers none of them and writes nothing
    claim_id = _claimed(alice, mission)
    response = _report(alice, claim_id, {"answers": {"note": "  "}, "text": "Done"})
    # then the report is empty and refused on the text
    problem = assert_problem(response, 422, "invalid")
    assert error_fields(problem) == {"text"}
    _untouched(claim_id, acme)
    # while one answer, one optional photo or a written account each make it a report
    assert _report(alice, claim_id, {"answers": {"note": "Half empty"}}).status_code == 200
    bob_claim = _claimed(bob, mission)
    _attach(bob, bob_claim, "extra")
    assert _report(bob, bob_claim, {}).status_code == 200


def test_hm13_a_claim_past_its_deadline_still_says_claim_lapsed(published, alice, time_machine):
    # the deadline comes first: an empty report after 48 hours is told the claim lapsed
    claim_id = _claimed(alice, published())
    time_machine.move_to(timezone.now() + timedelta(hours=48, minutes=1))
    assert_problem(_report(alice, claim_id, {}), 409, "claim_lapsed")


# --- No payment for nothing (HM13, HM14) --------------------------------------------


def test_hm13_an_empty_report_can_never_be_approved_automatically(published, acme, alice, time_machine):
    # given alice's claim on a one-place mission, and an empty report refused
    mission = published()
    claim_id = _claimed(alice, mission)
    assert _report(alice, claim_id, {"answers": {}, "text": "  "}).status_code == 422
    # when more than 3 days go by and tick runs
    time_machine.move_to(timezone.now() + timedelta(days=3, hours=1))
    call_command("tick")
    # then nothing was ever submitted, so nothing was approved: the claim lapsed, alice is unpaid
    claim = Claim.objects.get(pk=claim_id)
    assert (claim.state, claim.auto_approved, claim.submitted_at) == (ClaimState.LAPSED, False, None)
    assert services.claims_auto_approve_due() == 0
    assert balance(alice) == 0
    assert not Entry.objects.filter(kind="claim_approve").exists()
    # and the place is back in the pool for someone who does the work
    assert Mission.objects.get(pk=mission.pk).places_free == 1


# --- Through the report page ---------------------------------------------------------


def _page(client: Any, user: Any) -> Any:
    signed_in(client, user)
    # English wording: what the page says must not depend on the translation catalogue
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def _text_field(page: str) -> str:
    """The block of the page's `text` field: its label, help and errors."""
    found = re.search(r'<div class="field[^"]*">(?:(?!<div class="field).)*?name="text".*?</div>', page, re.S)
    assert found, page
    return found.group(0)


def test_hm13_the_report_page_says_up_front_that_a_written_account_is_required(client, published, alice):
    claim = services.claim_create(mission=published(), tasker=alice)
    page = _page(client, alice).get(reverse("missions:report", args=[claim.pk])).content.decode()
    field = _text_field(page)
    assert "Your account of the mission" in field
    assert "(optional)" not in field
    assert f"at least {services.ACCOUNT_MIN_CHARS} characters" in field


def test_hm13_with_required_questions_the_comments_stay_optional(client, published, alice):
    claim = services.claim_create(mission=published(questions=QUESTIONS), tasker=alice)
    page = _page(client, alice).get(reverse("missions:report", args=[claim.pk])).content.decode()
    field = _text_field(page)
    assert "Comments" in field and "(optional)" in field


@pytest.mark.parametrize("text", ["", "   ", "Fait.", "ok        ok"])
def test_hm13_an_empty_report_on_the_page_shows_the_error_on_the_account(client, published, acme, alice, text):
    # given alice's claim on a mission without questions
    claim = services.claim_create(mission=published(), tasker=alice)
    # when she sends the form without a real account
    response = _page(client, alice).post(reverse("missions:report", args=[claim.pk]), {"text": text})
    # then the page shows the error on the account field, and nothing changes
    assert response.status_code == 400
    field = _text_field(response.content.decode())
    assert "has-error" in field
    assert f"at least {services.ACCOUNT_MIN_CHARS} characters" in re.findall(r'<p class="error">(.*?)</p>', field)[0]
    _untouched(str(claim.pk), acme)


def test_hm13_a_blank_required_answer_on_the_page_shows_the_error_on_its_question(client, published, acme, alice):
    claim = services.claim_create(mission=published(questions=QUESTIONS), tasker=alice)
    services.report_file_add(claim=claim, by=alice, question_key="shelf", upload=photo_upload())
    response = _page(client, alice).post(
        reverse("missions:report", args=[claim.pk]), {"q_shop": "   ", "text": ACCOUNT}
    )
    assert response.status_code == 400
    page = response.content.decode()
    shop = re.search(r'<div class="field has-error">(?:(?!<div class="field).)*?name="q_shop".*?</div>', page, re.S)
    assert shop, page
    _untouched(str(claim.pk), acme)


def test_hm13_a_written_account_on_the_page_sends_the_report(client, published, acme, alice):
    claim = services.claim_create(mission=published(), tasker=alice)
    response = _page(client, alice).post(reverse("missions:report", args=[claim.pk]), {"text": ACCOUNT})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.state, claim.text) == (ClaimState.SUBMITTED, ACCOUNT)


# --- The page sends its files with the report, all or nothing ---------------


def _stored_files(claim: Claim) -> list[str]:
    from django.core.files.storage import default_storage

    folder = f"reports/{claim.pk}"
    return default_storage.listdir(folder)[1] if default_storage.exists(folder) else []


def test_hm13_a_refused_report_on_the_page_leaves_no_file_behind(client, published, acme, alice):
    # given a claim whose report is refused (blank required answer) with its photo attached
    claim = services.claim_create(mission=published(questions=QUESTIONS), tasker=alice)
    response = _page(client, alice).post(
        reverse("missions:report", args=[claim.pk]), {"q_shop": "   ", "q_shelf": photo_upload(), "text": ACCOUNT}
    )
    assert response.status_code == 400
    # then neither the file's record nor its stored copy is kept
    assert not claim.files.exists()
    assert _stored_files(claim) == []
    _untouched(str(claim.pk), acme)


def test_hm13_a_report_on_the_page_keeps_its_photo_with_it(client, published, acme, alice):
    claim = services.claim_create(mission=published(questions=QUESTIONS), tasker=alice)
    response = _page(client, alice).post(
        reverse("missions:report", args=[claim.pk]), {"q_shop": "Monoprix", "q_shelf": photo_upload()}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED
    assert list(claim.files.values_list("question_key", flat=True)) == ["shelf"]
    assert len(_stored_files(claim)) == 1 + sum(bool(f.original) for f in claim.files.all())


def test_hm13_a_refused_file_is_named_by_its_question_and_nothing_is_stored(published, acme, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    claim = services.claim_create(mission=published(questions=QUESTIONS), tasker=alice)
    junk = SimpleUploadedFile("shelf.png", b"not an image", content_type="image/png")
    with pytest.raises(services.ReportFileInvalid) as refused:
        services.claim_report(
            claim=claim, by=alice, answers={"shop": "Monoprix"}, files=[("shelf", junk)], text=ACCOUNT
        )
    assert refused.value.question_key == "shelf"
    assert not claim.files.exists()
    assert _stored_files(claim) == []
    _untouched(str(claim.pk), acme)
