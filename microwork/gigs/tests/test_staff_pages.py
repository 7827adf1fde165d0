"""Staff's packaged-services pages: custom requests to match (AM11), order
disputes to decide (AM09), messages carrying contact details (AM10)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from microwork import testing
from microwork.accounts.models import User
from microwork.gigs import services
from microwork.gigs.models import CustomRequest, Invitation, Order, OrderState
from microwork.ledger.selectors import wallet_balance
from microwork.notifications.models import Notice
from microwork.testing import make_offer

from .conftest import available

pytestmark = pytest.mark.django_db


def as_user(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    return testing.signed_in(client, user)


@pytest.fixture
def tasker(db: None) -> User:
    return testing.make_tasker("tom@example.fr", "+33612345678")


@pytest.fixture
def custom_request(buyer) -> CustomRequest:
    return services.custom_request_create(
        buyer=buyer,
        title="Logo pour une boulangerie",
        description="Un logo simple et chaleureux pour notre boulangerie, avec une version en noir et blanc.",
        budget_cents=15_000,
        deadline=timezone.localdate() + timedelta(days=10),
        category="design",
    )


@pytest.fixture
def disputed(buyer, expert, offer) -> Order:
    order = services.order_place(buyer=buyer, offer=offer)
    services.order_start(order=order, by=expert)
    services.message_post(
        order=order,
        by=expert,
        body="Premier jet en pièce jointe.",
        files=[SimpleUploadedFile("croquis.pdf", b"%PDF-1.4 croquis", content_type="application/pdf")],
    )
    services.order_deliver(order=order, by=expert, message="Voici le logo.")
    services.order_dispute(order=order, by=buyer, reason="Le logo ne ressemble pas à la demande.")
    return order


STAFF_PAGES = [
    "/moderation/sur-mesure/",
    "/moderation/litiges-commandes/",
    "/moderation/messages-signales/",
]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_am09_am11_staff_pages_refuse_others(path, tasker, buyer, expert):
    for user in (tasker, buyer, expert):
        assert as_user(user).get(path).status_code == 403
    assert Client().get(path).status_code == 302


def test_am11_staff_queue_lists_open_requests_oldest_first(staff, buyer, custom_request):
    newer = services.custom_request_create(
        buyer=buyer,
        title="Traduction d'une plaquette",
        description="Une plaquette commerciale de quatre pages à traduire en anglais.",
        budget_cents=20_000,
        deadline=timezone.localdate() + timedelta(days=7),
    )
    html = as_user(staff).get("/moderation/sur-mesure/").content.decode()
    html = html[html.index("<main") :]  # the bell above lists the newest notices
    assert "Demandes sur-mesure à attribuer" in html
    assert html.index(custom_request.title) < html.index(newer.title.replace("'", "&#x27;"))


def test_am11_staff_page_suggests_and_invites(staff, expert, other_expert, custom_request, tasker):
    make_offer(expert)  # a logo, in design: Emma first
    client = as_user(staff)
    page = client.get(f"/moderation/sur-mesure/{custom_request.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    html = html[html.index("<main") :]
    assert "Experts suggérés" in html
    assert html.index("Emma") < html.index("Hugo")
    assert "1 offre dans la catégorie de la demande" in html
    assert as_user(tasker).get(f"/moderation/sur-mesure/{custom_request.pk}/").status_code == 403
    empty = client.post(f"/moderation/sur-mesure/{custom_request.pk}/inviter/", {})
    assert empty.status_code == 400
    assert "Cochez au moins un expert." in empty.content.decode()
    stranger = client.post(f"/moderation/sur-mesure/{custom_request.pk}/inviter/", {"experts": ["999999"]})
    assert stranger.status_code == 400
    junk = client.post(f"/moderation/sur-mesure/{custom_request.pk}/inviter/", {"experts": ["abc", "1e9"]})
    assert junk.status_code == 400
    done = client.post(f"/moderation/sur-mesure/{custom_request.pk}/inviter/", {"experts": [str(expert.pk)]})
    assert done.status_code == 302
    assert list(Invitation.objects.values_list("expert_id", flat=True)) == [expert.pk]
    assert Notice.objects.filter(user=expert, kind="custom_invitation").exists()
    after = client.get(f"/moderation/sur-mesure/{custom_request.pk}/").content.decode()
    assert "Invitations et propositions" in after and "Pas encore de proposition." in after


def test_am11_staff_page_shows_proposals_and_a_closed_request(staff, buyer, expert, custom_request):
    services.custom_request_invite(request=custom_request, by=staff, expert_ids=[expert.pk])
    proposal = services.proposal_create(
        request=custom_request, by=expert, price_cents=13_500, delivery_days=4, message="Trois pistes."
    )
    services.proposal_accept(proposal=proposal, by=buyer)
    html = as_user(staff).get(f"/moderation/sur-mesure/{custom_request.pk}/").content.decode()
    assert "135,00" in html and "Trois pistes." in html and "Acceptée" in html
    assert "Experts suggérés" not in html
    assert as_user(staff).get("/moderation/sur-mesure/999999/").status_code == 404


def test_am09_dispute_queue_and_page_show_the_whole_order(staff, disputed, tasker):
    client = as_user(staff)
    queue = client.get("/moderation/litiges-commandes/").content.decode()
    assert "Litiges de commandes" in queue and disputed.title in queue
    page = client.get(f"/moderation/litiges-commandes/{disputed.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Premier jet en pièce jointe." in html and "croquis.pdf" in html
    assert "Voici le logo." in html
    assert "120,00" in html
    # 10% of 120 € kept: the expert would receive 108 €.
    assert "108,00" in html
    assert "Historique" in html and "En cours →" in html and "in_progress" not in html
    file_id = disputed.messages.get(body="Premier jet en pièce jointe.").files.get().pk
    download = client.get(f"/moderation/litiges-commandes/{disputed.pk}/fichiers/{file_id}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 croquis"
    assert as_user(tasker).get(f"/moderation/litiges-commandes/{disputed.pk}/").status_code == 403
    assert (
        as_user(disputed.buyer).get(f"/moderation/litiges-commandes/{disputed.pk}/fichiers/{file_id}/").status_code
        == 403
    )


def test_am09_staff_decide_a_partial_refund(staff, buyer, expert, disputed):
    client = as_user(staff)
    url = f"/moderation/litiges-commandes/{disputed.pk}/decider/"
    too_much = client.post(url, {"refund": "500"})
    assert too_much.status_code == 400
    assert "Remboursement entre 0 et" in too_much.content.decode()
    assert client.post(url, {"refund": "abc"}).status_code == 400
    assert client.post(url, {"refund": "1e9"}).status_code == 400
    assert client.post(url, {"refund": "-1"}).status_code == 400
    assert client.post(url, {}).status_code == 400
    assert as_user(buyer).post(url, {"refund": "120"}).status_code == 403
    before = available(buyer)
    done = client.post(url, {"refund": "40,00", "reason": "Livrable en partie conforme."})
    assert done.status_code == 302
    disputed.refresh_from_db()
    assert disputed.state == OrderState.RESOLVED
    assert available(buyer) == before + 4_000
    # 80 € to the expert less 10%: 72 €.
    assert wallet_balance(expert).pending_cents == 7_200
    html = client.get(f"/moderation/litiges-commandes/{disputed.pk}/").content.decode()
    assert "Tranché" in html and "72,00" in html
    assert client.post(url, {"refund": "0"}).status_code == 400


def test_am09_a_live_order_is_no_dispute(staff, buyer, offer):
    order = services.order_place(buyer=buyer, offer=offer)
    assert as_user(staff).get(f"/moderation/litiges-commandes/{order.pk}/").status_code == 404


def test_am10_flagged_messages_link_to_their_orders(staff, buyer, expert, offer):
    order = services.order_place(buyer=buyer, offer=offer)
    services.message_post(order=order, by=buyer, body="Écrivez-moi à jean.dupont@example.fr pour en parler.")
    services.message_post(order=order, by=buyer, body="Merci, à bientôt.")
    html = as_user(staff).get("/moderation/messages-signales/").content.decode()
    assert "Messages signalés" in html
    assert "jean.dupont@example.fr" in html
    assert "à bientôt" not in html
    assert f'href="/commandes/{order.pk}/"' in html


def test_am09_decision_preview_shows_each_share(staff, disputed, tasker):
    client = as_user(staff)
    url = f"/moderation/litiges-commandes/{disputed.pk}/partage/"
    html = client.get(url, {"refund": "40"}, HTTP_HX_REQUEST="true").content.decode()
    # 80 € left: 72 € to the expert, 8 € to the platform.
    assert "40,00" in html and "72,00" in html and "8,00" in html
    for bad in ("500", "abc", ""):
        response = client.get(url, {"refund": bad})
        assert response.status_code == 200
        assert "Saisissez un remboursement entre 0 et" in response.content.decode()
    assert as_user(tasker).get(url, {"refund": "40"}).status_code == 403
