"""The full data export (AC03): everything of the user's own, nothing of anyone else's."""

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from microwork import testing
from microwork.accounts.models import Consent
from microwork.gigs import services as gigs
from microwork.missions import services as missions
from microwork.ops.export import export_file_build, user_export
from microwork.ops.tasks import export_build
from microwork.payouts import services as payouts
from microwork.testing import make_offer, make_published

pytestmark = pytest.mark.django_db

IBAN = "FR7630006000011234567890189"


@pytest.fixture(autouse=True)
def _files_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EXPORT_ROOT = str(tmp_path / "exports")


def test_ac03_export_holds_own_message_and_no_other_users_data(acme, bob):
    # given acme ordered from an expert and both wrote in the order; bob is a stranger to it
    expert = testing.make_verified_expert("vera@example.fr", display_name="Vera")
    order = gigs.order_place(offer=make_offer(expert, price_cents=50_00, extras=[]), buyer=acme)
    gigs.message_post(order=order, by=acme, body="Voici notre charte graphique en pièce jointe.")
    gigs.message_post(order=order, by=expert, body="Bien reçu, je commence demain.")
    # when acme downloads its data
    response = testing.api_as(acme).get("/me/export")
    assert response.status_code == 200
    data = response.json()
    text = response.content.decode()
    # then its own order holds its message, and the expert appears by display name only
    [exported] = data["orders"]
    assert exported["as"] == "buyer" and exported["other_party"] == "Vera"
    assert exported["total_cents"] == 50_00
    mine = [m for m in exported["messages"] if m["from"] == "me"]
    assert [m["body"] for m in mine] == ["Voici notre charte graphique en pièce jointe."]
    assert {m["from"] for m in exported["messages"]} >= {"me", "Vera"}
    # and no other user's email, phone, SIRET or identity leaks
    for secret in ("vera@example.fr", "bob@example.fr", bob.phone, testing.EXPERT_SIRET, "Bob"):
        assert secret not in text, secret
    assert data["account"]["email"] == "acme@example.fr"


def test_ac03_export_covers_claims_missions_payouts_notices_and_consents(acme, staff, alice):
    # given alice did a mission of acme's with a report, and registered an IBAN
    mission = make_published(acme, staff)
    claim = missions.claim_create(mission=mission, tasker=alice)
    missions.claim_report(claim=claim, by=alice, text="Rayon photographié en plein jour.")
    missions.claim_approve(claim=claim, by=acme, rating=5)
    payouts.payout_account_create(user=alice, method="iban", iban=IBAN, holder="Alice Martin")
    # when alice downloads her data
    data = testing.api_as(alice).get("/me/export").json()
    # then her claim with its report, her reward, her masked IBAN and her consents are there
    [exported] = data["claims"]
    assert exported["state"] == "approved" and exported["company"] == "Acme"
    assert exported["report"]["text"] == "Rayon photographié en plein jour."
    assert any(line["kind"] == "claim_approve" for line in data["ledger"])
    [account] = data["payout_accounts"]
    assert account["iban"] == "FR76 **** **** 0189"
    assert IBAN not in json.dumps(data)
    assert {(c["document"], c["version"]) for c in data["consents"]} == {
        ("terms_of_use", "2026-01"),
        ("privacy", "2026-12"),
    }
    assert data["abuse_reports"] == []
    assert data["notices"] == [] or all("title" in n for n in data["notices"])
    # and acme's export lists the mission, without the tasker's identity
    company = testing.api_as(acme).get("/me/export")
    assert [(m["title"], m["claims_by_state"]) for m in company.json()["missions"]] == [
        (mission.title, {"approved": 1})
    ]
    assert "alice@example.fr" not in company.content.decode()
    assert "+33612345678" not in company.content.decode()


def test_ac03_a_large_export_is_built_in_the_background_and_emailed(alice, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    testing.api_as(alice).post("/me/closure")  # one notice: a row
    response = testing.api_as(alice).get("/me/export")
    assert response.status_code == 202
    assert response.json()["state"] == "building"
    # when the worker runs the task, alice is emailed a link that serves her the file
    mail.outbox.clear()
    link = export_build.call(alice.pk)
    assert [m.to for m in mail.outbox] == [["alice@example.fr"]]
    assert link in mail.outbox[0].body
    path = link.removeprefix(settings.SITE_URL)
    owner = testing.signed_in(Client(), alice)
    download = owner.get(path)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert json.loads(b"".join(download.streaming_content))["account"]["email"] == "alice@example.fr"


def test_ac03_an_export_link_serves_its_owner_only_and_expires(alice, bob):
    token = export_file_build(alice)
    path = f"/mes-donnees/{token}/"
    assert testing.signed_in(Client(), bob).get(path).status_code == 404
    assert Client().get(path).status_code == 302  # to the sign-in page
    assert testing.signed_in(Client(), alice).get(f"/mes-donnees/{token}x/").status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert testing.signed_in(Client(), alice).get(path).status_code == 404


def test_ac03_the_dashboard_button_downloads_the_json(alice):
    response = testing.signed_in(Client(), alice).get("/tableau-de-bord/mes-donnees/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="microwork-mes-donnees-')
    assert json.loads(response.content)["account"]["email"] == "alice@example.fr"
    assert user_export(alice)["account"]["id"] == str(alice.pk)
    assert Consent.objects.filter(user=alice).count() == 2


def test_ac03_the_dashboard_button_on_a_large_account_queues_the_export(alice, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    testing.api_as(alice).post("/me/closure")  # one notice: a row
    browser = testing.english(testing.signed_in(Client(), alice))
    response = browser.get("/tableau-de-bord/mes-donnees/", follow=True)
    assert response.redirect_chain[0] == ("/tableau-de-bord/", 302)
    assert "we are preparing the file and will email you a link" in response.content.decode()


def test_ac03_mw04_export_holds_the_companys_template_batches(acme, bob):
    # given a template batch of two items made by the company
    template = {
        "title": "Label ${photo}",
        "category": "image_labelling",
        "instructions": "Say which animal the photo ${photo} shows.",
        "estimated_seconds": 60,
        "reward_cents": 50,
        "places": 1,
    }
    items = [
        {**template, "title": f"Label {p}", "instructions": f"Say which animal the photo {p} shows."} for p in "ab"
    ]
    batch = missions.batch_create(
        company=acme,
        template=template,
        variables=["photo"],
        items=[{**item, "batch_input": {"photo": p}} for item, p in zip(items, "ab", strict=True)],
    )
    # when the company exports its data
    data = user_export(acme)
    # then the batch is there with its template and variables, and each item names its batch
    assert [(b["id"], b["variables"], b["items"]) for b in data["batches"]] == [(str(batch.pk), ["photo"], 2)]
    assert {m["batch_id"] for m in data["missions"]} == {str(batch.pk)}
    # and another company's export holds none of it
    assert user_export(bob)["batches"] == []
