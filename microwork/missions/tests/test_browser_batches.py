# French typography: the page texts used here have the typographic apostrophe (U+2019).
# ruff: noqa: RUF001
"""A template batch on phones, in a real browser (MW04): the company makes it
from the form and an MTurk-style file, sends it, staff publish it once."""

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from microwork.missions.models import Batch, Mission
from microwork.testing import browser_login as login
from microwork.testing import shot

pytestmark = [pytest.mark.browser]


def phone(browser: Browser, browser_context_args: dict[str, Any]) -> Page:
    return browser.new_context(**browser_context_args).new_page()


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_mw04_a_template_batch_from_the_form_to_publication(
    browser: Browser, browser_context_args: dict[str, Any], live_server, acme, staff, tmp_path
) -> None:
    items = tmp_path / "items.csv"
    items.write_text(
        "Input.photo_id,Input.url\n"
        "p1,https://img.example.fr/1.jpg\np2,https://img.example.fr/2.jpg\np3,https://img.example.fr/3.jpg\n"
    )
    company = phone(browser, browser_context_args)
    login(company, live_server.url, "acme@example.fr")
    company.goto(f"{live_server.url}/missions/entreprise/")
    company.get_by_role("link", name="Lots à partir d’un modèle").click()
    company.get_by_role("link", name="Nouveau lot").click()
    expect(company.get_by_role("heading", name="Nouveau lot")).to_be_visible()
    company.get_by_label("Titre").fill("Étiqueter la photo ${photo_id}")
    company.get_by_label("Catégorie").select_option("image_labelling")
    company.get_by_label("Consignes").fill("Regardez la photo ${url} et dites quel animal elle montre, s’il y en a un.")
    company.get_by_label("Durée estimée", exact=True).fill("30")
    company.get_by_label("Unité").select_option("seconds")
    company.get_by_label("Rémunération par place (€)").fill("0,20")
    company.get_by_label("Éléments (CSV, UTF-8, 5 Mo au plus)").set_input_files(str(items))
    company.get_by_text("Publier par vagues").click()
    company.get_by_label("Éléments par vague").fill("2")
    fits_the_phone(company)
    shot(company, "mw04-batch-1-form")
    company.get_by_role("button", name="Créer le lot en brouillon").click()
    expect(company.locator(".message.success")).to_contain_text("Lot créé en brouillon")
    expect(company.get_by_test_id("batch-preview")).to_contain_text("https://img.example.fr/1.jpg")
    company.get_by_role("button", name="Envoyer pour vérification").click()
    expect(company.locator(".message.success")).to_contain_text("Envoyé pour vérification")
    fits_the_phone(company)
    shot(company, "mw04-batch-2-detail")
    batch = Batch.objects.get()
    assert batch.state == "pending_review" and batch.items == 3

    moderator = phone(browser, browser_context_args)
    login(moderator, live_server.url, "staff@microwork.fr")
    moderator.goto(f"{live_server.url}/missions/moderation/")
    expect(moderator.get_by_test_id(f"review-batch-{batch.pk}")).to_have_count(1)
    fits_the_phone(moderator)
    shot(moderator, "mw04-batch-3-review")
    moderator.get_by_test_id(f"review-batch-{batch.pk}").get_by_role("button", name="Publier le lot").click()
    expect(moderator.locator(".message.success")).to_contain_text("est publié")
    # the first wave (two items) is published, the third waits
    states = list(Mission.objects.filter(batch=batch).order_by("batch_item").values_list("state", flat=True))
    assert states == ["published", "published", "pending_review"]
    company.reload()
    expect(company.get_by_test_id("waves")).to_contain_text("1 sur 2")
    shot(company, "mw04-batch-4-published")
