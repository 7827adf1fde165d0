# French typography: the page texts checked here use the typographic apostrophe (U+2019).
# ruff: noqa: RUF001
"""A tasker takes money out, staff pay it, on a phone in a real browser (HM16, MW03, MW01)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.payouts.models import Payout, PayoutState
from microwork.testing import browser_login, shot

from .conftest import earn

pytestmark = [pytest.mark.browser]


def log_in(page: Page, base: str, email: str) -> None:
    browser_login(page, base, email)  # staff type their second factor's code too
    expect(page).to_have_url(re.compile(r"/tableau-de-bord/$"))


def test_hm16_tasker_withdraws_20_of_25_by_paypal_and_staff_pay_it(
    page: Page, browser: Browser, browser_context_args, live_server, alice, staff
) -> None:
    # given a tasker with 25 EUR earned over the last weeks
    with time_machine.travel(timezone.now() - timedelta(weeks=3)):
        earn(alice, 6_00)
    with time_machine.travel(timezone.now() - timedelta(weeks=1)):
        earn(alice, 12_00)
    earn(alice, 7_00)

    # she opens her credits on her phone and reads the rules first
    log_in(page, live_server.url, alice.email)
    page.get_by_role("link", name="Crédits").click()
    expect(page.get_by_role("heading", name="Crédits", exact=True)).to_be_visible()
    expect(page.get_by_test_id("available")).to_have_text("25,00\u202f€")
    rules = page.get_by_test_id("payout-rules")
    expect(rules).to_contain_text("À partir de 10,00")
    expect(rules).to_contain_text("Par tranches de 10,00")
    expect(rules).to_contain_text("jusqu’à 20,00")

    # she adds a PayPal account
    page.get_by_text("Ajouter un compte PayPal").click()
    page.get_by_label("Adresse e-mail de votre compte PayPal").fill("alice@paypal.example")
    page.get_by_role("button", name="Ajouter ce compte PayPal").click()
    expect(page.locator(".messages")).to_contain_text("alice@paypal.example")

    # and asks for 20 EUR
    page.get_by_label("Montant en euros").fill("20")
    expect(page.get_by_label("Versé sur")).to_contain_text("alice@paypal.example")
    page.get_by_role("button", name="Demander le retrait").click()
    expect(page.locator(".messages")).to_contain_text("Retrait de 20,00")
    expect(page.get_by_test_id("available")).to_have_text("5,00\u202f€")
    expect(page.get_by_test_id("in-flight")).to_have_text("20,00\u202f€")
    expect(page.get_by_test_id("payout-state").first).to_have_text("Demandé")
    payout = Payout.objects.get(user=alice)

    # staff, on their own device, batch the PayPal payouts and mark the batch paid
    staff_context = browser.new_context(**browser_context_args)
    staff_page = staff_context.new_page()
    log_in(staff_page, live_server.url, staff.email)
    staff_page.get_by_role("link", name="Versements").click()
    expect(staff_page.get_by_test_id("queue-paypal")).to_contain_text("1 retrait")
    staff_page.get_by_role("button", name="Créer le lot PayPal").click()
    expect(staff_page.locator(".messages")).to_contain_text("Lot")
    with staff_page.expect_download() as download:
        staff_page.get_by_role("link", name="Fichier PayPal (CSV)").click()
    with open(download.value.path()) as exported:
        assert "alice@paypal.example,20.00,EUR" in exported.read()
    staff_page.get_by_role("button", name="Marquer payé").click()
    expect(staff_page.locator(".messages")).to_contain_text("marqué payé")
    shot(staff_page, "microwork-staff-payouts")
    staff_context.close()

    # the tasker sees it paid, and 5 EUR left
    page.reload()
    expect(page.get_by_test_id(f"payout-{payout.pk}").get_by_test_id("payout-state")).to_have_text("Payé")
    expect(page.get_by_test_id("available")).to_have_text("5,00\u202f€")
    expect(page.get_by_test_id("in-flight")).to_have_text("0,00\u202f€")
    expect(page.get_by_test_id("earnings-chart")).to_be_visible()
    # nothing is wider than the phone's screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "microwork-credits")

    payout.refresh_from_db()
    assert payout.state == PayoutState.PAID
    assert wallet_balance(alice).available_cents == 5_00
    assert ledger_audit() == []
