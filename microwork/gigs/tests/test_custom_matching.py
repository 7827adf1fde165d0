"""Which experts staff are shown for a custom request (AM11): category and
words of the request first, rating as the tie-breaker; only verified
experts, never the buyer."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from microwork import testing
from microwork.gigs import services
from microwork.gigs.matching import experts_suggested, request_terms
from microwork.gigs.models import CustomRequest, Offer
from microwork.testing import make_offer

pytestmark = pytest.mark.django_db


def need(buyer, **fields):
    values = {
        "title": "Traduction de contrats commerciaux",
        "description": "Traduire trois contrats commerciaux de l'anglais vers le français, vocabulaire juridique.",
        "budget_cents": 30_000,
        "deadline": timezone.localdate() + timedelta(days=14),
        "category": "translation",
        **fields,
    }
    return services.custom_request_create(buyer=buyer, **values)


def translator(email, name, **offer):
    expert = testing.make_verified_expert(email, display_name=name)
    fields = {
        "title": "Traduction anglais français",
        "category": "translation",
        "description": "Je traduis vos documents de l'anglais vers le français avec soin et relecture.",
        "keywords": ["traduction", "anglais"],
        **offer,
    }
    make_offer(expert, **fields)
    return expert


def test_am11_category_and_words_rank_first(buyer, expert, offer):
    # `expert` sells a logo (design): neither category nor words.
    legal = translator(
        "jules@example.fr",
        "Jules",
        title="Traduction de contrats",
        keywords=["contrat", "juridique"],
        description="Contrats et documents juridiques traduits de l'anglais par une juriste.",
    )
    general = translator("nina@example.fr", "Nina")
    words_only = testing.make_verified_expert("paul@example.fr", display_name="Paul")
    make_offer(
        words_only,
        title="Relecture de contrats commerciaux",
        category="legal",
        description="Je relis vos contrats commerciaux et signale les clauses risquées.",
        keywords=["contrat", "commercial"],
    )
    suggestions = experts_suggested(need(buyer))
    order = [s.expert.pk for s in suggestions]
    assert order[:2] == [legal.pk, general.pk]
    assert order.index(words_only.pk) < order.index(expert.pk)
    assert order[-1] == expert.pk
    best = suggestions[0]
    assert best.category_offers == 1
    assert "contrats" in best.title_words
    with translation.override("fr"):
        assert best.reasons[:2] == [
            "1 offre dans la catégorie de la demande",
            "Mots dans les titres ou mots-clés des offres\u202f: traduction, contrats, juridique",
        ]
    assert suggestions[-1].score == 0


def test_am11_rating_breaks_ties(buyer, expert, other_expert):
    first = translator("a@example.fr", "Alice")
    second = translator("b@example.fr", "Bruno")
    # Bruno holds a completed order rated 5; Alice none: same score, Bruno first.
    offer = Offer.objects.get(expert=second)
    client = testing.make_company("client@example.fr", balance_cents=500_00)
    order = services.order_place(buyer=client, offer=offer)
    services.order_start(order=order, by=second)
    services.order_deliver(order=order, by=second, message="Voici la traduction.")
    services.order_accept(order=order, by=client, rating=5)
    ranked = [s.expert.pk for s in experts_suggested(need(buyer))]
    assert ranked.index(second.pk) < ranked.index(first.pk)


def test_am11_unverified_experts_and_the_buyer_are_left_out(expert, offer):
    unverified = testing.make_expert("nouveau@example.fr")
    buyer_expert = translator("vendeur@example.fr", "Vendeur")
    request = need(buyer_expert)
    ids = [s.expert.pk for s in experts_suggested(request)]
    assert expert.pk in ids
    assert unverified.pk not in ids
    assert buyer_expert.pk not in ids


def test_am11_suggestions_take_a_bounded_number_of_queries(buyer):
    for n in range(6):
        translator(f"t{n}@example.fr", f"T{n}")
    request = need(buyer)
    with CaptureQueriesContext(connection) as queries:
        suggestions = experts_suggested(request, limit=3)
    assert len(suggestions) == 3
    assert len(queries) <= 4


def test_am11_common_words_do_not_count():
    terms = request_terms(CustomRequest(title="Besoin pour une traduction", description="avec des contrats"))
    assert set(terms.values()) == {"traduction", "contrats"}
