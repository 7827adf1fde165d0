"""Invoices on the API and as Factur-X documents (SPEC PL02; issue 13, item 3)."""

import io

import facturx
import pytest
import time_machine
from django.test import Client
from pypdf import PdfReader

from microwork import testing
from microwork.billing.documents import invoice_schematron_failures, invoice_xml
from microwork.billing.models import Invoice
from microwork.ops.tick import run_due
from microwork.testing import make_published

from .conftest import FIRST_OF_DECEMBER, IN_NOVEMBER, approved, order_accepted, taskers

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoiced(acme, staff):
    """acme's November invoice: 3 places at 210 cents and one at 300, with billing details given."""
    testing.api_as(acme)  # a token exists before the clock moves
    from microwork.billing.services import billing_profile_save

    billing_profile_save(
        user=acme,
        billing_name="Acme SAS",
        address_line1="12 rue des Lilas",
        postcode="69003",
        city="Lyon",
        vat_number="FR40303265045",
    )
    workers = taskers(3)
    with time_machine.travel(IN_NOVEMBER, tick=False):
        mission = make_published(acme, staff, reward_cents=210, places=3)
        for tasker in workers:
            approved(mission, tasker, acme)
        approved(make_published(acme, staff, title="Second shelf"), workers[0], acme)
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        run_due()
    return Invoice.objects.get(customer=acme)


def test_pl02_invoice_xml_is_en16931_and_valid_against_the_schema(invoiced):
    xml = invoice_xml(invoiced)
    # the library's own schema check (the EN 16931 XSD it ships)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    text = xml.decode()
    assert "urn:cen.eu:en16931:2017" in text
    assert invoiced.number in text
    # VAT per rate on the sum of lines: 20% of (1.26 + 0.60) = 0.372 -> 0.37, where place by place gave 0.36
    assert "<ram:CalculatedAmount>0.37</ram:CalculatedAmount>" in text
    assert "<ram:BasisAmount>1.86</ram:BasisAmount>" in text
    # the seller's and the customer's VAT numbers, the rewards outside VAT (category E)
    assert "FR44732829320" in text and "FR40303265045" in text
    assert "<ram:CategoryCode>E</ram:CategoryCode>" in text


def test_pl02_credit_note_xml_is_valid_too(invoiced):
    invoiced.kind = "credit_note"  # not saved: only the document is built
    xml = invoice_xml(invoiced)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert "<ram:TypeCode>381</ram:TypeCode>" in xml.decode()


def test_pl02_invoice_and_credit_note_xml_pass_the_en16931_schematron(invoiced):
    # the EN 16931 business rules (the library's Schematron, run offline by Saxon-HE)
    assert invoice_schematron_failures(invoice_xml(invoiced)) == []
    invoiced.kind = "credit_note"  # not saved: only the document is built
    assert invoice_schematron_failures(invoice_xml(invoiced)) == []


def test_pl02_schematron_finds_vat_that_does_not_add_up(invoiced):
    # VAT total unlike the sum of the VAT breakdown breaks BR-CO-14: the check really runs
    xml = invoice_xml(invoiced).replace(
        b"<ram:CalculatedAmount>0.37</ram:CalculatedAmount>", b"<ram:CalculatedAmount>0.36</ram:CalculatedAmount>"
    )
    failures = invoice_schematron_failures(xml)
    assert any(failure.startswith("BR-CO-14") for failure in failures), failures


def test_pl02_pdf_is_factur_x_with_the_xml_embedded(invoiced):
    response = testing.api_as(invoiced.customer).get(f"/me/invoices/{invoiced.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert invoiced.number in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    assert invoiced.number.encode() in xml
    # rendering left Pillow's upload checks as strict as before
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "40 €" in text  # the recovery fee mention
    assert "Acme SAS" in text


def test_pl02_api_lists_and_shows_own_invoices_only(invoiced, alice):
    api = testing.api_as(invoiced.customer)
    page = api.get("/me/invoices").json()
    assert [item["number"] for item in page["items"]] == [invoiced.number]
    assert page["next_cursor"] is None
    detail = api.get(f"/me/invoices/{invoiced.pk}").json()
    assert detail["total_excl_vat_cents"] == 186
    assert detail["vat_cents"] == 37
    assert detail["total_cents"] == 186 + 37 + 930
    assert [line["category"] for line in detail["lines"]] == ["fee", "fee", "disbursement", "disbursement"]
    # someone else's invoice does not exist for them
    outsider = testing.api_as(alice)
    for path in (f"/me/invoices/{invoiced.pk}", f"/me/invoices/{invoiced.pk}/pdf", "/me/invoices/abc"):
        response = outsider.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert outsider.get("/me/invoices").json()["items"] == []
    assert testing.api_as(None).get("/me/invoices").status_code == 401


def test_pl02_invoices_page_lists_and_downloads(invoiced, alice):
    client = testing.signed_in(Client(), invoiced.customer)
    page = client.get("/factures/").content.decode()
    assert invoiced.number in page
    assert f"/factures/{invoiced.pk}/pdf/" in page
    download = client.get(f"/factures/{invoiced.pk}/pdf/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert testing.signed_in(Client(), alice).get(f"/factures/{invoiced.pk}/pdf/").status_code == 404


def test_pl02_a_buyer_of_a_packaged_service_gets_its_invoice(db):
    expert = testing.make_verified_expert("emma@example.fr")
    buyer = testing.make_company("buyer@example.fr", balance_cents=500_00)
    with time_machine.travel(IN_NOVEMBER, tick=False):
        order_accepted(buyer, expert, price_cents=12_345)
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        run_due()
    invoice = Invoice.objects.get(customer=buyer)
    # commission 10% of 123.45 VAT included = 12.35: 10.29 + VAT 2.06
    assert (invoice.total_excl_vat_cents, invoice.vat_cents) == (1_029, 206)
    assert invoice.disbursements_cents == 12_345 - 1_235
    assert invoice.total_cents == 12_345
    assert facturx.xml_check_xsd(invoice_xml(invoice), flavor="factur-x", level="en16931")
