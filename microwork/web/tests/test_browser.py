# French typography: the page texts checked here use the typographic apostrophe (U+2019).
# ruff: noqa: RUF001
"""A tasker's first minutes on a phone, in a real browser (HM01, MW01)."""

import re

import pytest
from playwright.sync_api import Page, expect

from microwork.accounts.models import DocumentState, User, VerificationDocument
from microwork.ledger.selectors import wallet_balance
from microwork.notifications import sms
from microwork.testing import PASSWORD, shot
from microwork.testing import browser_login as login

pytestmark = [pytest.mark.browser]


def test_hm01_tasker_signs_up_verifies_phone_and_lands_on_dashboard(page: Page, live_server) -> None:
    # given a visitor on the home page, on a phone, in French
    page.goto(live_server.url)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    shot(page, "microwork-home")
    page.get_by_role("link", name="S’inscrire comme tasker").click()

    # when she fills the tasker form and accepts the terms of use
    expect(page.get_by_role("heading", name="S’inscrire comme tasker")).to_be_visible()
    page.get_by_label("Prénom ou pseudo").fill("Dora")
    page.get_by_label("Adresse e-mail").fill("dora@example.fr")
    page.get_by_label("Mot de passe").fill("dora-secret-2026")
    page.get_by_label("Numéro de mobile").fill("06 12 34 56 70")
    page.get_by_label("J’accepte les conditions générales d’utilisation").check()
    shot(page, "microwork-signup")
    page.get_by_role("button", name="Créer mon compte").click()

    # then she is asked for the code sent to her phone
    expect(page.get_by_role("heading", name="Vérifiez votre téléphone")).to_be_visible()
    assert [message.to for message in sms.outbox] == ["+33612345670"]
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1].body).group(1)

    # a wrong code is refused on the page
    page.get_by_label("Code reçu par SMS").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Vérifier", exact=True).click()
    expect(page.locator(".field .error")).to_contain_text("n’est pas celui que nous avons envoyé")

    # asking for a new code at once is refused nicely, in place (htmx)
    page.get_by_role("button", name="Recevoir un nouveau code").click()
    expect(page.locator("#code-status")).to_contain_text("attendez une minute")
    shot(page, "microwork-phone")

    # and the right code verifies the phone
    page.get_by_label("Code reçu par SMS").fill(code)
    page.get_by_role("button", name="Vérifier", exact=True).click()

    expect(page).to_have_url(re.compile(r"/tableau-de-bord/$"))
    expect(page.get_by_role("heading", name="Bonjour, Dora")).to_be_visible()
    expect(page.get_by_test_id("phone-status")).to_have_text("Téléphone vérifié")
    expect(page.get_by_test_id("available")).to_contain_text("0,00")
    # nothing is wider than the phone's screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "microwork-dashboard")
    assert User.objects.get(email="dora@example.fr").phone_verified


def test_language_switch_to_english_and_back(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/connexion/")
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    page.get_by_role("button", name="EN").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/connexion/$"))
    shot(page, "microwork-login-en")
    page.get_by_role("button", name="FR").click()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()


def test_company_logs_in_and_tops_up_its_balance(page: Page, live_server, acme) -> None:
    page.goto(f"{live_server.url}/tableau-de-bord/")
    # sent to the login page first
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    page.get_by_label("Adresse e-mail").fill("ACME@example.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_test_id("available")).to_contain_text("100,00")

    page.get_by_label("Montant en euros").fill("49,50")
    page.get_by_role("button", name="Recharger", exact=True).click()
    expect(page.locator(".message.success")).to_contain_text("Votre solde a été crédité")
    expect(page.get_by_test_id("available")).to_contain_text("149,50")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "microwork-company")
    assert wallet_balance(acme).available_cents == 149_50


def test_am13_expert_sends_a_document_and_staff_approves_it(page: Page, live_server, emma, staff, tmp_path) -> None:
    kbis = tmp_path / "kbis.pdf"
    kbis.write_bytes(b"%PDF-1.4\n%%EOF\n")
    login(page, live_server.url, "emma@example.fr")
    page.get_by_label("Document", exact=True).select_option("kbis")
    page.get_by_label("Fichier (PDF, JPEG ou PNG, 10 Mo au plus)").set_input_files(str(kbis))
    page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.locator(".message.success")).to_contain_text("Document reçu")
    expect(page.locator(".documents")).to_contain_text("En attente de vérification")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "microwork-expert")
    page.get_by_role("button", name="Déconnexion").click()

    login(page, live_server.url, "staff@microwork.fr")
    page.get_by_role("link", name="Documents à vérifier").click()
    row = page.locator(".review").first
    expect(row).to_contain_text("emma@example.fr")
    shot(page, "microwork-staff")
    row.get_by_role("button", name="Approuver").click()
    # htmx swaps the row in place
    expect(row).to_contain_text("Approuvé")
    assert VerificationDocument.objects.get(user=emma).state == DocumentState.APPROVED
