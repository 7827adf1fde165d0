"""Abuse reports (AC04) through the API and the pages, and staff's queue."""

import pytest
from django.urls import reverse

from microwork import testing
from microwork.moderation.models import AbuseReport, AbuseReportTransition, ReportState
from microwork.moderation.selectors import abuse_reports_filed_by
from microwork.moderation.services import REPORTS_PER_HOUR
from microwork.testing import api_as, signed_in

pytestmark = pytest.mark.usefixtures("books_stay_right")


def report(client, target_type, target_id, reason="fraud", **extra):
    return client.post(
        "/abuse-reports", {"target_type": target_type, "target_id": target_id, "reason": reason, **extra}
    )


# --- Each target, as someone who can see it ---------------------------------------


def test_ac04_a_tasker_reports_a_published_mission(alice, acme, mission):
    response = report(api_as(alice), "mission", str(mission.pk), "spam", details="Annonce publicitaire.")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["target_type"] == "mission" and body["target_id"] == str(mission.pk)
    assert body["reason"] == "spam" and body["details"] == "Annonce publicitaire." and body["state"] == "open"
    stored = AbuseReport.objects.get(pk=int(body["id"]))
    assert stored.reporter == alice and stored.subject == acme and stored.target_label == mission.title
    assert list(AbuseReportTransition.objects.filter(report=stored).values_list("from_state", "to_state")) == [
        ("", "open")
    ]


def test_ac04_anyone_signed_in_reports_a_live_offer(alice, expert, offer):
    response = report(api_as(alice), "offer", offer.pk, "inappropriate")
    assert response.status_code == 201, response.json()
    assert AbuseReport.objects.get().subject == expert


def test_ac04_the_buyer_reports_the_order_and_its_expert_is_the_subject(buyer, expert, order):
    response = report(api_as(buyer), "order", str(order.pk), "fraud")
    assert response.status_code == 201, response.json()
    assert AbuseReport.objects.get().subject == expert


def test_ac04_a_party_reports_a_message_of_the_other_party(buyer, expert, expert_message):
    response = report(api_as(buyer), "message", str(expert_message.pk), "off_platform_contact")
    assert response.status_code == 201, response.json()
    assert AbuseReport.objects.get().subject == expert


def test_ac04_a_public_expert_and_a_user_one_dealt_with_can_be_reported(alice, expert, buyer, order):
    # any signed-in user sees an approved expert's public page
    assert report(api_as(alice), "user", str(expert.pk), "fraud").status_code == 201
    # the expert dealt with the buyer, who has no public page
    assert report(api_as(expert), "user", str(buyer.pk), "other", details="Insultes répétées.").status_code == 201


# --- What one cannot see is not found -------------------------------------------------


def test_ac04_unseeable_or_unknown_targets_are_not_found(alice, bob, acme, staff, buyer, expert, order, expert_message):
    draft = testing.make_company("other@example.fr")
    from microwork.testing import make_mission

    unpublished = make_mission(acme)
    cases = [
        (api_as(alice), "mission", unpublished.pk),  # a draft is not published
        (api_as(draft), "mission", unpublished.pk),  # another company's mission
        (api_as(alice), "order", order.pk),  # not a party
        (api_as(alice), "message", expert_message.pk),  # not a party
        (api_as(alice), "user", buyer.pk),  # never dealt with, no public page
        (api_as(alice), "user", bob.pk),
        (api_as(alice), "mission", 999_999),
        (api_as(alice), "offer", 999_999),
        (api_as(alice), "user", "abc"),
        (api_as(alice), "order", "99999999999999999999999"),
    ]
    for client, target_type, target_id in cases:
        response = client.post("/abuse-reports", {"target_type": target_type, "target_id": target_id, "reason": "spam"})
        assert response.status_code == 404, (target_type, target_id, response.json())
        assert response.json()["code"] == "not_found"
    assert not AbuseReport.objects.exists()


