"""The packaged-services pages through Django's test client, rule by rule
(AM01-AM10, AM13, AM14): status, the French the page shows, a form error
instead of a 500, and a 404 for what is someone else's."""

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from microwork import testing
from microwork.accounts.models import User
from microwork.gigs import services
from microwork.gigs.models import Cancellation, Offer, Order, OrderMessage, OrderState
from microwork.testing import make_offer

from .conftest import available

pytestmark = pytest.mark.django_db


def client_for(user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        testing.signed_in(client, user)
    return client


def text(response: Any) -> str:
    return response.content.decode()


def placed(buyer: User, offer: Offer, **kwargs: Any) -> Order:
    return services.order_place(offer=offer, buyer=buyer, **kwargs)


def delivered(buyer: User, expert: User, offer: Offer) -> Order:
    order = placed(buyer, offer)
    services.order_start(order=order, by=expert)
    return services.order_deliver(order=order, by=expert, message="Voici les trois propositions.")


def pdf(name: str = "maquette.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")


def png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "PNG")
    return SimpleUploadedFile("galerie.png", out.getvalue(), "image/png")


# --- The catalogue (AM04) -----------------------------------------------------


def test_am04_catalogue_is_public_and_finds_logo_with_logos(offer):
    response = client_for().get("/services/", {"q": "logos"})
    assert response.status_code == 200
    page = text(response)
    assert "Création de logo professionnel" in page
    assert "120,00" in page and "TTC" in page
    assert "Emma" in page
    assert "3 jours" in page
    assert f'href="/services/{offer.pk}/"' in page


def test_am04_catalogue_filters_by_category_kind_and_price_with_an_empty_state(offer):
    assert "Création de logo" in text(client_for().get("/services/", {"category": "design", "kind": "service"}))
    assert "Création de logo" in text(client_for().get("/services/", {"max_price": "120"}))
    response = client_for().get("/services/", {"max_price": "119,99"})
    assert "Création de logo" not in text(response)
    assert "Aucun service ne correspond" in text(response)
    assert "Création de logo" not in text(client_for().get("/services/", {"category": "legal"}))


def test_am04_catalogue_bad_price_is_a_form_error_not_a_500(offer):
    response = client_for().get("/services/", {"max_price": "beaucoup"})
    assert response.status_code == 400
    assert 'class="error"' in text(response)


WORDS = [
    "abricot",
    "banane",
    "cerise",
    "datte",
    "figue",
    "goyave",
    "kiwi",
    "litchi",
    "mangue",
    "nectarine",
    "olive",
    "papaye",
    "poire",
    "prune",
]


