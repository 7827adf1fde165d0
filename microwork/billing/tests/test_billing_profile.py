"""Company details for invoices (issue 13, item 5): checked VAT number and SIRET."""

import json

import pytest
from django.test import Client

from microwork import testing

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
