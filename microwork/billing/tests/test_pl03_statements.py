"""Seller statements and DAC7 (SPEC PL03; issue 13, item 4)."""

import csv
import io

import pytest
import time_machine
from django.test import Client
from pypdf import PdfReader

from microwork import testing
from microwork.billing import statements
from microwork.testing import make_published

from .conftest import IN_NOVEMBER, approved, order_accepted

pytestmark = pytest.mark.django_db


def rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_pl03_tasker_statement_gives_gross_fees_net_per_month_and_the_note(acme, staff, alice, bob):
    with time_machine.travel(IN_NOVEMBER, tick=False):
        approved(make_published(acme, staff), alice, acme)
        approved(make_published(acme, staff, title="Second shelf", reward_cents=450), alice, acme)
        approved(make_published(acme, staff, title="Bob's shelf"), bob, acme)
    # the API: November holds alice's two rewards, on which she pays no fee
    body = testing.api_as(alice).get("/me/statements/2026").json()
    november = body["months"][10]
    assert november == {"period": "2026-11", "sales": 2, "gross_cents": 750, "fees_cents": 0, "net_cents": 750}
    assert body["total"]["net_cents"] == 750
    assert "BNC" in body["note"]
    # the page: the same as CSV
    response = testing.signed_in(Client(), alice).get("/factures/releve/2026.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    table = rows(response.content)
    assert table[0] == ["mois", "ventes", "brut_centimes", "frais_centimes", "net_centimes"]
    assert ["2026-11", "2", "750", "0", "750"] in table
    assert ["2026", "2", "750", "0", "750"] in table
    assert "déclarer" in response.content.decode()


def test_pl03_expert_statement_shows_the_commission_as_fees(db):
    expert = testing.make_verified_expert("emma@example.fr")
    buyer = testing.make_company("buyer@example.fr", balance_cents=500_00)
    with time_machine.travel(IN_NOVEMBER, tick=False):
        order_accepted(buyer, expert, price_cents=10_000)
    total = testing.api_as(expert).get("/me/statements/2026").json()["total"]
    assert total == {"period": "2026", "sales": 1, "gross_cents": 10_000, "fees_cents": 1_000, "net_cents": 9_000}


def test_pl03_statement_is_for_sellers_and_real_years(acme, alice):
    assert testing.api_as(acme).get("/me/statements/2026").status_code == 403
    assert testing.api_as(alice).get("/me/statements/99999").status_code == 404
    assert testing.signed_in(Client(), alice).get("/factures/releve/1.csv").status_code == 404


def test_pl03_a_seller_crossing_the_dac7_threshold_is_in_the_staff_export(acme, staff, alice):
    # given an expert who sold for 2,000 EUR in the year, and alice with one small reward
    expert = testing.make_verified_expert("emma@example.fr")
    buyer = testing.make_company("buyer@example.fr", balance_cents=5_000_00)
    with time_machine.travel(IN_NOVEMBER, tick=False):
        first = order_accepted(buyer, expert, price_cents=1_999_99)
        approved(make_published(acme, staff), alice, acme)
    # below the threshold by a cent, nobody is reported
    assert statements.dac7_sellers(2026) == []
    with time_machine.travel(IN_NOVEMBER, tick=False):
        order_accepted(buyer, expert, offer=first.offer)
    # when staff download the DAC7 export
    response = testing.signed_in(Client(), staff).get("/factures/dac7/2026.csv")
    assert response.status_code == 200
    header, *sellers = rows(response.content)
    # then the expert is in it, with identity, tax identifier and sales per quarter; alice is not
    assert len(sellers) == 1
    row = dict(zip(header, sellers[0], strict=True))
    assert row["email"] == "emma@example.fr"
    assert row["siret"] == testing.EXPERT_SIRET
    assert row["identifiant_fiscal"] == testing.EXPERT_SIRET[:9]
    assert (row["ventes_annee"], row["brut_annee_centimes"]) == ("2", str(2 * 1_999_99))
    assert (row["ventes_t4"], row["brut_centimes_t4"]) == ("2", str(2 * 1_999_99))
    assert row["ventes_t1"] == "0"
    # and only staff may download it
    assert testing.signed_in(Client(), alice).get("/factures/dac7/2026.csv").status_code == 403


def pdf_text(body: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_pl03_statement_as_pdf_on_the_page_and_the_api_with_the_note(acme, staff, alice):
    # given alice earned two rewards in November
    with time_machine.travel(IN_NOVEMBER, tick=False):
        approved(make_published(acme, staff), alice, acme)
        approved(make_published(acme, staff, title="Second shelf", reward_cents=450), alice, acme)
    # the invoices page links both files for the year
    with time_machine.travel(IN_NOVEMBER.replace(day=20), tick=False):
        client = testing.signed_in(Client(), alice)
        page = client.get("/factures/").content.decode()
        assert "/factures/releve/2026.pdf" in page and "/factures/releve/2026.csv" in page
        assert "/factures/#releves" in client.get("/tableau-de-bord/").content.decode()
        # when she downloads the PDF from the page
        response = client.get("/factures/releve/2026.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="microwork-releve-2026.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    # then it holds the month, the year's totals and the plain note on declaring
    assert "Relevé annuel de gains 2026" in text
    assert "novembre 2026" in text
    assert "7,50" in text
    assert "Dois-je déclarer mes gains ?" in text
    assert "BNC" in text
    # the API gives the same PDF and the CSV beside it
    api = testing.api_as(alice)
    pdf = api.get("/me/statements/2026/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "7,50" in pdf_text(pdf.content)
    table = api.get("/me/statements/2026/csv")
    assert table.status_code == 200 and table["Content-Type"].startswith("text/csv")
    assert ["2026-11", "2", "750", "0", "750"] in rows(table.content)


def test_pl03_statement_pdf_is_for_sellers_and_real_years(acme, alice):
    assert testing.api_as(acme).get("/me/statements/2026/pdf").status_code == 403
    assert testing.api_as(acme).get("/me/statements/2026/csv").status_code == 403
    assert testing.api_as(alice).get("/me/statements/99999/pdf").status_code == 404
    assert testing.signed_in(Client(), acme).get("/factures/releve/2026.pdf").status_code == 403
    assert testing.signed_in(Client(), alice).get("/factures/releve/1.pdf").status_code == 404