def test_am04_catalogue_pages_through_offers(db):
    experts = [testing.make_verified_expert(f"expert{n}@example.fr", display_name=f"Expert {n}") for n in range(3)]
    for n, word in enumerate(WORDS):
        make_offer(
            experts[n // 5],
            title=f"Conseil {word} sur mesure",
            description=f"Tout sur la culture de {word}, " * 3,
            keywords=[word],
        )
    first = text(client_for().get("/services/"))
    assert first.count('class="offer-card"') == 12
    cursor = first.split("cursor=")[1].split('"')[0]
    second = text(client_for().get(f"/services/?cursor={cursor}"))
    assert second.count('class="offer-card"') == 2


# --- The offer page and ordering (AM01, AM05, AM14) ---------------------------


def test_am01_offer_page_shows_extras_requirements_record_and_ip_statement(offer, buyer, expert):
    done = delivered(buyer, expert, offer)
    services.order_accept(order=done, by=buyer, rating=4, review="Très bon travail, rapide.")
    response = client_for().get(f"/services/{offer.pk}/")
    assert response.status_code == 200
    page = text(response)
    assert "Livraison express" in page and 'data-price-cents="3000"' in page
    assert 'data-base-cents="12000"' in page
    assert "propriété intellectuelle" in page
    assert "Très bon travail, rapide." in page
    assert "Se connecter pour commander" in page


def test_am14_offer_page_shows_the_experts_ip_note(expert):
    offer = make_offer(expert, ip_note="Je garde les droits sur les fichiers sources.")
    assert "Je garde les droits sur les fichiers sources." in text(client_for().get(f"/services/{offer.pk}/"))


def test_am01_withdrawn_offer_is_not_found(offer, expert):
    services.offer_withdraw(offer=offer, by=expert)
    assert client_for().get(f"/services/{offer.pk}/").status_code == 404


def test_am05_signed_out_buyer_is_sent_to_login_and_back_to_the_offer(offer):
    response = client_for().post(f"/services/{offer.pk}/commander/", {"extras": ["0"]})
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/?next=")
    assert f"/services/{offer.pk}/" in response["Location"]
    assert not Order.objects.exists()


def test_am05_order_with_an_extra_from_the_page(offer, buyer):
    response = client_for(buyer).post(
        f"/services/{offer.pk}/commander/", {"extras": ["1"], "requirements": "Couleurs bleu et or."}
    )
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/commandes/{order.pk}/"
    assert order.total_cents == 17_000
    assert available(buyer) == 500_00 - 17_000
    page = text(client_for(buyer).get(f"/commandes/{order.pk}/"))
    assert "Charte graphique" in page and "170,00" in page
    assert "Couleurs bleu et or." in page
    assert "Merci pour votre commande" in page


def test_am05_short_balance_shows_the_error_and_a_top_up_link(offer):
    poor = testing.make_company("poor@example.fr", balance_cents=100_00)
    response = client_for(poor).post(f"/services/{offer.pk}/commander/", {"extras": ["0"]})
    assert response.status_code == 400
    page = text(response)
    assert 'data-testid="order-error"' in page
    assert 'href="/porte-monnaie/"' in page and 'data-testid="topup-link"' in page
    assert not Order.objects.exists()


def test_am05_unknown_extra_is_a_form_error(offer, buyer):
    response = client_for(buyer).post(f"/services/{offer.pk}/commander/", {"extras": ["7"]})
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_am05_expert_cannot_order_own_offer_and_sees_a_form_error(offer, expert):
    response = client_for(expert).post(f"/services/{offer.pk}/commander/", {})
    assert response.status_code == 400
    assert not Order.objects.exists()


# --- The expert's public page (AM07) --------------------------------------------


def test_am07_expert_page_shows_record_offers_reviews_and_cancellations_with_comment(offer, buyer, expert):
    order = placed(buyer, offer)
    services.order_decline(order=order, by=expert, reason="Pas disponible cette semaine.")
    cancellation = Cancellation.objects.get()
    services.cancellation_evaluate(cancellation=cancellation, by=buyer, comment="Refus poli et rapide.")
    response = client_for().get(f"/experts/{expert.pk}/")
    assert response.status_code == 200
    page = text(response)
    assert "Emma" in page and "Création de logo professionnel" in page
    assert "Pas disponible cette semaine." in page and "Refus poli et rapide." in page


def test_am07_a_non_expert_has_no_expert_page(buyer):
    assert client_for().get(f"/experts/{buyer.pk}/").status_code == 404


# --- My orders and the order page (AM05-AM10) -------------------------------------


def test_am06_my_orders_lists_by_side_and_state(offer, buyer, expert):
    order = placed(buyer, offer)
    row = f'data-testid="order-{order.pk}"'
    page = text(client_for(buyer).get("/commandes/"))
    assert row in page and "Emma" in page and "120,00" in page and "Commandée, pas commencée" in page
    assert row not in text(client_for(buyer).get("/commandes/?cote=acheteur&etat=completed"))
    assert row in text(client_for(expert).get("/commandes/?cote=expert&etat=active"))
    assert row not in text(client_for(expert).get("/commandes/?cote=acheteur"))


def test_am05_stranger_gets_404_on_someone_elses_order_and_its_files(offer, buyer, expert, alice):
    order = placed(buyer, offer)
    message = services.message_post(order=order, by=buyer, body="Le brief", files=[pdf()])
    file_id = message.files.get().pk
    stranger = client_for(alice)
    assert stranger.get(f"/commandes/{order.pk}/").status_code == 404
    assert stranger.get(f"/commandes/{order.pk}/messages/").status_code == 404
    assert stranger.get(f"/commandes/{order.pk}/fichiers/{file_id}/").status_code == 404
    assert stranger.post(f"/commandes/{order.pk}/demarrer/").status_code == 404
    assert client_for().get(f"/commandes/{order.pk}/").status_code == 302


def test_am05_staff_see_an_order_read_only(offer, buyer, staff):
    order = placed(buyer, offer)
    page = text(client_for(staff).get(f"/commandes/{order.pk}/"))
    assert 'data-testid="read-only"' in page
    assert 'data-testid="message-form"' not in page


def test_am05_to_am08_start_deliver_revise_accept_through_the_page(offer, buyer, expert):
    order = placed(buyer, offer)
    as_expert, as_buyer = client_for(expert), client_for(buyer)
    assert "Démarrer" in text(as_expert.get(f"/commandes/{order.pk}/"))
    as_expert.post(f"/commandes/{order.pk}/demarrer/")
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS
    page = text(as_buyer.get(f"/commandes/{order.pk}/"))
    due = page.split('data-due="')[1].split('"')[0]
    assert datetime.fromisoformat(due) == order.due_at
    # an empty delivery is a form error, not a 500
    assert as_expert.post(f"/commandes/{order.pk}/livrer/", {"message": ""}).status_code == 400
    response = as_expert.post(f"/commandes/{order.pk}/livrer/", {"message": "Voici le logo.", "attachments": [pdf()]})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == OrderState.DELIVERED
    # instructions too short: the service's refusal shows on the field
    response = as_buyer.post(f"/commandes/{order.pk}/revision/", {"instructions": "Non."})
    assert response.status_code == 400 and "10 caractères" in text(response)
    as_buyer.post(f"/commandes/{order.pk}/revision/", {"instructions": "Le bleu plus foncé, s'il vous plaît."})
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS
    as_expert.post(f"/commandes/{order.pk}/livrer/", {"message": "Version 2."})
    assert as_buyer.post(f"/commandes/{order.pk}/accepter/", {"rating": "9"}).status_code == 400
    as_buyer.post(f"/commandes/{order.pk}/accepter/", {"rating": "5", "review": "Parfait."})
    order.refresh_from_db()
    assert order.state == OrderState.COMPLETED and order.rating == 5
    page = text(as_buyer.get(f"/commandes/{order.pk}/"))
    assert "Parfait." in page and 'data-testid="conversation-closed"' in page
    assert 'data-testid="message-form"' not in page
    assert "En cours" in page  # the history's human labels


def test_am06_a_wrong_state_action_says_why_on_the_page(offer, buyer, expert):
    order = placed(buyer, offer)
    response = client_for(buyer).post(f"/commandes/{order.pk}/demarrer/", follow=True)
    assert response.status_code == 200
    assert 'class="message error"' in text(response)


def test_am07_buyer_cancels_before_start_and_is_refunded(offer, buyer):
    order = placed(buyer, offer)
    client_for(buyer).post(f"/commandes/{order.pk}/annuler/", {"cancel-reason": "Plus besoin."})
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert available(buyer) == 500_00


def test_am07_after_start_a_cancellation_needs_the_other_party(offer, buyer, expert):
    order = placed(buyer, offer)
    services.order_start(order=order, by=expert)
    response = client_for(buyer).post(f"/commandes/{order.pk}/demander-annulation/", {"cancellation-reason": "Non"})
    assert response.status_code == 400
    client_for(buyer).post(f"/commandes/{order.pk}/demander-annulation/", {"cancellation-reason": "Projet abandonné."})
    page = text(client_for(expert).get(f"/commandes/{order.pk}/"))
    assert "Projet abandonné." in page and "Accepter l\u2019annulation" in page
    client_for(expert).post(f"/commandes/{order.pk}/accepter-annulation/")
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert available(buyer) == 500_00


def test_am09_dispute_freezes_the_conversation(offer, buyer, expert):
    order = delivered(buyer, expert, offer)
    client_for(buyer).post(f"/commandes/{order.pk}/contester/", {"dispute-reason": "Le logo ne correspond pas."})
    order.refresh_from_db()
    assert order.state == OrderState.DISPUTED
    page = text(client_for(expert).get(f"/commandes/{order.pk}/"))
    assert 'data-testid="conversation-closed"' in page and "gelée" in page


# --- The conversation (AM10) -----------------------------------------------------


def test_am10_message_with_contact_details_warns_its_author(offer, buyer, expert):
    order = placed(buyer, offer)
    response = client_for(buyer).post(
        f"/commandes/{order.pk}/message/", {"body": "Écrivez-moi à jean@exemple.fr"}, follow=True
    )
    assert response.status_code == 200
    assert "adresse e-mail ou un numéro de téléphone" in text(response)
    assert OrderMessage.objects.filter(contact_flagged=True).count() == 1
    assert 'data-testid="contact-warning"' not in text(client_for(expert).get(f"/commandes/{order.pk}/messages/"))


def test_am10_conversation_partial_and_file_download_as_attachment(offer, buyer, expert):
    order = placed(buyer, offer)
    client_for(buyer).post(
        f"/commandes/{order.pk}/message/", {"body": "Voici le brief", "attachments": [pdf("brief.pdf")]}
    )
    partial = client_for(expert).get(f"/commandes/{order.pk}/messages/", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "Voici le brief" in text(partial) and "<html" not in text(partial)
    file_id = OrderMessage.objects.get(body="Voici le brief").files.get().pk
    download = client_for(expert).get(f"/commandes/{order.pk}/fichiers/{file_id}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert "brief.pdf" in download["Content-Disposition"]


def test_am10_empty_message_and_bad_file_are_form_errors(offer, buyer):
    order = placed(buyer, offer)
    assert client_for(buyer).post(f"/commandes/{order.pk}/message/", {"body": ""}).status_code == 400
    bad = SimpleUploadedFile("virus.exe", b"MZ\x90\x00 not a pdf", "application/pdf")
    response = client_for(buyer).post(f"/commandes/{order.pk}/message/", {"body": "x", "attachments": [bad]})
    assert response.status_code == 400
    assert not OrderMessage.objects.filter(body="x").exists()


# --- The expert's offers (AM01-AM03, AM13) -----------------------------------------

OFFER_FORM = {
    "kind": "service",
    "title": "Traduction de site web",
    "category": "translation",
    "description": "Je traduis votre site du français vers l'anglais, relecture comprise.",
    "price": "80,00",
    "delivery_days": "4",
    "keywords": "traduction, anglais",
    "extra_1_name": "Relecture par un second traducteur",
    "extra_1_price": "25",
    "extra_1_days": "1",
    "opening_message": "Envoyez-moi le lien du site.",
    "ip_note": "",
    "video_url": "",
}


def test_am01_expert_publishes_an_offer_with_an_extra_and_an_image(expert):
    response = client_for(expert).post("/mes-offres/nouvelle/", {**OFFER_FORM, "image": png()})
    assert response.status_code == 302, text(response)
    offer = Offer.objects.get(title="Traduction de site web")
    assert offer.price_cents == 8_000 and offer.keywords == ["traduction", "anglais"]
    assert [(e.name, e.price_cents, e.extra_days) for e in offer.extras.all()] == [
        ("Relecture par un second traducteur", 2_500, 1)
    ]
    assert offer.images.count() == 1
    page = text(client_for(expert).get("/mes-offres/"))
    assert "Traduction de site web" in page and "Retirer" in page


def test_am01_bad_offer_fields_are_form_errors(expert):
    response = client_for(expert).post("/mes-offres/nouvelle/", {**OFFER_FORM, "price": "2"})
    assert response.status_code == 400
    page = text(response)
    assert "5 €" in page  # the service's price rule, on the price field
    assert not Offer.objects.exists()
    response = client_for(expert).post("/mes-offres/nouvelle/", {**OFFER_FORM, "video_url": "https://exemple.fr/v"})
    assert response.status_code == 400 and "YouTube" in text(response)


def test_am01_expert_edits_and_withdraws_an_offer(offer, expert, other_expert):
    assert client_for(other_expert).get(f"/mes-offres/{offer.pk}/modifier/").status_code == 404
    page = text(client_for(expert).get(f"/mes-offres/{offer.pk}/modifier/"))
    assert "Création de logo professionnel" in page and "Livraison express" in page
    response = client_for(expert).post(
        f"/mes-offres/{offer.pk}/modifier/",
        {
            **OFFER_FORM,
            "title": "Création de logo premium",
            "description": offer.description,
            "extra_1_name": "",
            "extra_1_price": "",
            "extra_1_days": "",
        },
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.title == "Création de logo premium" and offer.extras.count() == 0
    client_for(expert).post(f"/mes-offres/{offer.pk}/retirer/")
    offer.refresh_from_db()
    assert offer.state == "withdrawn"


def test_am03_a_sixth_offer_is_refused_on_the_form(expert):
    for n in range(5):
        make_offer(expert, title=f"Offre {n} bien distincte", description=f"Sujet {n} " + "mot " * 10 + f"fin{n}" * 3)
    response = client_for(expert).post("/mes-offres/nouvelle/", OFFER_FORM)
    assert response.status_code == 400
    assert "5 offres" in text(response)


def test_am13_unverified_expert_sees_why_they_cannot_sell(db):
    newcomer = testing.make_user("nouveau@example.fr", role="expert", display_name="Nina", siret=testing.EXPERT_SIRET)
    page = text(client_for(newcomer).get("/mes-offres/"))
    assert 'data-testid="cannot-sell"' in page and "experts vérifiés" in page
    response = client_for(newcomer).post("/mes-offres/nouvelle/", OFFER_FORM)
    assert response.status_code == 400
    assert not Offer.objects.exists()


def test_am01_my_offers_is_for_experts_only(buyer):
    assert client_for(buyer).get("/mes-offres/").status_code == 403


def test_navigation_shows_services_orders_and_offers_by_role(expert, buyer, staff):
    assert 'href="/services/"' in text(client_for().get("/services/"))
    buyer_page = text(client_for(buyer).get("/tableau-de-bord/"))
    assert 'href="/commandes/"' in buyer_page and 'href="/mes-offres/"' not in buyer_page
    assert 'href="/mes-offres/"' in text(client_for(expert).get("/tableau-de-bord/"))
    assert 'href="/commandes/"' not in text(client_for(staff).get("/tableau-de-bord/"))


def test_am08_late_first_delivery_says_so_and_the_buyer_disputes_for_a_full_refund(offer, buyer, expert):
    order = placed(buyer, offer)
    services.order_start(order=order, by=expert)
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        page = text(client_for(buyer).get(f"/commandes/{order.pk}/"))
        assert 'data-testid="late"' in page and "en retard" in page
        client_for(buyer).post(f"/commandes/{order.pk}/contester/", {"dispute-reason": "Rien reçu à la date prévue."})
    order.refresh_from_db()
    assert order.state == OrderState.RESOLVED
    assert available(buyer) == 500_00


def test_am07_refused_cancellation_goes_on_and_a_done_one_can_be_commented(offer, buyer, expert):
    order = placed(buyer, offer)
    services.order_start(order=order, by=expert)
    services.cancellation_request(order=order, by=expert, reason="Je suis malade cette semaine.")
    client_for(buyer).post(f"/commandes/{order.pk}/refuser-annulation/")
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS
    other = placed(buyer, offer)
    services.order_decline(order=other, by=expert, reason="Complet ce mois-ci.")
    cancellation = Cancellation.objects.get(order=other)
    page = text(client_for(buyer).get(f"/commandes/{other.pk}/"))
    assert f"/commandes/{other.pk}/annulations/{cancellation.pk}/evaluation/" in page
    response = client_for(buyer).post(
        f"/commandes/{other.pk}/annulations/{cancellation.pk}/evaluation/", {"comment": "Prévenu à temps, merci."}
    )
    assert response.status_code == 302
    assert "Prévenu à temps, merci." in text(client_for().get(f"/experts/{expert.pk}/"))
    # the cancelling party does not comment on their own cancellation
    response = client_for(expert).post(
        f"/commandes/{other.pk}/annulations/{cancellation.pk}/evaluation/", {"comment": "Tout va bien."}
    )
    assert response.status_code == 400
    cancellation.refresh_from_db()
    assert cancellation.evaluation == "Prévenu à temps, merci."


def test_am10_the_conversation_polls_only_while_the_order_is_open(offer, buyer, expert):
    order = placed(buyer, offer)
    assert 'hx-trigger="every 5s"' in text(client_for(buyer).get(f"/commandes/{order.pk}/"))
    services.order_cancel(order=order, by=buyer)
    assert "hx-trigger" not in text(client_for(buyer).get(f"/commandes/{order.pk}/"))


def test_am06_a_form_for_a_step_already_past_says_why_on_top(offer, buyer, expert):
    order = delivered(buyer, expert, offer)
    services.order_accept(order=order, by=buyer, rating=5)
    response = client_for(buyer).post(
        f"/commandes/{order.pk}/revision/", {"instructions": "Encore une petite retouche svp."}, follow=True
    )
    assert response.status_code == 200
    assert 'class="message error"' in text(response) and "retouchée" in text(response)
    assert client_for(buyer).post(f"/commandes/{order.pk}/inconnue/").status_code == 404


def test_am04_pages_speak_english_too(offer, buyer):
    english = client_for(buyer)
    english.cookies["django_language"] = "en"
    page = text(english.get("/services/", {"q": "logos"}))
    assert "Expert services" in page and "incl. VAT" in page and "Création de logo professionnel" in page
    order = placed(buyer, offer)
    assert "Ordered, not started" in text(english.get(f"/commandes/{order.pk}/"))


def test_am10_polling_stops_once_the_order_is_over_and_a_signed_out_poll_reloads(offer, buyer):
    order = placed(buyer, offer)
    services.order_cancel(order=order, by=buyer)
    assert client_for(buyer).get(f"/commandes/{order.pk}/messages/").status_code == 286
    signed_out = client_for().get(f"/commandes/{order.pk}/messages/", headers={"HX-Request": "true"})
    assert signed_out.status_code == 200 and signed_out["HX-Refresh"] == "true"
    assert client_for().get(f"/commandes/{order.pk}/messages/").status_code == 302
