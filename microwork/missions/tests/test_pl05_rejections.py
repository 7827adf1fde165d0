"""PL05: rejections are accountable: a reason from a list and in writing, each
company's record shown to taskers, and a company whose rejections staff often
overturn has its new rejections checked by staff."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from microwork.api.tests.helpers import assert_problem, error_fields
from microwork.missions import selectors
from microwork.missions.models import Claim, ClaimState
from microwork.testing import ACCOUNT, api_as, make_tasker, signed_in

from .conftest import assert_books_right

pytestmark = pytest.mark.django_db

REPORT = {"answers": {}, "text": ACCOUNT}


def _reported(tasker, mission) -> str:
    client = api_as(tasker)
    claim_id = client.post(f"/missions/{mission.pk}/claims").json()["id"]
    assert client.post(f"/claims/{claim_id}/report", REPORT).status_code == 200
    return claim_id


def _taskers(count: int) -> list:
    return [make_tasker(f"t{i}@example.fr", f"+3361234{i:04d}") for i in range(count)]


def test_pl05_a_rejection_needs_a_reason_code_and_a_written_reason(acme, alice, published):
    mission = published()
    claim_id = _reported(alice, mission)
    company = api_as(acme)
    # both missing: both named
    answer = company.post(f"/claims/{claim_id}/reject", {})
    assert_problem(answer, 422, "invalid")
    assert {"reason_code", "reason"} <= error_fields(answer.json())
    # a code not in the list
    answer = company.post(f"/claims/{claim_id}/reject", {"reason_code": "ugly", "reason": "No."})
    assert_problem(answer, 422, "invalid")
    assert "reason_code" in error_fields(answer.json())
    # a code without words
    answer = company.post(f"/claims/{claim_id}/reject", {"reason_code": "incomplete", "reason": " "})
    assert_problem(answer, 422, "invalid")
    assert Claim.objects.get(pk=claim_id).state == ClaimState.SUBMITTED
    # both: rejected, the code kept and shown to the tasker
    answer = company.post(
        f"/claims/{claim_id}/reject", {"reason_code": "incomplete", "reason": "The back shelf is missing."}
    )
    assert answer.status_code == 200
    assert answer.json()["rejection_reason_code"] == "incomplete"
    seen = api_as(alice).get(f"/claims/{claim_id}").json()
    assert seen["rejection_reason_code"] == "incomplete" and seen["rejection_reason"] == "The back shelf is missing."
    assert_books_right()


def test_pl05_the_review_page_asks_for_the_reason_code(acme, alice, published, client):
    mission = published()
    claim = Claim.objects.get(pk=_reported(alice, mission))
    page = signed_in(client, acme)
    url = reverse("missions:reject", args=[claim.pk])
    answer = page.post(url, {f"r{claim.pk}-reason": "Blurred."})
    assert answer.status_code == 400
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED
    answer = page.post(url, {f"r{claim.pk}-reason_code": "poor_quality", f"r{claim.pk}-reason": "Blurred."})
    assert answer.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.REJECTED and claim.rejection_reason_code == "poor_quality"
    # the tasker reads the reason's label on their missions page
    html = signed_in(client, alice).get(reverse("missions:my_claims") + "?onglet=terminees").content.decode()
    assert "Qualité insuffisante" in html or "Poor quality" in html


def test_pl05_company_stats_null_before_any_record(acme, alice, published):
    mission = published()
    stats = api_as(alice).get(f"/missions/{mission.pk}").json()["company_stats"]
    assert stats == {"rejection_rate": None, "overturned_rate": None, "median_review_hours": None}
    assert api_as(alice).get(f"/missions/{mission.pk}").json()["hourly_rate_cents"] == 1800  # 300 cents for 10 min


def test_pl05_company_stats_show_rejections_overturns_and_review_time(acme, staff, published):
    mission = published(places=4)
    taskers = _taskers(4)
    start = timezone.now()
    ids = []
    with time_machine.travel(start, tick=False):
        ids = [_reported(tasker, mission) for tasker in taskers]
    company = api_as(acme)
    # reviewed 2 h and 4 h after the reports: 1 approved, 3 rejected
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        assert company.post(f"/claims/{ids[0]}/approve", {"rating": 5}).status_code == 200
        assert company.post(f"/claims/{ids[1]}/reject", {"reason_code": "other", "reason": "No."}).status_code == 200
    with time_machine.travel(start + timedelta(hours=4), tick=False):
        for claim_id in ids[2:]:
            answer = company.post(f"/claims/{claim_id}/reject", {"reason_code": "incomplete", "reason": "Half."})
            assert answer.status_code == 200
        # one rejection contested and overturned by staff, one contested and upheld
        for claim_id, paid in ((ids[2], 300), (ids[3], 0)):
            tasker = Claim.objects.get(pk=claim_id).tasker
            assert api_as(tasker).post(f"/claims/{claim_id}/dispute", {"reason": "Done."}).status_code == 200
            assert api_as(staff).post(f"/claims/{claim_id}/settle", {"tasker_paid_cents": paid}).status_code == 200
        stats = api_as(taskers[0]).get(f"/missions/{mission.pk}").json()["company_stats"]
    assert stats["rejection_rate"] == 0.75
    assert stats["overturned_rate"] == pytest.approx(1 / 3, abs=0.001)
    assert stats["median_review_hours"] == 3.0  # reviews after 2, 2, 4 and 4 hours
    assert_books_right()


def test_pl05_mission_page_shows_the_company_record(acme, alice, bob, published, client):
    mission = published(places=2)
    claim_id = _reported(bob, mission)
    html = signed_in(client, alice).get(reverse("missions:detail", args=[mission.pk])).content.decode()
    assert 'data-testid="company-record"' in html and 'data-testid="rejection-rate"' not in html
    api_as(acme).post(f"/claims/{claim_id}/reject", {"reason_code": "poor_quality", "reason": "Blurred."})
    html = signed_in(client, alice).get(reverse("missions:detail", args=[mission.pk])).content.decode()
    assert 'data-testid="rejection-rate">100' in html


def test_pl05_rejections_go_to_staff_when_often_overturned(acme, staff, published):
    mission = published(places=6)
    taskers = _taskers(6)
    company = api_as(acme)
    # four rejections, two of them overturned by staff: half overturned
    for tasker in taskers[:4]:
        claim_id = _reported(tasker, mission)
        assert company.post(f"/claims/{claim_id}/reject", {"reason_code": "other", "reason": "No."}).status_code == 200
    for claim in Claim.objects.filter(state=ClaimState.REJECTED)[:2]:
        api_as(claim.tasker).post(f"/claims/{claim.pk}/dispute", {"reason": "Done."})
        api_as(staff).post(f"/claims/{claim.pk}/settle", {"tasker_paid_cents": 300})
    assert selectors.company_rejections_under_review(acme.pk)
    # the next rejection stands only once staff have looked at it: it waits in their queue
    claim_id = _reported(taskers[4], mission)
    answer = company.post(f"/claims/{claim_id}/reject", {"reason_code": "other", "reason": "No."})
    assert answer.status_code == 200
    assert answer.json()["state"] == ClaimState.DISPUTED
    assert Claim.objects.get(pk=claim_id).dispute_reason
    assert_books_right()
