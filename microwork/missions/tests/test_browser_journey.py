"""One mission from end to end, on phones, in a real browser (HM06-HM14, MW01)."""

import re
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from microwork.ledger.selectors import wallet_balance
from microwork.missions.models import Claim, ClaimState, Mission, MissionState
from microwork.testing import browser_login as login
from microwork.testing import shot

pytestmark = [pytest.mark.browser]


def phone(browser: Browser, browser_context_args: dict[str, Any]) -> Page:
    """A fresh phone: one person per browser context, no shared session."""
    return browser.new_context(**browser_context_args).new_page()


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_hm06_to_hm14_a_mission_from_posting_to_payment(
    browser: Browser, browser_context_args: dict[str, Any], live_server, acme, staff, alice, tmp_path
) -> None:
    photo = tmp_path / "rayon.jpg"
    Image.new("RGB", (640, 480), (180, 140, 90)).save(photo, "JPEG")

    # --- the company posts a mission with one photo question, seeing its cost live
    company = phone(browser, browser_context_args)
    login(company, live_server.url, "acme@example.fr")
    company.get_by_role("link", name="Nouvelle mission").first.click()
    expect(company.get_by_role("heading", name="Nouvelle mission")).to_be_visible()
    company.get_by_label("Titre").fill("Photo du rayon biscuits")
    company.get_by_label("Catégorie").select_option("photo")
    company.get_by_label("Consignes").fill(
        "Allez au magasin, prenez une photo nette du rayon biscuits en entier, de face, à la lumière du jour."
    )
    company.get_by_label("Durée estimée", exact=True).fill("10")
    company.get_by_label("Rémunération par place (€)").fill("2,00")
    # below the minimum wage for 10 minutes: the service's refusal shows as one types (HM08)
    expect(company.get_by_test_id("cost-refusal")).to_be_visible()
    company.get_by_label("Rémunération par place (€)").fill("3,00")
    expect(company.get_by_test_id("cost-total")).to_have_text(re.compile(r"3,72"))  # HM10: 300 + 60 + 12
    expect(company.get_by_test_id("cost-refusal")).to_have_count(0)
    question = company.get_by_test_id("question-1")
    question.get_by_label(re.compile(r"^Question")).fill("Photo du rayon")
    question.get_by_label("Type de réponse").select_option("photo")
    fits_the_phone(company)
    shot(company, "mw-journey-1-company-new")
    company.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(company.locator(".message.success")).to_contain_text("Brouillon enregistré")
    company.get_by_role("button", name="Envoyer pour vérification").click()
    expect(company.locator(".message.success")).to_contain_text("Envoyée pour vérification")
    mission = Mission.objects.get(title="Photo du rayon biscuits")
    assert mission.state == MissionState.PENDING_REVIEW
    assert wallet_balance(acme).available_cents == 100_00 - 372

    # --- staff read the instructions in the queue and publish it (HM11)
    moderator = phone(browser, browser_context_args)
    login(moderator, live_server.url, "staff@microwork.fr")
    moderator.get_by_role("link", name="Missions à vérifier").click()
    card = moderator.get_by_test_id(f"review-{mission.pk}")
    expect(card).to_contain_text("prenez une photo nette du rayon biscuits")
    fits_the_phone(moderator)
    shot(moderator, "mw-journey-2-staff-queue")
    card.get_by_role("button", name="Publier").click()
    expect(moderator.locator(".message.success")).to_contain_text("est publiée")

    # --- a verified tasker finds it, reads it, takes it and reports with a photo (HM06, HM13)
    tasker = phone(browser, browser_context_args)
    login(tasker, live_server.url, "alice@example.fr")
    tasker.get_by_role("link", name="Missions", exact=True).click()
    tasker.get_by_label("Mots-clés").fill("biscuits")
    tasker.get_by_role("button", name="Rechercher").click()
    card = tasker.locator(".mission-card", has_text="Photo du rayon biscuits")
    expect(card).to_contain_text("3,00")
    expect(card).to_contain_text("1 place restante")
    fits_the_phone(tasker)
    shot(tasker, "mw-journey-3-tasker-list")
    card.click()
    expect(tasker.get_by_test_id("instructions")).to_contain_text("prenez une photo nette")
    shot(tasker, "mw-journey-4-tasker-mission")
    tasker.get_by_role("button", name="Prendre cette mission").click()
    expect(tasker.locator(".message.success")).to_contain_text("48")
    # the countdown runs in the page
    countdown = tasker.get_by_test_id("countdown")
    expect(countdown).to_have_text(re.compile(r"^4[78] h \d\d min \d\d s$"))
    # and it counts down: its text changes within a second or so
    expect(countdown).not_to_have_text(countdown.text_content() or "", timeout=2_000)
    tasker.get_by_label("Photo du rayon").set_input_files(str(photo))
    fits_the_phone(tasker)
    shot(tasker, "mw-journey-5-tasker-report")
    tasker.get_by_role("button", name="Envoyer mon rapport").click()
    expect(tasker.locator(".message.success")).to_contain_text("Rapport envoyé")
    expect(tasker.get_by_test_id("claim-state").first).to_have_text("Rapport envoyé")
    claim = Claim.objects.get(mission=mission, tasker=alice)
    assert claim.state == ClaimState.SUBMITTED and claim.files.count() == 1

    # --- the company is alerted, sees the photo and approves with a rating (HM14)
    company.goto(f"{live_server.url}/tableau-de-bord/")
    expect(company.get_by_test_id("bell-count")).to_have_text("2")
    company.get_by_test_id("bell").click()
    company.get_by_role("link", name=re.compile("Nouveau rapport")).click()
    report = company.get_by_test_id(f"claim-{claim.pk}")
    photo_on_page = report.locator("img.report-photo")
    expect(photo_on_page).to_be_visible()
    # visible is not loaded: wait for the image itself before reading its size
    loaded_width = (
        "img => img.complete ? img.naturalWidth"
        " : new Promise(r => img.addEventListener('load', () => r(img.naturalWidth)))"
    )
    assert photo_on_page.evaluate(loaded_width) == 640
    report.get_by_label("4★").check()
    fits_the_phone(company)
    shot(company, "mw-journey-6-company-review")
    report.get_by_role("button", name="Valider et payer").click()
    expect(company.locator(".message.success")).to_contain_text("Rapport validé")

    # --- the tasker is credited the reward, and the bell says so (HM16)
    tasker.goto(f"{live_server.url}/tableau-de-bord/")
    expect(tasker.get_by_test_id("available")).to_contain_text("3,00")
    expect(tasker.get_by_test_id("bell-count")).to_have_text("1")
    tasker.get_by_test_id("bell").click()
    expect(tasker.locator(".bell-menu")).to_contain_text("Rapport validé")
    fits_the_phone(tasker)
    shot(tasker, "mw-journey-7-tasker-credited")
    tasker.get_by_role("button", name="Tout marquer comme lu").click()
    expect(tasker.get_by_test_id("bell-count")).to_have_count(0)
    assert wallet_balance(alice).available_cents == 300
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED and claim.rating == 4
