# French typography: the page texts checked here use the typographic apostrophe (U+2019).
# ruff: noqa: RUF001
"""A company puts money in and takes its unspent funds back, on a phone in a real browser (PL01, MW01)."""

import re

import pytest
from playwright.sync_api import Page, expect

from microwork.ledger.models import Refund, RefundState
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.testing import PASSWORD, shot

pytestmark = [pytest.mark.browser]


def test_pl01_company_tops_up_then_gets_unspent_funds_back(page: Page, live_server, acme) -> None:
    # given a company with 100 EUR put in, signed in on its phone
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse e-mail").fill(acme.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(re.compile(r"/tableau-de-bord/$"))

    # when it opens its money page, it reads that this is a demo and what each balance is for
    page.get_by_role("link", name="Fonds, gains, recharges et remboursements").click()
    expect(page.get_by_role("heading", name="Mon porte-monnaie")).to_be_visible()
    expect(page.get_by_test_id("demo-notice")).to_contain_text("Mode démo : aucun paiement réel")
    expect(page.get_by_test_id("funds")).to_have_text("100,00\u202f€")
    expect(page.get_by_test_id("earnings")).to_have_text("0,00\u202f€")

    # it tops up 25,50 EUR
    page.locator("#recharger").get_by_label("Montant en euros").fill("25,50")
    page.locator("#recharger").get_by_role("button", name="Recharger").click()
    expect(page.locator(".messages")).to_contain_text("Votre solde a été crédité")
    expect(page.get_by_test_id("funds")).to_have_text("125,50\u202f€")

    # asking back more than it has is refused on the form, nothing moves
    page.locator("#rembourser").get_by_label("Montant en euros").fill("200")
    page.locator("#rembourser").get_by_role("button", name="Rembourser").click()
    expect(page.locator("#rembourser")).to_contain_text("au plus 125,50")
    assert not Refund.objects.exists()

    # then it takes 40 EUR back to its original payment
    page.locator("#rembourser").get_by_label("Montant en euros").fill("40")
    page.locator("#rembourser").get_by_role("button", name="Rembourser").click()
    expect(page.locator(".messages")).to_contain_text("Remboursé sur votre paiement d’origine")
    expect(page.get_by_test_id("funds")).to_have_text("85,50\u202f€")
    expect(page.get_by_test_id("refunds")).to_contain_text("40,00")
    shot(page, "wallet-phone")

    assert Refund.objects.get().state == RefundState.SUCCEEDED
    assert wallet_balance(acme).funds_cents == 85_50
    assert ledger_audit() == []
