"""The custom-order pages (AM11), as a buyer and an invited expert see them."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from microwork import testing
from microwork.accounts.models import User
from microwork.gigs import services
from microwork.gigs.models import CustomRequest, Order, Proposal

from .conftest import available

pytestmark = pytest.mark.django_db


def as_user(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    return testing.signed_in(client, user)


def soon(days: int = 10) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


@pytest.fixture
def invited(request_open, expert, staff) -> CustomRequest:
    services.custom_request_invite(request=request_open, by=staff, expert_ids=[expert.pk])
    return request_open


def test_am11_page_lists_requests_and_creates_one(buyer):
    client = as_user(buyer)
    page = client.get("/sur-mesure/")
    assert page.status_code == 200
    assert "Commandes sur-mesure" in page.content.decode()
    response = client.post(
        "/sur-mesure/",
        {
            "title": "Site vitrine",
            "description": "Un site vitrine de cinq pages pour un cabinet d'architectes.",
            "category": "it",
            "budget": "450,50",
            "deadline": soon(),
        },
    )
    created = CustomRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sur-mesure/{created.pk}/"
    assert (created.budget_cents, created.category, created.buyer_id) == (45_050, "it", buyer.pk)
    assert "Site vitrine" in client.get("/sur-mesure/").content.decode()


def test_am11_bad_request_input_shows_form_errors(buyer):
    client = as_user(buyer)
    response = client.post(
        "/sur-mesure/",
        {"title": "Site", "description": "court", "budget": "1e9", "deadline": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert not CustomRequest.objects.exists()
    past = client.post(
        "/sur-mesure/",
        {
            "title": "Site vitrine",
            "description": "Un site vitrine de cinq pages pour un cabinet d'architectes.",
            "budget": "450",
            "deadline": timezone.localdate().isoformat(),
        },
    )
    assert past.status_code == 400
    assert "un jour après aujourd" in past.content.decode()
    assert client.post("/sur-mesure/", {}).status_code == 400


def test_am11_invited_expert_sees_the_request_prefilled_and_proposes(invited, expert, buyer):
    client = as_user(expert)
    listing = client.get("/sur-mesure/").content.decode()
    assert "Logo pour une boulangerie" in listing
    page = client.get(f"/sur-mesure/{invited.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="price" value="150,00"' in html
    assert 'name="delivery_days"' in html and 'value="10"' in html
    bad = client.post(f"/sur-mesure/{invited.pk}/proposer/", {"price": "abc", "delivery_days": "0"})
    assert bad.status_code == 400
    assert not Proposal.objects.exists()
    done = client.post(
        f"/sur-mesure/{invited.pk}/proposer/", {"price": "180", "delivery_days": "7", "message": "Avec plaisir."}
    )
    assert done.status_code == 302
    proposal = Proposal.objects.get()
    assert (proposal.price_cents, proposal.delivery_days, proposal.expert_id) == (18_000, 7, expert.pk)
    again = client.get(f"/sur-mesure/{invited.pk}/").content.decode()
    assert "Votre réponse" in again and 'name="price"' not in again


def test_am11_buyer_accepts_a_proposal_and_lands_on_the_order(invited, expert, buyer):
    services.proposal_create(request=invited, by=expert, price_cents=14_000, delivery_days=4, message="Je suis là.")
    client = as_user(buyer)
    page = client.get(f"/sur-mesure/{invited.pk}/").content.decode()
    assert "Accepter" in page and "140,00" in page and "Je suis là." in page
    proposal = Proposal.objects.get()
    response = client.post(f"/sur-mesure/propositions/{proposal.pk}/accepter/")
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/commandes/{order.pk}/"
    assert order.commission_bp == 2000
    assert available(buyer) == 500_00 - 14_000
    twice = client.post(f"/sur-mesure/propositions/{proposal.pk}/accepter/")
    assert twice.status_code == 409
    assert Order.objects.count() == 1


def test_am11_short_balance_shows_the_error_and_a_top_up_link(expert, staff):
    poor = testing.make_company("poor@example.fr", balance_cents=50_00)
    found = services.custom_request_create(
        buyer=poor,
        title="Traduction d'un contrat",
        description="Un contrat de dix pages de l'anglais vers le français.",
        budget_cents=15_000,
        deadline=timezone.localdate() + timedelta(days=5),
    )
    services.custom_request_invite(request=found, by=staff, expert_ids=[expert.pk])
    proposal = services.proposal_create(request=found, by=expert, price_cents=15_000, delivery_days=3)
    response = as_user(poor).post(f"/sur-mesure/propositions/{proposal.pk}/accepter/")
    assert response.status_code == 409
    html = response.content.decode()
    assert 'href="/porte-monnaie/"' in html
    assert not Order.objects.exists()


def test_am11_others_get_404(request_open, other_expert, expert):
    # An expert not invited, another buyer: the request is not found.
    assert as_user(other_expert).get(f"/sur-mesure/{request_open.pk}/").status_code == 404
    stranger = testing.make_company("autre@example.fr")
    assert as_user(stranger).get(f"/sur-mesure/{request_open.pk}/").status_code == 404
    assert as_user(stranger).post(f"/sur-mesure/{request_open.pk}/proposer/", {"price": "10"}).status_code == 404
    assert as_user(expert).get("/sur-mesure/999999/").status_code == 404


def test_am11_pages_need_a_sign_in(request_open):
    response = Client().get(f"/sur-mesure/{request_open.pk}/")
    assert response.status_code == 302
    assert "/connexion/" in response["Location"]


def test_am11_staff_are_sent_to_their_own_page(request_open, staff):
    response = as_user(staff).get(f"/sur-mesure/{request_open.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/moderation/sur-mesure/{request_open.pk}/"


GOOD = {
    "title": "Site vitrine",
    "description": "Un site vitrine de cinq pages pour un cabinet d'architectes.",
    "budget": "450",
}


@pytest.mark.parametrize(
    "bad",
    [
        {"budget": "9999999999,99"},
        {"budget": "-5"},
        {"budget": "12,345"},
        {"title": "x" * 121},
        {"category": "astrologie"},
        {"deadline": "2026-13-45"},
        {"deadline": "demain"},
    ],
)
def test_am11_odd_input_is_a_form_error_not_a_crash(buyer, bad):
    response = as_user(buyer).post("/sur-mesure/", {**GOOD, "deadline": soon(), **bad})
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode() or "form-errors" in response.content.decode()
    assert not CustomRequest.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [{"price": "1e3"}, {"price": "0"}, {"delivery_days": "9999999999"}, {"price": "20000"}, {"message": "x" * 5001}],
)
def test_am11_odd_proposal_is_a_form_error_not_a_crash(invited, expert, bad):
    response = as_user(expert).post(
        f"/sur-mesure/{invited.pk}/proposer/", {"price": "100", "delivery_days": "3", **bad}
    )
    assert response.status_code == 400
    assert not Proposal.objects.exists()
