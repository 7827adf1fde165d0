"""Company details for invoices (issue 13, item 5): checked VAT number and SIRET."""

import json
from io import BytesIO

import pytest
import time_machine
from django.test import Client
from pypdf import PdfReader

from microwork import testing
from microwork.billing.documents import invoice_pdf, invoice_schematron_failures, invoice_xml
from microwork.billing.models import Invoice
from microwork.missions import services as missions
from microwork.missions.models import Mission
from microwork.ops.tick import run_due
from microwork.testing import MISSION, make_offer

from .conftest import FIRST_OF_DECEMBER, IN_NOVEMBER, approved

pytestmark = pytest.mark.django_db

PROFILE = {
    "billing_name": "Acme SAS",
    "address_line1": "12 rue des Lilas",
    "postcode": "69003",
    "city": "Lyon",
    "vat_number": "FR 40 303 265 045",
    "siret": "732 829 320 00074",
}


def put(api, body):
    return api.client.put(
        "/api/v1/me/billing-profile", json.dumps(body), content_type="application/json", **api._headers(None)
    )


def test_pl02_billing_profile_starts_incomplete_and_is_saved_compact(acme):
    api = testing.api_as(acme)
    assert api.get("/me/billing-profile").json()["complete"] is False
    response = put(api, PROFILE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["complete"] is True
    assert body["vat_number"] == "FR40303265045"
    assert body["siret"] == "73282932000074"
    assert body["country"] == "FR"
    assert api.get("/me/billing-profile").json()["billing_name"] == "Acme SAS"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("vat_number", "FR41303265045", "invalid_vat_number"),  # wrong key
        ("vat_number", "XX123", "invalid_vat_number"),
        ("siret", "73282932000075", "invalid_siret"),
        ("billing_name", "  ", "invalid"),
    ],
)
def test_pl02_billing_profile_refuses_a_bad_number_with_its_code(acme, field, value, code):
    response = put(testing.api_as(acme), {**PROFILE, field: value})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert response.json()["errors"][0]["field"] == field


def test_pl02_vat_number_must_match_the_country(acme):
    response = put(testing.api_as(acme), {**PROFILE, "country": "DE"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_vat_number"


def test_pl02_staff_are_not_invoiced(staff):
    assert put(testing.api_as(staff), PROFILE).status_code == 403


def test_pl02_dashboard_asks_a_company_for_its_billing_details_then_the_form_saves_them(acme):
    client = testing.signed_in(Client(), acme)
    assert 'data-testid="billing-prompt"' in client.get("/tableau-de-bord/").content.decode()
    bad = client.post("/factures/coordonnees/", {**PROFILE, "country": "FR", "vat_number": "FR41303265045"})
    assert bad.status_code == 400
    assert "TVA" in bad.content.decode()
    done = client.post("/factures/coordonnees/", {**PROFILE, "country": "FR"})
    assert done.status_code == 302
    assert 'data-testid="billing-prompt"' not in client.get("/tableau-de-bord/").content.decode()


def test_pl02_billing_profile_refuses_nul_characters_with_a_422(acme):
    response = put(testing.api_as(acme), {**PROFILE, "city": "Ly\x00on"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "city"


def test_pl02_company_asked_for_billing_details_before_its_first_charge_on_the_pages(acme):
    # given acme has a draft mission and no billing details
    mission = missions.mission_create(company=acme, **MISSION)
    page = testing.signed_in(Client(), acme)
    mission_url = f"/missions/entreprise/{mission.pk}/"
    # when it opens the mission it is about to send for review (the charge)
    html = page.get(mission_url).content.decode()
    # then it is asked for its billing details, with a way back
    assert 'data-testid="billing-prompt"' in html
    form_url = f"/factures/coordonnees/?next={mission_url}"
    assert form_url in html
    # a form error keeps it on the form
    assert page.post(form_url, {**PROFILE, "vat_number": "FR00000000000"}).status_code == 400
    # once given, it is back on its mission, and the banner is gone
    response = page.post(form_url, {**PROFILE, "country": "FR"})
    assert response.status_code == 302 and response["Location"] == mission_url
    assert 'data-testid="billing-prompt"' not in page.get(mission_url).content.decode()
    # an address elsewhere is never a way back
    assert (
        page.post("/factures/coordonnees/?next=https://evil.example/", PROFILE | {"country": "FR"})["Location"]
        == "/factures/"
    )


def test_pl02_buyer_asked_for_billing_details_on_the_offer_it_orders(db):
    expert = testing.make_verified_expert("emma@example.fr")
    offer = make_offer(expert, price_cents=10_000, extras=[])
    buyer = testing.make_company("buyer@example.fr", balance_cents=500_00)
    html = testing.signed_in(Client(), buyer).get(f"/services/{offer.pk}/").content.decode()
    assert 'data-testid="billing-prompt"' in html
    # the expert looking at its own offer is not asked
    assert (
        'data-testid="billing-prompt"'
        not in testing.signed_in(Client(), expert).get(f"/services/{offer.pk}/").content.decode()
    )


def test_pl02_api_charges_without_billing_details_and_the_invoice_names_the_account(acme, staff, alice):
    """API.md lets a company sign up and be charged at once: the API does not
    refuse, and the invoice names the account (its name, SIRET and email)."""
    with time_machine.travel(IN_NOVEMBER, tick=False):
        api = testing.api_as(acme)
        mission = api.post("/missions", MISSION).json()
        submitted = api.post(f"/missions/{mission['id']}/submit")
        assert submitted.status_code == 200, submitted.content
        assert submitted.json()["state"] == "pending_review"
        assert testing.api_as(staff).post(f"/missions/{mission['id']}/publish").status_code == 200
        approved(Mission.objects.get(pk=mission["id"]), alice, acme)
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        run_due()
    invoice = Invoice.objects.get(customer=acme)
    assert invoice.buyer["email"] == "acme@example.fr"
    assert invoice.buyer["name"] and invoice.buyer["siret"]
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(invoice_pdf(invoice))).pages)
    assert "acme@example.fr" in text
    # and it still passes the EN 16931 rules without a street address
    assert invoice_schematron_failures(invoice_xml(invoice)) == []
