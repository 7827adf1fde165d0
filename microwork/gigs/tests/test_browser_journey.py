"""One packaged service from search to payment, on phones, in a real browser
(AM04, AM05, AM08, AM10, AM14, AM16, MW01)."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from microwork import testing
from microwork.gigs.models import Order, OrderState
from microwork.ledger.models import HeldEarning
from microwork.testing import PASSWORD

pytestmark = [pytest.mark.browser]


def phone(browser: Browser, browser_context_args: dict[str, Any]) -> Page:
    """A fresh phone: one person per browser context, no shared session."""
    return browser.new_context(**browser_context_args).new_page()


def login(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", name=re.compile("^Bonjour"))).to_be_visible()


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def shot(page: Page, name: str) -> None:
    fits_the_phone(page)
    testing.shot(page, f"gigs-{name}")


def test_am04_to_am16_a_packaged_service_from_search_to_withdrawable_fee(
    browser: Browser, browser_context_args: dict[str, Any], live_server, buyer, expert, offer, tmp_path
) -> None:
    brief = tmp_path / "logo-v1.pdf"
    brief.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    # --- the buyer finds the offer with a word of another ending ("logos" for "logo") (AM04)
    client = phone(browser, browser_context_args)
    # the buyer's page keeps its own clock, so its 5-second polling can be moved on below
    client.clock.install()
    login(client, live_server.url, "buyer@example.fr")
    client.get_by_role("link", name="Services", exact=True).click()
    client.get_by_label("Mots-clés").fill("logos")
    client.get_by_role("button", name="Rechercher").click()
    card = client.get_by_test_id(f"offer-{offer.pk}")
    expect(card).to_contain_text("Création de logo professionnel")
    expect(card).to_contain_text("120,00")
    expect(card).to_contain_text("TTC")
    expect(card).to_contain_text("Emma")
    shot(client, "1-catalogue")
    card.click()

    # --- orders with an extra: the total follows the ticks (AM05)
    total = client.get_by_test_id("order-total")
    expect(total).to_have_text(re.compile(r"120,00"))
    client.get_by_label("Charte graphique").check()
    expect(total).to_have_text(re.compile(r"170,00"))
    client.get_by_label("Livraison express").check()
    expect(total).to_have_text(re.compile(r"200,00"))
    client.get_by_label("Livraison express").uncheck()
    expect(total).to_have_text(re.compile(r"170,00"))
    client.get_by_label("Vos consignes pour l\u2019expert").fill("Marque : Biscuiterie Lune, couleurs bleu et or.")
    expect(client.get_by_test_id("ip-statement")).to_contain_text("propriété intellectuelle")
    shot(client, "2-offer")
    client.get_by_role("button", name="Commander et payer").click()
    expect(client.locator(".message.success")).to_contain_text("Commande passée")
    expect(client.get_by_test_id("order-state")).to_have_text("Commandée, pas commencée")
    expect(client.get_by_test_id("total")).to_contain_text("170,00")
    order = Order.objects.get()
    assert order.total_cents == 17_000

    # --- and writes to the expert (AM10)
    client.get_by_test_id("message-form").get_by_label(re.compile("^Message")).fill(
        "Bonjour Emma, je vous envoie le nom exact demain matin."
    )
    client.get_by_role("button", name="Envoyer").click()
    expect(client.get_by_test_id("messages")).to_contain_text("je vous envoie le nom exact")

    # --- the expert reads it, starts (the countdown runs) and delivers with a file (AM05, AM08)
    pro = phone(browser, browser_context_args)
    login(pro, live_server.url, "emma@example.fr")
    pro.get_by_role("link", name="Mes commandes").first.click()
    pro.get_by_test_id(f"order-{order.pk}").click()
    expect(pro.get_by_test_id("messages")).to_contain_text("je vous envoie le nom exact")
    expect(pro.get_by_test_id("messages")).to_contain_text("Biscuiterie Lune")
    pro.get_by_role("button", name="Démarrer").click()
    expect(pro.locator(".message.success")).to_contain_text("compte à rebours")
    countdown = pro.get_by_test_id("countdown")
    expect(countdown).to_have_text(re.compile(r"^4 j 23 h 59 min \d\d s$"))  # 3 days + 2 for the extra
    # and it counts down: its text changes within a second or so
    expect(countdown).not_to_have_text(countdown.text_content() or "", timeout=2_000)
    shot(pro, "3-order-in-progress")

    # the buyer's open page shows the expert's message without a reload (htmx polling)
    pro.get_by_test_id("message-form").get_by_label(re.compile("^Message")).fill(
        "Bien reçu, je commence dès maintenant."
    )
    pro.get_by_role("button", name="Envoyer").click()
    expect(pro.get_by_test_id("messages")).to_contain_text("je commence dès maintenant")
    client.clock.fast_forward(5_000)
    expect(client.get_by_test_id("messages")).to_contain_text("je commence dès maintenant")

    pro.get_by_label("Ce que vous livrez").fill("Voici trois propositions de logo.")
    pro.get_by_test_id("deliver-form").get_by_label("Fichiers (PDF ou images)").set_input_files(str(brief))
    pro.get_by_role("button", name="Livrer").click()
    expect(pro.get_by_test_id("order-state")).to_have_text("Livrée")

    # --- the buyer asks for a revision, the expert delivers again (AM05)
    client.reload()
    expect(client.get_by_test_id("order-state")).to_have_text("Livrée")
    expect(client.get_by_role("link", name=re.compile("logo-v1.pdf"))).to_be_visible()
    client.get_by_text("Demander une retouche", exact=True).click()
    client.get_by_label("Ce qui doit changer, précisément").fill("Le bleu plus foncé, et le texte en capitales.")
    client.get_by_role("button", name="Demander cette retouche").click()
    expect(client.get_by_test_id("order-state")).to_have_text("En cours")
    pro.reload()
    expect(pro.get_by_test_id("messages")).to_contain_text("Le bleu plus foncé")
    pro.get_by_label("Ce que vous livrez").fill("Version 2 : bleu nuit et capitales.")
    pro.get_by_role("button", name="Livrer").click()
    expect(pro.get_by_test_id("order-state")).to_have_text("Livrée")

    # --- the buyer accepts with a rating and a review (AM05)
    client.reload()
    client.get_by_label("5★").check()
    client.get_by_label("Votre avis").fill("Travail soigné, à l'écoute et rapide.")
    client.get_by_role("button", name="Accepter et payer l\u2019expert").click()
    expect(client.get_by_test_id("order-state")).to_have_text("Terminée")
    expect(client.get_by_test_id("conversation-closed")).to_be_visible()
    expect(client.get_by_test_id("history")).to_contain_text("Livrée → Terminée")
    shot(client, "4-order-completed")
    order.refresh_from_db()
    assert order.state == OrderState.COMPLETED and order.rating == 5

    # --- the expert's fee is pending, then withdrawable once cleared (AM12, AM16): 170 € less 10 %
    pro.goto(f"{live_server.url}/porte-monnaie/")
    expect(pro.get_by_test_id("pending")).to_contain_text("153,00")
    expect(pro.get_by_test_id("available")).to_contain_text("0,00")
    shot(pro, "5-expert-pending")
    HeldEarning.objects.filter(user=expert).update(release_at=timezone.now() - timedelta(minutes=1))
    pro.reload()
    expect(pro.get_by_test_id("available")).to_contain_text("153,00")
    expect(pro.get_by_test_id("earnings")).to_contain_text("153,00")
    shot(pro, "6-expert-cleared")


def test_am01_an_expert_publishes_an_offer_from_the_phone(
    browser: Browser, browser_context_args: dict[str, Any], live_server, expert
) -> None:
    pro = phone(browser, browser_context_args)
    login(pro, live_server.url, "emma@example.fr")
    pro.get_by_role("link", name="Mes offres").first.click()
    expect(pro.get_by_role("heading", name="Mes offres")).to_be_visible()
    pro.get_by_role("link", name="Nouvelle offre").click()
    pro.get_by_label("Type d\u2019offre").select_option("call")
    pro.get_by_label("Titre").fill("Appel conseil en comptabilité")
    pro.get_by_label("Catégorie").select_option("finance")
    pro.get_by_label("Description").fill(
        "Une heure au téléphone pour relire vos comptes annuels et répondre à vos questions."
    )
    pro.get_by_label("Prix TTC (€)").fill("2")  # below the service's minimum: shown on the field
    pro.get_by_label("Délai de livraison (jours)").fill("2")
    pro.get_by_label(re.compile("^Mots-clés")).fill("comptabilité, bilan")
    pro.get_by_label("Option 1 : nom").fill("Compte rendu écrit")
    pro.get_by_label("Option 1 : prix (€)").fill("15,50")
    pro.get_by_role("button", name="Publier").click()
    expect(pro.locator(".field.has-error")).to_contain_text("5 €")
    shot(pro, "7-offer-form-error")
    pro.get_by_label("Prix TTC (€)").fill("60")
    pro.get_by_role("button", name="Publier").click()
    expect(pro.locator(".message.success")).to_contain_text("en ligne")
    expect(pro.get_by_test_id("my-offers")).to_contain_text("Appel conseil en comptabilité")
    shot(pro, "8-my-offers")
    pro.goto(f"{live_server.url}/services/?q=bilans")
    expect(pro.get_by_test_id("offers")).to_contain_text("Appel conseil en comptabilité")