def test_ac04_a_withdrawn_offer_is_not_found_but_to_its_expert(alice, expert, offer):
    from microwork.gigs.services import offer_withdraw

    offer_withdraw(offer=offer, by=expert)
    assert report(api_as(alice), "offer", offer.pk).status_code == 404


def test_ac04_bad_input_is_a_422(alice, mission):
    client = api_as(alice)
    assert report(client, "planet", mission.pk).status_code == 422
    assert report(client, "mission", mission.pk, reason="boring").status_code == 422
    # "other" needs a word of explanation
    response = report(client, "mission", mission.pk, reason="other")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "details"
    assert report(client, "mission", mission.pk, details="x" * 2001).status_code == 422
    assert (
        api_as(None).post("/abuse-reports", {"target_type": "mission", "target_id": 1, "reason": "spam"}).status_code
        == 401
    )
    assert not AbuseReport.objects.exists()


def test_ac04_one_cannot_report_oneself(acme, mission):
    response = report(api_as(acme), "mission", mission.pk)
    assert response.status_code == 422
    assert not AbuseReport.objects.exists()


def test_ac04_a_repeat_answers_the_open_report(alice, mission):
    client = api_as(alice)
    first = report(client, "mission", mission.pk, "spam")
    again = report(client, "mission", mission.pk, "fraud")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["reason"] == "spam"
    assert AbuseReport.objects.count() == 1


def test_ac04_reports_are_rate_limited_per_user(alice, bob, mission, offer):
    client = api_as(alice)
    for _ in range(REPORTS_PER_HOUR):
        assert report(client, "mission", mission.pk).status_code in (200, 201)
    response = report(client, "offer", offer.pk)
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_requests"
    # another user is not held back
    assert report(api_as(bob), "offer", offer.pk).status_code == 201


# --- Staff's queue ----------------------------------------------------------------------


def test_ac04_staff_see_open_reports_oldest_first_and_decide(alice, bob, staff, mission, offer):
    first = report(api_as(alice), "mission", mission.pk, "spam").json()
    second = report(api_as(bob), "offer", offer.pk, "fraud").json()
    staff_api = api_as(staff)
    page = staff_api.get("/staff/abuse-reports", state="open", limit=1).json()
    assert [item["id"] for item in page["items"]] == [first["id"]]
    assert page["items"][0]["reporter"]["email"] == alice.email
    assert page["items"][0]["target_label"] == mission.title
    rest = staff_api.get("/staff/abuse-reports", state="open", limit=1, cursor=page["next_cursor"]).json()
    assert [item["id"] for item in rest["items"]] == [second["id"]] and rest["next_cursor"] is None

    dismissed = staff_api.post(f"/staff/abuse-reports/{first['id']}/dismiss", {"note": "Rien d'anormal."})
    assert dismissed.status_code == 200 and dismissed.json()["state"] == "dismissed"
    actioned = staff_api.post(f"/staff/abuse-reports/{second['id']}/action", {"note": "Offre retirée."})
    assert actioned.status_code == 200 and actioned.json()["state"] == "actioned"
    # a decided report is decided once
    again = staff_api.post(f"/staff/abuse-reports/{first['id']}/action", {})
    assert again.status_code == 409 and again.json()["code"] == "wrong_state"
    assert staff_api.get("/staff/abuse-reports", state="open").json()["items"] == []
    assert [i["id"] for i in staff_api.get("/staff/abuse-reports", state="dismissed").json()["items"]] == [first["id"]]
    history = AbuseReportTransition.objects.filter(report_id=int(first["id"])).order_by("pk")
    assert [(h.to_state, h.by_id, h.reason) for h in history] == [
        ("open", alice.pk, ""),
        ("dismissed", staff.pk, "Rien d'anormal."),
    ]
    # a report closed, the reporter may report again
    assert report(api_as(alice), "mission", mission.pk, "spam").status_code == 201


def test_ac04_only_staff_reach_the_queue(alice, mission):
    created = report(api_as(alice), "mission", mission.pk).json()
    client = api_as(alice)
    assert client.get("/staff/abuse-reports").status_code == 403
    assert client.post(f"/staff/abuse-reports/{created['id']}/dismiss", {}).status_code == 403
    assert api_as(testing.make_staff("s2@microwork.fr")).post("/staff/abuse-reports/999/dismiss", {}).status_code == 404
    assert AbuseReport.objects.get().state == ReportState.OPEN


