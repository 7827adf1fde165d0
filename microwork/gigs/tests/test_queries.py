"""The catalogue and the order lists cost the same number of queries
whatever their length (AM04, AM05)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from microwork import testing
from microwork.gigs import services
from microwork.testing import make_offer


def _count(call) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200, response.json()
    return len(queries.captured_queries)


def test_am04_catalogue_queries_do_not_grow_with_offers_or_experts(db):
    anon = testing.api_as(None)
    experts = [testing.make_verified_expert(f"expert{n}@example.fr", display_name=f"E{n}") for n in range(6)]
    make_offer(
        experts[0],
        title="Logo pour boulangerie artisanale",
        description="Un logo dessiné à la main pour une boulangerie de quartier.",
    )
    make_offer(
        experts[1],
        title="Traduction de site en anglais",
        description="Je traduis les pages de votre site vitrine du français vers l'anglais.",
    )
    few = _count(lambda: anon.get("/offers"))
    few_search = _count(lambda: anon.get("/offers", q="logo"))
    for n, expert in enumerate(experts[2:], start=2):
        make_offer(
            expert,
            title=f"Logo numéro {n} pour commerce",
            description=f"Création d'un logo simple et lisible, version {n}, pour votre commerce.",
        )
        make_offer(
            expert,
            kind="call",
            title=f"Appel conseil comptable {n}",
            description=f"Une heure d'appel pour organiser la comptabilité de votre entreprise, cas {n}.",
        )
    many = _count(lambda: anon.get("/offers"))
    many_search = _count(lambda: anon.get("/offers", q="logo"))
    assert many == few
    assert many_search == few_search


def test_am05_order_list_queries_do_not_grow_with_orders(db):
    expert = testing.make_verified_expert()
    buyer = testing.make_company("buyer@example.fr", balance_cents=2_000_00)
    offer = make_offer(expert)
    api = testing.api_as(buyer)
    services.order_place(offer=offer, buyer=buyer)
    few = _count(lambda: api.get("/orders"))
    for _ in range(6):
        services.order_place(offer=offer, buyer=buyer)
    assert _count(lambda: api.get("/orders")) == few
