"""Quality filters per mission (issue 15, item 5): a company may ask for a
minimum approval rate and a minimum number of approved reports; new taskers
are welcome by default; a tasker sees why a mission is not open to them, and
the list hides what they cannot take, in the list's one query (MW01)."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from microwork.api.tests.helpers import assert_problem, error_fields
from microwork.ledger.payments import topup_create
from microwork.missions import selectors, services
from microwork.missions.models import Claim, Mission
from microwork.testing import ACCOUNT, MISSION, api_as, english, make_published, signed_in

from .conftest import assert_books_right

pytestmark = pytest.mark.django_db


def _record(company: Any, staff: Any, tasker: Any, *, approved: int = 0, rejected: int = 0) -> None:
    """Give `tasker` a record: reports approved and rejected, one mission each."""
    for n in range(approved + rejected):
        mission = make_published(company, staff, title=f"Past {tasker.pk}-{n}")
        claim = services.claim_create(mission=mission, tasker=tasker)
        services.claim_report(claim=claim, by=tasker, answers={}, text=ACCOUNT)
        if n < approved:
            services.claim_approve(claim=claim, by=company, rating=5)
        else:
            services.claim_reject(claim=claim, by=company, reason_code="poor_quality", reason="Blurred.")


def _listed(tasker: Any) -> set[str]:
    return {item["title"] for item in api_as(tasker).get("/missions", limit=100).json()["items"]}


# --- Set by the company: API, form, CSV -------------------------------------------


def test_mw01_quality_new_taskers_welcome_by_default(acme, staff, alice):
    # a mission posted without filters
    created = api_as(acme).post("/missions", MISSION).json()
    assert created["min_approval_rate"] == 0 and created["min_approved_reports"] == 0
    mission = Mission.objects.get(pk=created["id"])
    services.mission_submit(mission=mission, by=acme)
    services.mission_publish(mission=mission, by=staff)
    # is listed to, and taken by, a tasker who has never sent a report
    assert MISSION["title"] in _listed(alice)
    assert api_as(alice).post(f"/missions/{mission.pk}/claims").status_code == 201


def test_mw01_quality_filters_set_on_the_api_and_refused_when_wrong(acme):
    company = api_as(acme)
    for bad in ({"min_approval_rate": 1.5}, {"min_approval_rate": -0.1}, {"min_approval_rate": 0.955}):
        answer = company.post("/missions", {**MISSION, **bad})
        assert_problem(answer, 422, "invalid")
        assert "min_approval_rate" in error_fields(answer.json())
    for bad_count in (-1, services.MAX_MIN_APPROVED_REPORTS + 1):
        answer = company.post("/missions", {**MISSION, "min_approved_reports": bad_count})
        assert_problem(answer, 422, "invalid")
        assert "min_approved_reports" in error_fields(answer.json())
    assert not Mission.objects.exists()
    # a whole percentage from 0 to 1, and a count
    created = company.post("/missions", {**MISSION, "min_approval_rate": 0.95, "min_approved_reports": 10})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["min_approval_rate"], body["min_approved_reports"]) == (0.95, 10)
    mission = Mission.objects.get(pk=body["id"])
    assert (mission.min_approval_percent, mission.min_approved_reports) == (95, 10)
    assert company.get(f"/missions/{mission.pk}").json()["min_approval_rate"] == 0.95


def test_mw01_quality_filters_in_the_csv_batch(acme):
    header = "title,category,instructions,estimated_minutes,reward_cents,places,"
    header += "min_approval_rate,min_approved_reports\n"
    row = "Shelf {n},photo,Take one clear photo of the biscuit shelf at the entrance.,10,300,2,{rate},{count}\n"
    good = row.format(n=1, rate="0.9", count="5") + row.format(n=2, rate="", count="")
    upload = SimpleUploadedFile("missions.csv", (header + good).encode(), content_type="text/csv")
    answer = api_as(acme).upload("/missions/batch", {"file": upload})
    assert answer.status_code == 201, answer.json()
    first, second = (Mission.objects.get(pk=pk) for pk in answer.json()["ids"])
    assert (first.min_approval_percent, first.min_approved_reports) == (90, 5)
    assert second.welcomes_new_taskers
    # a bad filter names its row, and nothing is created
    bad = row.format(n=3, rate="95", count="1") + row.format(n=4, rate="0.5", count="many")
    upload = SimpleUploadedFile("missions.csv", (header + bad).encode(), content_type="text/csv")
    answer = api_as(acme).upload("/missions/batch", {"file": upload})
    assert_problem(answer, 422, "invalid")
    assert [e["field"] for e in answer.json()["errors"]] == ["row 1: min_approval_rate", "row 2: min_approved_reports"]
    assert Mission.objects.count() == 2


def test_mw01_quality_filters_on_the_company_form(client, acme):
    from .test_pages import mission_post

    signed_in(client, acme)
    page = client.get(reverse("missions:create")).content.decode()
    assert 'data-testid="quality-filters"' in page and 'name="min_approval_percent"' in page
    # out of range: a form error, nothing saved
    response = client.post(reverse("missions:create"), mission_post(min_approval_percent="120"))
    assert response.status_code == 400
    assert response.context["form"].errors["min_approval_percent"]
    assert not Mission.objects.exists()
    response = client.post(
        reverse("missions:create"), mission_post(min_approval_percent="90", min_approved_reports="3")
    )
    mission = Mission.objects.get()
    assert response.status_code == 302
    assert (mission.min_approval_percent, mission.min_approved_reports) == (90, 3)
    page = english(client).get(reverse("missions:company_mission", args=[mission.pk])).content.decode()
    assert "at least 90" in page and "at least 3 approved reports" in page
    # the edit form shows them, and saves a change
    page = client.get(reverse("missions:edit", args=[mission.pk])).content.decode()
    assert 'name="min_approval_percent" value="90"' in page
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    client.post(reverse("missions:edit", args=[mission.pk]), mission_post(min_approval_percent="0"))
    mission.refresh_from_db()
    assert (mission.min_approval_percent, mission.min_approved_reports) == (0, 0)


# --- A tasker's record, the list and the claim ----------------------------------


def test_mw01_quality_record_counts_approvals_and_overturned_rejections(acme, staff, alice):
    assert selectors.tasker_record(alice.pk) == selectors.TaskerRecord(approved_reports=0, reviewed_reports=0)
    assert selectors.tasker_record(alice.pk).approval_rate is None
    _record(acme, staff, alice, approved=1, rejected=2)
    record = selectors.tasker_record(alice.pk)
    assert (record.approved_reports, record.reviewed_reports, record.approval_percent) == (1, 3, 33)
    # a rejection staff overturn with pay counts as approved (HM15)
    claim = Claim.objects.filter(tasker=alice, state="rejected").first()
    services.claim_dispute(claim=claim, by=alice, reason="The shelf is sharp.")
    services.claim_settle(claim=claim, by=staff, tasker_paid_cents=300)
    record = selectors.tasker_record(alice.pk)
    assert (record.approved_reports, record.reviewed_reports, record.approval_rate) == (2, 3, 0.667)


def test_mw01_quality_list_hides_and_claim_refuses_what_the_tasker_cannot_take(acme, staff, alice, bob):
    topup_create(user=acme, amount_cents=300_00)
    # alice: 2 approved out of 3 reviewed (66 %); bob: no record at all
    _record(acme, staff, alice, approved=2, rejected=1)
    open_to_all = make_published(acme, staff, title="Anyone")
    rate_80 = make_published(acme, staff, title="Rate 80", min_approval_percent=80)
    rate_60_two = make_published(acme, staff, title="Rate 60, two", min_approval_percent=60, min_approved_reports=2)
    three = make_published(acme, staff, title="Three approved", min_approved_reports=3)
    ours = {m.title for m in (open_to_all, rate_80, rate_60_two, three)}
    # the list shows each what their record passes (a tasker without reviews has rejected nothing)
    assert _listed(alice) & ours == {"Anyone", "Rate 60, two"}
    assert _listed(bob) & ours == {"Anyone", "Rate 80"}
    assert selectors.tasker_qualifies(rate_60_two, selectors.tasker_record(alice.pk))
    # a mission hidden from her is still readable, and says who may take it
    detail = api_as(alice).get(f"/missions/{three.pk}").json()
    assert (detail["min_approval_rate"], detail["min_approved_reports"]) == (0.0, 3)
    # taking it is refused with her figures, and nothing changes
    answer = api_as(alice).post(f"/missions/{rate_80.pk}/claims")
    body = assert_problem(answer, 403, "not_qualified")
    assert "80" in body["detail"] and "66" in body["detail"]
    answer = api_as(bob).post(f"/missions/{three.pk}/claims")
    assert_problem(answer, 403, "not_qualified")
    assert not Claim.objects.filter(mission__in=[rate_80, three]).exists()
    assert Mission.objects.get(pk=rate_80.pk).places_free == 1
    # what she qualifies for, she takes
    assert api_as(alice).post(f"/missions/{rate_60_two.pk}/claims").status_code == 201
    assert_books_right()


def test_mw01_quality_list_stays_one_query_whatever_the_page(acme, staff, alice, django_assert_num_queries):
    # given alice's record, and missions with and without filters
    topup_create(user=acme, amount_cents=400_00)
    _record(acme, staff, alice, approved=1, rejected=1)
    for n in range(4):
        make_published(acme, staff, title=f"Small {n}", min_approval_percent=40 if n % 2 else 0)
    client = api_as(alice)
    # the token, then one query for the page: the record is read inside it
    with django_assert_num_queries(2):
        small = client.get("/missions", limit=50).json()["items"]
    browser = signed_in(Client(), alice)
    browser.get(reverse("missions:list"))  # a first visit writes what a session writes once
    with CaptureQueriesContext(connection) as html_small:
        browser.get(reverse("missions:list"))
    # when there are many more, some hidden from her
    for n in range(30):
        make_published(acme, staff, title=f"Big {n}", min_approval_percent=[0, 40, 90][n % 3])
    with django_assert_num_queries(2):
        items = client.get("/missions", limit=50).json()["items"]
    assert len(items) == len(small) + 20
    assert not {item["title"] for item in items} & {f"Big {n}" for n in range(2, 30, 3)}
    with django_assert_num_queries(len(html_small.captured_queries)):
        browser.get(reverse("missions:list"))


def test_mw01_quality_mission_page_tells_the_tasker_why(client, acme, staff, alice):
    topup_create(user=acme, amount_cents=100_00)
    _record(acme, staff, alice, approved=1, rejected=1)
    mission = make_published(acme, staff, title="Experts only", min_approval_percent=90, min_approved_reports=5)
    signed_in(client, alice)
    english(client)
    page = client.get(reverse("missions:detail", args=[mission.pk])).content.decode()
    refusal = page.split('data-testid="claim-refusal"')[1].split("</p>")[0]
    assert "at least 90" in refusal and "5 approved reports" in refusal
    assert "you have 50" in refusal and "1 approved report" in refusal
    assert "disabled" in page.split('data-testid="claim-refusal"')[1]
    # the list does not offer it
    assert "Experts only" not in client.get(reverse("missions:list")).content.decode()
    # posting anyway is refused with the same words, and nothing is taken
    response = client.post(reverse("missions:claim", args=[mission.pk]))
    assert response.status_code == 400
    assert "you have 50" in response.content.decode()
    assert not Claim.objects.filter(mission=mission).exists()
    # a visitor sees the mission and who may take it
    client.logout()
    english(client)
    page = client.get(reverse("missions:detail", args=[mission.pk])).content.decode()
    assert 'data-testid="quality-filters"' in page and "at least 5 approved reports" in page
