"""DAC7: a seller who reaches 30 sales or 2,000 EUR in a year is asked for
their tax details, which the staff's export then carries (SPEC PL03)."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from microwork import testing
from microwork.billing import services
from microwork.billing.models import TaxDetailsRequest
from microwork.notifications.models import Notice
from microwork.ops.tick import run_due
from microwork.testing import make_published

from .conftest import IN_NOVEMBER, approved, order_accepted

pytestmark = pytest.mark.django_db

LATER_IN_NOVEMBER = IN_NOVEMBER + timedelta(days=1)
#: A valid French NIF (13 digits, its key checked by python-stdnum).
NIF = "3023217600053"
DETAILS = {
    "tin": "30 23 217 600 053",
    "birth_date": "1990-04-12",
    "address_line1": "12 rue des Lilas",
    "postcode": "69003",
    "city": "Lyon",
}


def rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_pl03_seller_crossing_threshold_asked_for_tin(db):
    # given an expert who sold for 1,999.99 EUR this year: below DAC7's threshold
    expert = testing.make_verified_expert("emma@example.fr")
    buyer = testing.make_company("buyer@example.fr", balance_cents=5_000_00)
    with time_machine.travel(IN_NOVEMBER, tick=False):
        first = order_accepted(buyer, expert, price_cents=1_999_99)
    with time_machine.travel(LATER_IN_NOVEMBER, tick=False):
        api, page = testing.api_as(expert), testing.signed_in(Client(), expert)
        assert api.get("/me/tax-details").json()["required"] is False
        assert run_due()["tax_details_asked"] == 0
        assert 'data-testid="tax-prompt"' not in page.get("/tableau-de-bord/").content.decode()
    # when a second sale takes her past 2,000 EUR
    with time_machine.travel(IN_NOVEMBER, tick=False):
        order_accepted(buyer, expert, offer=first.offer)
    with time_machine.travel(LATER_IN_NOVEMBER, tick=False):
        # then tick tells her once, by a notice and an email
        assert run_due()["tax_details_asked"] == 1
        assert run_due()["tax_details_asked"] == 0
        notice = Notice.objects.get(user=expert, kind="tax_details_needed")
        assert notice.url == "/factures/identifiant-fiscal/"
        assert TaxDetailsRequest.objects.filter(user=expert, year=2026).count() == 1
        # her dashboard shows the banner, and the API says the details are required
        page = testing.signed_in(Client(), expert)
        assert 'data-testid="tax-prompt"' in page.get("/tableau-de-bord/").content.decode()
        api = testing.api_as(expert)
        asked = api.get("/me/tax-details").json()
        assert (asked["required"], asked["complete"], asked["tin"]) == (True, False, "")
        # a NIF whose key is wrong is refused, with its field named
        bad = api.put("/me/tax-details", {**DETAILS, "tin": "3023217600054"})
        assert bad.status_code == 422
        assert bad.json()["code"] == "invalid_tin"
        assert page.post("/factures/identifiant-fiscal/", {**DETAILS, "tin": "123"}).status_code == 400
        # she gives them on the page
        response = page.post("/factures/identifiant-fiscal/", {**DETAILS, "country": "FR"})
        assert response.status_code == 302
        body = api.get("/me/tax-details").json()
        assert body == {
            "required": False,
            "complete": True,
            "tin": NIF,
            "birth_date": "1990-04-12",
            "address_line1": "12 rue des Lilas",
            "address_line2": "",
            "postcode": "69003",
            "city": "Lyon",
            "country": "FR",
        }
        assert 'data-testid="tax-prompt"' not in page.get("/tableau-de-bord/").content.decode()
    # and the staff's DAC7 export carries them
    staff = testing.make_staff()
    header, *sellers = rows(testing.signed_in(Client(), staff).get("/factures/dac7/2026.csv").content)
    row = dict(zip(header, sellers[0], strict=True))
    assert (row["nif"], row["identifiant_fiscal"], row["date_naissance"]) == (NIF, NIF, "1990-04-12")
    assert (row["adresse"], row["code_postal"], row["ville"], row["pays"]) == (
        "12 rue des Lilas",
        "69003",
        "Lyon",
        "FR",
    )


def test_pl03_tax_details_are_checked_and_for_sellers(acme, alice):
    # the API: a company has none to give
    assert testing.api_as(acme).get("/me/tax-details").status_code == 403
    assert testing.api_as(acme).put("/me/tax-details", DETAILS).status_code == 403
    assert testing.signed_in(Client(), acme).get("/factures/identifiant-fiscal/").status_code == 403
    api = testing.api_as(alice)
    # a birth date in the future or of a child is refused; a foreign TIN is kept as given
    assert api.put("/me/tax-details", {**DETAILS, "birth_date": "2099-01-01"}).json()["code"] == "invalid"
    assert api.put("/me/tax-details", {**DETAILS, "tin": "", "country": "BE"}).json()["code"] == "invalid_tin"
    # digits of another script are not a NIF's digits
    assert api.put("/me/tax-details", {**DETAILS, "tin": "\u0663" * 13}).json()["code"] == "invalid_tin"
    body = api.put("/me/tax-details", {**DETAILS, "tin": "85.07.30-033.61", "country": "be"}).json()
    assert (body["tin"], body["country"], body["complete"]) == ("85073003361", "BE", True)


def test_pl03_thirty_small_sales_cross_the_threshold_too(acme, staff, alice):
    # given alice did 30 small missions this year (far from 2,000 EUR)
    with time_machine.travel(IN_NOVEMBER, tick=False):
        for number in range(29):
            approved(make_published(acme, staff, title=f"Shelf {number}", reward_cents=210), alice, acme)
    with time_machine.travel(LATER_IN_NOVEMBER, tick=False):
        assert services.tax_details_ask_due() == 0
    with time_machine.travel(IN_NOVEMBER, tick=False):
        approved(make_published(acme, staff, title="Shelf 30", reward_cents=210), alice, acme)
    # then the thirtieth asks her for her tax details
    with time_machine.travel(LATER_IN_NOVEMBER, tick=False):
        assert services.tax_details_ask_due() == 1
        assert testing.api_as(alice).get("/me/tax-details").json()["required"] is True
