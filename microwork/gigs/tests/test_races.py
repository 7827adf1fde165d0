"""Packaged services under real concurrency (AM03, AM05, AM08, AM09, AM16).

Each test opens real parallel connections: threads released together by a
barrier (microwork.testing.run_together), each with its own client and its
own database connection. No module-level `django_db` mark: the tests ask
for `transactional_db`, and each ends by auditing the books itself.
"""

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from microwork import testing
from microwork.accounts.models import User
from microwork.gigs.models import Offer, OfferState, Order, OrderState
from microwork.ledger.models import AccountKind, HeldEarning
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.ledger.services import escrow_of, system_account
from microwork.testing import OFFER, make_offer

from .conftest import available

pytestmark = pytest.mark.race


@pytest.fixture(autouse=True)
def _books_right() -> Iterator[None]:
    """conftest's audit would run after `transactional_db` emptied the
    database; each test here audits the books itself before it ends."""
    yield


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Every call at once; none may raise."""
    results = testing.run_together(calls)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


def poster(user: User, path: str, body: Any = None) -> Callable[[], tuple[int, dict[str, Any]]]:
    """A POST to /api/v1`path` as `user`, from a client of its own, to run in a thread."""
    token = testing.api_as(user).token
    payload = json.dumps(body if body is not None else {})

    def post() -> tuple[int, dict[str, Any]]:
        response = Client().post(
            f"/api/v1{path}", payload, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        return response.status_code, response.json()

    return post


def outcomes(results: list[tuple[int, dict[str, Any]]]) -> Counter[Any]:
    return Counter(status if status < 400 else body["code"] for status, body in results)


def escrow(order: Order) -> int:
    return escrow_of(order.escrow_ref).balance_cents


@pytest.fixture
def people(transactional_db: None) -> tuple[User, User, User]:
    """A verified expert, a buyer with 500 €, and staff."""
    expert = testing.make_verified_expert("race-emma@example.fr")
    buyer = testing.make_company("race-buyer@example.fr", balance_cents=500_00)
    staff = testing.make_staff("race-staff@microwork.fr")
    return expert, buyer, staff


def delivered_order(expert: User, buyer: User, offer: Offer) -> Order:
    api = testing.api_as(buyer)
    order_id = api.post(f"/offers/{offer.pk}/orders", {}).json()["id"]
    testing.api_as(expert).post(f"/orders/{order_id}/start")
    testing.api_as(expert).post(f"/orders/{order_id}/deliveries", {"message": "Voici le logo."})
    order = Order.objects.get(pk=order_id)
    assert order.state == OrderState.DELIVERED
    return order


def test_race_am05_two_orders_at_once_with_money_for_one(people):
    # given a buyer whose balance pays exactly one order of 120 €
    expert, _buyer, _staff = people
    offer = make_offer(expert)
    buyer = testing.make_company("race-exact@example.fr", balance_cents=12_000)
    # when the buyer places two orders at the same moment
    results = run_together([poster(buyer, f"/offers/{offer.pk}/orders")] * 2)
    # then one is placed and paid, the other refused for lack of money
    assert outcomes(results) == Counter({201: 1, "insufficient_funds": 1})
    (order,) = Order.objects.all()
    assert escrow(order) == 12_000
    assert available(buyer) == 0
    assert ledger_audit() == []


def test_race_am05_two_buyers_each_paid_for_one_order(people):
    # given two buyers with exactly the price of one order each
    expert, _buyer, _staff = people
    offer = make_offer(expert)
    buyers = [testing.make_company(f"race-b{n}@example.fr", balance_cents=12_000) for n in range(2)]
    # when each places two orders at once
    results = run_together([poster(b, f"/offers/{offer.pk}/orders") for b in buyers for _ in range(2)])
    # then each gets exactly one
    assert outcomes(results) == Counter({201: 2, "insufficient_funds": 2})
    assert sorted(Order.objects.values_list("buyer_id", flat=True)) == sorted(b.pk for b in buyers)
    assert all(available(b) == 0 for b in buyers)
    assert ledger_audit() == []


def test_race_am05_am16_a_double_clicked_accept_pays_the_expert_once(people):
    # given a delivered order
    expert, buyer, _staff = people
    order = delivered_order(expert, buyer, make_offer(expert))
    # when the buyer's accept arrives four times at once
    results = run_together([poster(buyer, f"/orders/{order.pk}/accept", {"rating": 5})] * 4)
    # then the order completes once and the expert is paid once: 120 € less 10%
    assert outcomes(results) == Counter({200: 1, "wrong_state": 3})
    assert Order.objects.get(pk=order.pk).state == OrderState.COMPLETED
    assert wallet_balance(expert).pending_cents == 10_800
    assert HeldEarning.objects.filter(user=expert).count() == 1
    assert escrow(order) == 0
    assert system_account(AccountKind.REVENUE).balance_cents == 1_000
    assert ledger_audit() == []


def test_race_am09_a_dispute_racing_an_acceptance_one_wins(people):
    # given a delivered order
    expert, buyer, _staff = people
    order = delivered_order(expert, buyer, make_offer(expert))
    # when the buyer accepts while the expert disputes
    accept = poster(buyer, f"/orders/{order.pk}/accept", {"rating": 4})
    dispute = poster(expert, f"/orders/{order.pk}/dispute", {"reason": "L'acheteur demande bien plus que prévu."})
    (accepted, _), (disputed, _) = run_together([accept, dispute])
    # then exactly one wins, and the money follows the winner
    assert sorted([accepted, disputed]) == [200, 409]
    order.refresh_from_db()
    if accepted == 200:
        assert order.state == OrderState.COMPLETED
        assert (escrow(order), wallet_balance(expert).pending_cents) == (0, 10_800)
    else:
        assert order.state == OrderState.DISPUTED
        assert (escrow(order), wallet_balance(expert).pending_cents) == (12_000, 0)
    assert available(buyer) == 500_00 - 12_000
    assert ledger_audit() == []


def test_race_am09_a_staff_resolution_racing_a_late_delivery_one_outcome(people):
    # given an order the buyer disputed before its due time
    expert, buyer, staff = people
    order_id = testing.api_as(buyer).post(f"/offers/{make_offer(expert).pk}/orders", {}).json()["id"]
    testing.api_as(expert).post(f"/orders/{order_id}/start")
    reason = {"reason": "L'expert ne répond plus à mes messages."}
    assert testing.api_as(buyer).post(f"/orders/{order_id}/dispute", reason).json()["state"] == "disputed"
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        # when, past the due time, staff resolve while the expert delivers at last
        resolve = poster(staff, f"/orders/{order_id}/resolve", {"buyer_refund_cents": 5_000})
        deliver = poster(expert, f"/orders/{order_id}/deliveries", {"message": "Enfin livré."})
        results = run_together([resolve, deliver])
    # then the resolution stands and the frozen order takes no delivery
    assert outcomes(results) == Counter({200: 1, "wrong_state": 1})
    order = Order.objects.get(pk=order_id)
    assert order.state == OrderState.RESOLVED
    assert order.first_delivered_at is None
    assert escrow(order) == 0
    assert available(buyer) == 500_00 - 12_000 + 5_000
    # 70 € to the expert less 10%
    assert wallet_balance(expert).pending_cents == 6_300
    assert ledger_audit() == []


def test_race_am08_a_late_dispute_racing_the_late_delivery_one_outcome(people):
    # given an order started, its first delivery late
    expert, buyer, _staff = people
    order_id = testing.api_as(buyer).post(f"/offers/{make_offer(expert).pk}/orders", {}).json()["id"]
    testing.api_as(expert).post(f"/orders/{order_id}/start")
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        # when the buyer disputes the lateness as the expert delivers
        dispute = poster(buyer, f"/orders/{order_id}/dispute", {"reason": "Rien reçu à la date promise."})
        deliver = poster(expert, f"/orders/{order_id}/deliveries", {"message": "Livré avec un jour de retard."})
        (disputed, _), (delivered, _) = run_together([dispute, deliver])
    order = Order.objects.get(pk=order_id)
    assert disputed == 200
    if delivered == 201:
        # the delivery came first: no longer late, the dispute waits for staff, the money stays in escrow
        assert order.state == OrderState.DISPUTED
        assert order.first_delivered_at is not None
        assert escrow(order) == 12_000
        assert available(buyer) == 500_00 - 12_000
    else:
        # the dispute came first: refunded in full at once (AM08), the delivery refused
        assert delivered == 409
        assert order.state == OrderState.RESOLVED
        assert order.first_delivered_at is None
        assert escrow(order) == 0
        assert available(buyer) == 500_00
    assert wallet_balance(expert).pending_cents == 0
    assert ledger_audit() == []


def test_race_am03_two_offers_at_once_on_the_fifth_place_makes_exactly_five(people):
    # given an expert with 4 live offers
    expert, _buyer, _staff = people
    subjects = [
        ("Traduction de contrats commerciaux", "Je traduis vos contrats de l'anglais vers le français avec soin."),
        ("Audit de sécurité informatique", "Analyse des failles de votre réseau et rapport détaillé des risques."),
        ("Recrutement de développeurs", "Je sélectionne des candidats qualifiés pour vos postes techniques."),
        ("Rédaction de fiches produits", "Des descriptions vendeuses pour votre boutique en ligne, optimisées."),
    ]
    for title, description in subjects:
        make_offer(expert, title=title, description=description)
    # when two different offers are published at the same moment
    first = {**OFFER, "title": "Tenue de comptabilité", "description": "Saisie des pièces et déclarations de TVA."}
    second = {**OFFER, "title": "Montage vidéo", "description": "Des clips courts et rythmés pour vos réseaux."}
    results = run_together([poster(expert, "/offers", first), poster(expert, "/offers", second)])
    # then one takes the fifth place, the other is refused
    assert outcomes(results) == Counter({201: 1, "offer_limit_reached": 1})
    assert Offer.objects.filter(expert=expert, state=OfferState.LIVE).count() == 5
    assert ledger_audit() == []


def test_race_am03_the_same_offer_published_twice_at_once_is_created_once(people):
    # given a verified expert with no offer
    expert, _buyer, _staff = people
    # when the same offer is sent three times at once (a double click, a retry)
    results = run_together([poster(expert, "/offers", dict(OFFER))] * 3)
    # then it exists once, the copies refused as duplicates
    assert outcomes(results) == Counter({201: 1, "duplicate_offer": 2})
    assert Offer.objects.filter(expert=expert).count() == 1
    assert ledger_audit() == []


def putter(user: User, path: str, body: Any) -> Callable[[], tuple[int, dict[str, Any]]]:
    """A PUT to /api/v1`path` as `user`, from a client of its own, to run in a thread."""
    token = testing.api_as(user).token
    payload = json.dumps(body)

    def put() -> tuple[int, dict[str, Any]]:
        response = Client().put(
            f"/api/v1{path}", payload, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        return response.status_code, response.json()

    return put


def test_race_am03_two_offers_edited_at_once_into_the_same_text_one_is_refused(people):
    # given an expert with two different offers
    expert, _buyer, _staff = people
    first = make_offer(
        expert, title="Traduction de contrats", description="Vos contrats traduits avec le plus grand soin."
    )
    second = make_offer(
        expert, title="Audit de sécurité", description="Analyse des failles de votre réseau informatique."
    )
    # when both are edited at the same moment into the same offer
    results = run_together([putter(expert, f"/offers/{o.pk}", OFFER) for o in (first, second)])
    # then one edit goes through, the other is refused as a duplicate
    assert outcomes(results) == Counter({200: 1, "duplicate_offer": 1})
    assert Offer.objects.filter(expert=expert, title=OFFER["title"]).count() == 1
    assert ledger_audit() == []


def test_race_am07_a_cancel_racing_the_experts_decline_refunds_once(people):
    # given an order not yet started
    expert, buyer, _staff = people
    order_id = testing.api_as(buyer).post(f"/offers/{make_offer(expert).pk}/orders", {}).json()["id"]
    # when the buyer cancels twice and the expert declines, all at once
    cancel = poster(buyer, f"/orders/{order_id}/cancel", {"reason": "Plus besoin"})
    decline = poster(expert, f"/orders/{order_id}/decline", {"reason": "Indisponible"})
    results = run_together([cancel, cancel, decline])
    # then the order is cancelled once and the buyer refunded once
    assert outcomes(results) == Counter({200: 1, "wrong_state": 2})
    order = Order.objects.get(pk=order_id)
    assert order.state == OrderState.CANCELLED
    assert order.cancellations.count() == 1
    assert (escrow(order), available(buyer)) == (0, 500_00)
    assert ledger_audit() == []


def test_race_am09_two_staff_resolutions_at_once_one_outcome(people):
    # given a disputed order and two moderators
    expert, buyer, staff = people
    other_staff = testing.make_staff("race-staff2@microwork.fr")
    order = delivered_order(expert, buyer, make_offer(expert))
    testing.api_as(expert).post(f"/orders/{order.pk}/dispute", {"reason": "L'acheteur ne répond plus du tout."})
    # when each decides a different split at the same moment
    first = poster(staff, f"/orders/{order.pk}/resolve", {"buyer_refund_cents": 12_000})
    second = poster(other_staff, f"/orders/{order.pk}/resolve", {"buyer_refund_cents": 0})
    (a, _), (b, _) = run_together([first, second])
    # then one decision stands and the money follows it alone
    assert sorted([a, b]) == [200, 409]
    order.refresh_from_db()
    assert order.state == OrderState.RESOLVED
    if order.buyer_refund_cents == 12_000:
        assert (available(buyer), wallet_balance(expert).pending_cents) == (500_00, 0)
    else:
        assert (available(buyer), wallet_balance(expert).pending_cents) == (500_00 - 12_000, 10_800)
    assert escrow(order) == 0
    assert ledger_audit() == []