def test_ac03_the_export_lists_the_reports_filed_and_nothing_of_the_other_user(alice, acme, mission):
    report(api_as(alice), "mission", mission.pk, "spam", details="Publicité.")
    rows = abuse_reports_filed_by(alice)
    assert len(rows) == 1
    assert rows[0]["target_type"] == "mission" and rows[0]["target_id"] == str(mission.pk)
    assert rows[0]["reason"] == "spam" and rows[0]["details"] == "Publicité." and rows[0]["state"] == "open"
    assert set(rows[0]) == {"target_type", "target_id", "reason", "details", "state", "created_at"}
    assert abuse_reports_filed_by(acme) == []
    # and the reports reach the user's own download, and nobody else's
    exported = api_as(alice).get("/me/export").json()["abuse_reports"]
    assert [(r["target_type"], r["reason"]) for r in exported] == [("mission", "spam")]
    assert api_as(acme).get("/me/export").json()["abuse_reports"] == []


# --- Pages --------------------------------------------------------------------------------


def test_ac04_signaler_links_lead_to_the_report_form(
    client, alice, buyer, expert, mission, offer, order, expert_message
):
    signed_in(client, alice)
    page = client.get(reverse("missions:detail", args=[mission.pk])).content.decode()
    assert f"{reverse('moderation:report')}?type=mission&amp;id={mission.pk}" in page
    page = client.get(reverse("gigs:offer", args=[offer.pk])).content.decode()
    assert f"?type=offer&amp;id={offer.pk}" in page
    page = client.get(reverse("gigs:expert", args=[expert.pk])).content.decode()
    assert f"?type=user&amp;id={expert.pk}" in page
    signed_in(client, buyer)
    page = client.get(reverse("gigs:order", args=[order.pk])).content.decode()
    assert f"?type=order&amp;id={order.pk}" in page
    assert f"?type=message&amp;id={expert_message.pk}" in page
    form = client.get(reverse("moderation:report"), {"type": "message", "id": expert_message.pk})
    assert form.status_code == 200
    assert "hors plateforme" in form.content.decode()


def test_ac04_the_report_page_files_a_report_and_refuses_what_one_cannot_see(client, alice, mission, order):
    signed_in(client, alice)
    url = reverse("moderation:report")
    assert client.get(url, {"type": "order", "id": order.pk}).status_code == 404
    assert client.get(url, {"type": "nothing", "id": 1}).status_code == 404
    refused = client.post(f"{url}?type=mission&id={mission.pk}", {"reason": "other", "details": ""})
    assert refused.status_code == 400 and not AbuseReport.objects.exists()
    done = client.post(f"{url}?type=mission&id={mission.pk}", {"reason": "fraud", "details": "Demande un IBAN."})
    assert done.status_code == 302 and done["Location"] == reverse("missions:detail", args=[mission.pk])
    kept = AbuseReport.objects.get()
    assert (kept.reporter, kept.reason, kept.details) == (alice, "fraud", "Demande un IBAN.")


def test_ac04_staff_decide_from_the_inbox_page(client, alice, staff, mission):
    created = report(api_as(alice), "mission", mission.pk, "spam").json()
    signed_in(client, staff)
    page = client.get(reverse("moderation:staff_reports"))
    assert page.status_code == 200
    assert mission.title in page.content.decode()
    assert reverse("missions:detail", args=[mission.pk]) in page.content.decode()
    client.post(reverse("moderation:staff_report_decide", args=[created["id"], "classer"]), {"note": "RAS"})
    assert AbuseReport.objects.get().state == ReportState.DISMISSED
    assert mission.title not in client.get(reverse("moderation:staff_reports")).content.decode()
    signed_in(client, alice)
    assert client.get(reverse("moderation:staff_reports")).status_code == 403
