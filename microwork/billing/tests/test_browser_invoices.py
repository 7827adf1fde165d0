"""A company downloads its invoice, in a real browser (SPEC PL02)."""

from pathlib import Path

import facturx
import pytest
import time_machine
from playwright.sync_api import Page

from microwork import testing
from microwork.testing import browser_login as login
from microwork.testing import make_published

from ..models import Invoice
from .conftest import FIRST_OF_DECEMBER, IN_NOVEMBER, approved

pytestmark = [pytest.mark.browser]


def test_pl02_company_downloads_its_invoice_pdf(page: Page, live_server) -> None:
    # given acme was charged in November and tick issued its invoice
    acme = testing.make_company(balance_cents=100_00)
    staff = testing.make_staff()
    alice = testing.make_tasker("alice@example.fr", "+33612345678")
    with time_machine.travel(IN_NOVEMBER, tick=False):
        approved(make_published(acme, staff), alice, acme)
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        from microwork.ops.tick import run_due

        run_due()
    invoice = Invoice.objects.get(customer=acme)
    # when acme signs in, opens its invoices from the dashboard and clicks the download link
    login(page, live_server.url, "acme@example.fr")
    page.get_by_role("link", name="Mes factures").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"Télécharger {invoice.number} (PDF)").click()
    download = download_info.value
    # then the Factur-X PDF of that invoice arrives
    assert download.suggested_filename == f"{invoice.number}.pdf"
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    _name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert invoice.number.encode() in xml
