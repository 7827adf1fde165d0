# French typography: the page texts checked here use the typographic apostrophe (U+2019).
# ruff: noqa: RUF001
"""A seller past DAC7's threshold gives their tax details and downloads their
yearly statement, on a phone in a real browser (SPEC PL03, MW01)."""

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from microwork import testing
from microwork.billing.models import SellerTaxDetails
from microwork.testing import browser_login as login
from microwork.testing import shot

from .conftest import order_accepted

pytestmark = [pytest.mark.browser]


def test_pl03_seller_past_the_threshold_gives_tax_details_and_downloads_statement_on_a_phone(
    page: Page, live_server
) -> None:
    # given an expert who sold for 2,000 EUR this year
    expert = testing.make_verified_expert("emma@example.fr")
    buyer = testing.make_company("buyer@example.fr", balance_cents=5_000_00)
    first = order_accepted(buyer, expert, price_cents=1_000_00)
    order_accepted(buyer, expert, offer=first.offer)
    # when she signs in, her dashboard asks for her tax details
    login(page, live_server.url, "emma@example.fr")
    prompt = page.get_by_test_id("tax-prompt")
    expect(prompt).to_be_visible()
    prompt.get_by_role("link", name="Indiquer mes informations fiscales").click()
    expect(page.get_by_role("heading", name="Informations fiscales (DAC7)")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # a wrong NIF is refused on the form
    page.get_by_label("Numéro d’identification fiscale").fill("3023217600054")
    page.get_by_label("Date de naissance").fill("1990-04-12")
    page.get_by_label("Adresse", exact=True).fill("12 rue des Lilas")
    page.get_by_label("Code postal").fill("69003")
    page.get_by_label("Ville").fill("Lyon")
    page.locator("main").get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Ce numéro fiscal (NIF) n’est pas valide")).to_be_visible()
    # then with the right one she is back on her dashboard, the banner gone
    page.get_by_label("Numéro d’identification fiscale").fill("30 23 217 600 053")
    page.locator("main").get_by_role("button", name="Enregistrer").click()
    expect(page).to_have_url(re.compile(r"/tableau-de-bord/$"))
    expect(page.get_by_text("Vos informations fiscales sont enregistrées.")).to_be_visible()
    expect(page.get_by_test_id("tax-prompt")).to_have_count(0)
    assert SellerTaxDetails.objects.get(user=expert).tin == "3023217600053"
    shot(page, "billing2-dashboard-after-tax-details")
    # and she downloads the year's statement as PDF from her dashboard's link
    year = timezone.localdate().year
    page.get_by_role("link", name="Mes relevés annuels de gains").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"Relevé {year} (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"microwork-releve-{year}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
