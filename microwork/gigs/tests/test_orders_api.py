"""An order's life through the API, rule by rule (AM05-AM10, AM12, AM14, AM16)."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from microwork import testing
from microwork.accounts.models import User
from microwork.gigs.models import Offer, Order, OrderState
from microwork.ledger.models import AccountKind
from microwork.ledger.payments import topup_create
from microwork.ledger.selectors import wallet_balance
from microwork.ledger.services import escrow_of, system_account
from microwork.ops.tick import run_due
from microwork.testing import make_offer

from .conftest import available

pytestmark = pytest.mark.django_db


def place(buyer: User, offer: Offer, **body: Any) -> dict[str, Any]:
    response = testing.api_as(buyer).post(f"/offers/{offer.pk}/orders", body)
    assert response.status_code == 201, response.json()
    return response.json()


def act(user: User, order_id: str, action: str, body: Any = None, status: int = 200) -> dict[str, Any]:
    response = testing.api_as(user).post(f"/orders/{order_id}/{action}", body)
    assert response.status_code == status, response.json()
    return response.json()


def delivered(buyer: User, expert: User, offer: Offer) -> str:
    order = place(buyer, offer)
    act(expert, order["id"], "start")
    act(expert, order["id"], "deliveries", {"message": "Voici les trois propositions."}, status=201)
    return str(order["id"])


def test_am05_order_with_extra_is_paid_into_escrow_and_opens_with_the_message(buyer, expert, offer):
    order = place(buyer, offer, extras=[1], requirements="Marque : Biscuiterie Lune, couleurs bleu et or.")
    assert order["state"] == "active"
    assert order["total_cents"] == 12_000 + 5_000
    assert order["delivery_days"] == 3 + 2
    assert order["extras"] == [{"name": "Charte graphique", "price_cents": 5_000, "extra_days": 2}]
    assert available(buyer) == 500_00 - 17_000
    messages = testing.api_as(buyer).get(f"/orders/{order['id']}/messages").json()["items"]
    assert [m["kind"] for m in messages] == ["opening", "message"]
    assert messages[0]["author_id"] == str(expert.pk)
    assert messages[0]["body"].startswith("Merci pour votre commande")


def test_am05_short_balance_is_refused_and_orders_nothing(expert, offer):
    poor = testing.make_company("poor@example.fr", balance_cents=100_00)
    response = testing.api_as(poor).post(f"/offers/{offer.pk}/orders", {})
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    assert not Order.objects.exists()
    assert available(poor) == 100_00


def test_am05_every_signed_in_user_but_staff_buys_never_from_oneself(expert, other_expert, offer, staff, alice):
    for user in (alice, other_expert):
        topup_create(user=user, amount_cents=200_00)
        assert testing.api_as(user).post(f"/offers/{offer.pk}/orders", {}).status_code == 201
    assert testing.api_as(staff).post(f"/offers/{offer.pk}/orders", {}).status_code == 403
    response = testing.api_as(expert).post(f"/offers/{offer.pk}/orders", {})
    assert response.status_code == 403


def test_am05_extras_outside_the_offer_are_refused(buyer, offer):
    response = testing.api_as(buyer).post(f"/offers/{offer.pk}/orders", {"extras": [7]})
    assert response.status_code == 422
    assert not Order.objects.exists()


def test_am06_full_flow_with_history_who_and_when(buyer, expert, offer):
    order_id = delivered(buyer, expert, offer)
    act(buyer, order_id, "revision", {"instructions": "Plus de bleu et une police plus ronde, merci."})
    act(expert, order_id, "deliveries", {"message": "Version 2 avec plus de bleu."}, status=201)
    done = act(buyer, order_id, "accept", {"rating": 5, "review": "Parfait"})
    assert done["state"] == "completed"
    moves = [(h["from_state"], h["to_state"], h["by_id"]) for h in done["history"]]
    assert moves == [
        ("", "active", str(buyer.pk)),
        ("active", "in_progress", str(expert.pk)),
        ("in_progress", "delivered", str(expert.pk)),
        ("delivered", "in_progress", str(buyer.pk)),
        ("in_progress", "delivered", str(expert.pk)),
        ("delivered", "completed", str(buyer.pk)),
    ]
    assert all(h["at"] for h in done["history"])


def test_am05_start_sets_the_due_time_from_days_and_extras(buyer, expert, offer):
    order = place(buyer, offer, extras=[0, 1])
    before = timezone.now()
    started = act(expert, order["id"], "start")
    assert started["state"] == "in_progress"
    due = Order.objects.get(pk=order["id"]).due_at
    assert timedelta(days=5) <= due - before < timedelta(days=5, minutes=1)


def test_am06_wrong_actor_and_wrong_state(buyer, expert, offer):
    order = place(buyer, offer)
    assert testing.api_as(buyer).post(f"/orders/{order['id']}/start").status_code == 403
    assert act(expert, order["id"], "deliveries", {"message": "trop tôt"}, status=409)["code"] == "wrong_state"
    assert act(buyer, order["id"], "accept", {"rating": 4}, status=409)["code"] == "wrong_state"
    act(expert, order["id"], "start")
    assert act(expert, order["id"], "start", status=409)["code"] == "wrong_state"


def test_am06_a_stranger_sees_no_order(buyer, expert, offer, alice):
    order = place(buyer, offer)
    assert testing.api_as(alice).get(f"/orders/{order['id']}").status_code == 404
    assert testing.api_as(alice).post(f"/orders/{order['id']}/messages", {"body": "hello"}).status_code == 404


def test_am12_am16_acceptance_pays_price_less_10_percent_pending_then_withdrawable(buyer, expert, offer):
    order_id = delivered(buyer, expert, offer)
    revenue_before = system_account(AccountKind.REVENUE).balance_cents
    act(buyer, order_id, "accept", {"rating": 4})
    # 120 € less 10% = 108 €, pending for 3 days (AM16); the 12 € commission is 10 € revenue and 2 € VAT.
    balance = wallet_balance(expert)
    assert (balance.pending_cents, balance.earnings_cents) == (10_800, 0)
    assert system_account(AccountKind.REVENUE).balance_cents - revenue_before == 1_000
    api = testing.api_as(expert)
    assert api.get("/me/wallet").json()["pending_cents"] == 10_800
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        # Read time releases it before any tick (the outcome never waits for the worker).
        wallet = api.get("/me/wallet").json()
        assert (wallet["pending_cents"], wallet["earnings_cents"]) == (0, 10_800)
        assert run_due()["earnings_cleared"] == 0


def test_am16_tick_clears_due_earnings(buyer, expert, offer):
    act(buyer, delivered(buyer, expert, offer), "accept", {"rating": 5})
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert run_due()["earnings_cleared"] == 0
    with time_machine.travel(timezone.now() + timedelta(days=3, seconds=5)):
        assert run_due()["earnings_cleared"] == 1
    assert wallet_balance(expert).earnings_cents == 10_800


def test_am16_the_expert_withdraws_cleared_fees_before_tick(buyer, expert, offer):
    act(buyer, delivered(buyer, expert, offer), "accept", {"rating": 5})
    api = testing.api_as(expert)
    account = api.post("/me/payout-accounts", {"method": "paypal", "paypal_email": "emma@example.fr"}).json()
    refused = api.post("/me/payouts", {"amount_cents": 5_000, "payout_account_id": account["id"]})
    assert refused.status_code == 409
    assert refused.json()["code"] == "insufficient_funds"
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        paid = api.post("/me/payouts", {"amount_cents": 5_000, "payout_account_id": account["id"]})
        assert paid.status_code == 201, paid.json()


def test_am14_the_order_states_who_owns_the_deliverable(buyer, expert, offer):
    order = place(buyer, offer)
    # The site speaks French first: the default wording comes back translated.
    assert "l\u2019acheteur est titulaire de la propriété intellectuelle" in order["intellectual_property"]
    own = make_offer(
        expert,
        title="Rédaction d'articles de blog",
        description="Des articles de blog optimisés pour le référencement naturel de votre site.",
        ip_note="L'expert garde le droit de citer le travail dans son portfolio.",
    )
    order = place(buyer, own)
    assert "portfolio" in order["intellectual_property"]


def test_am07_before_start_the_buyer_cancels_with_full_refund(buyer, expert, offer):
    order = place(buyer, offer, extras=[0])
    cancelled = act(buyer, order["id"], "cancel", {"reason": "Finalement pas besoin"})
    assert cancelled["state"] == "cancelled"
    assert available(buyer) == 500_00
    profile = testing.api_as(buyer).get(f"/orders/{order['id']}").json()
    assert profile["history"][-1]["to_state"] == "cancelled"


def test_am07_the_expert_declines_before_start_and_it_counts_on_the_profile(buyer, expert, offer):
    order = place(buyer, offer)
    assert act(expert, order["id"], "decline", {"reason": "Indisponible cette semaine"})["state"] == "cancelled"
    assert available(buyer) == 500_00
    shown = testing.api_as(None).get(f"/offers/{offer.pk}").json()
    assert shown["cancellations"] == 1


def test_am07_after_start_cancelling_needs_the_experts_agreement(buyer, expert, offer):
    order = place(buyer, offer)
    act(expert, order["id"], "start")
    refused = act(buyer, order["id"], "cancel", status=409)
    assert refused["code"] == "cancellation_needs_agreement"
    assert available(buyer) == 500_00 - 12_000
    asked = testing.api_as(expert).post(f"/orders/{order['id']}/cancellation-request", {"reason": "Je suis malade"})
    assert asked.status_code == 201
    cancelled = act(buyer, order["id"], "cancel")
    assert cancelled["state"] == "cancelled"
    assert available(buyer) == 500_00
    # The expert cancelled: it shows on the expert's record, and the buyer may edit its comment.
    assert testing.api_as(None).get(f"/offers/{offer.pk}").json()["cancellations"] == 1
    cancellation_id = asked.json()["id"]
    edited = testing.api_as(buyer).post(f"/cancellations/{cancellation_id}/evaluation", {"comment": "Prévenu à temps."})
    assert edited.status_code == 200
    assert edited.json()["evaluation"] == "Prévenu à temps."
    assert (
        testing.api_as(expert).post(f"/cancellations/{cancellation_id}/evaluation", {"comment": "x"}).status_code == 403
    )


def test_am07_a_cancellation_request_may_be_refused_and_the_order_goes_on(buyer, expert, offer):
    order = place(buyer, offer)
    act(expert, order["id"], "start")
    asked = testing.api_as(buyer).post(f"/orders/{order['id']}/cancellation-request", {"reason": "Trop long"}).json()
    assert testing.api_as(buyer).post(f"/cancellations/{asked['id']}/accept").status_code == 403
    refused = testing.api_as(expert).post(f"/cancellations/{asked['id']}/refuse")
    assert refused.json()["state"] == "refused"
    assert testing.api_as(buyer).get(f"/orders/{order['id']}").json()["state"] == "in_progress"
    assert testing.api_as(expert).post(f"/cancellations/{asked['id']}/accept").json()["code"] == "wrong_state"


def test_am08_a_late_first_delivery_lets_the_buyer_dispute_and_be_refunded(buyer, expert, offer):
    order = place(buyer, offer)
    act(expert, order["id"], "start")
    with time_machine.travel(timezone.now() + timedelta(days=3, hours=1)):
        assert testing.api_as(buyer).get(f"/orders/{order['id']}").json()["late"] is True
        assert run_due()["orders_late"] == 1
        assert run_due()["orders_late"] == 0
        disputed = act(buyer, order["id"], "dispute", {"reason": "Rien reçu à la date promise."})
    assert disputed["state"] == "resolved"
    assert disputed["buyer_refund_cents"] == 12_000
    assert available(buyer) == 500_00
    assert wallet_balance(expert).pending_cents == 0


def test_am08_after_a_first_delivery_revisions_are_not_late(buyer, expert, offer):
    order_id = delivered(buyer, expert, offer)
    act(buyer, order_id, "revision", {"instructions": "Changer la couleur du fond en blanc."})
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        assert testing.api_as(buyer).get(f"/orders/{order_id}").json()["late"] is False
        disputed = act(buyer, order_id, "dispute", {"reason": "La retouche tarde beaucoup trop."})
    assert disputed["state"] == "disputed"


def test_am09_a_dispute_freezes_the_order_until_staff_split_the_money(buyer, expert, offer, staff):
    order_id = delivered(buyer, expert, offer)
    act(expert, order_id, "dispute", {"reason": "L'acheteur ne répond plus depuis une semaine."})
    assert act(buyer, order_id, "accept", {"rating": 3}, status=409)["code"] == "wrong_state"
    assert act(expert, order_id, "deliveries", {"message": "encore"}, status=409)["code"] == "wrong_state"
    assert testing.api_as(buyer).post(f"/orders/{order_id}/messages", {"body": "Je suis là"}).status_code == 409
    assert testing.api_as(buyer).post(f"/orders/{order_id}/resolve", {"buyer_refund_cents": 0}).status_code == 403
    queue = testing.api_as(staff).get("/staff/order-disputes").json()["items"]
    assert [item["id"] for item in queue] == [order_id]
    assert act(staff, order_id, "resolve", {"buyer_refund_cents": 12_001}, status=422)["code"] == "invalid"
    resolved = act(staff, order_id, "resolve", {"buyer_refund_cents": 4_000})
    assert resolved["state"] == "resolved"
    assert available(buyer) == 500_00 - 8_000
    # 80 € to the expert less 10%: 72 €, pending.
    assert wallet_balance(expert).pending_cents == 7_200
    assert act(staff, order_id, "resolve", {"buyer_refund_cents": 0}, status=409)["code"] == "wrong_state"


def test_am10_messages_warn_on_contact_details_and_close_with_the_order(buyer, expert, offer, staff):
    order = place(buyer, offer)
    api = testing.api_as(buyer)
    plain = api.post(f"/orders/{order['id']}/messages", {"body": "Bonjour, voici le brief."})
    assert plain.status_code == 201
    assert plain.json()["warning"] is None
    for body in ("Écrivez-moi à jean.dupont@gmail.com", "Appelez le 06 12 34 56 78 demain"):
        flagged = api.post(f"/orders/{order['id']}/messages", {"body": body})
        assert flagged.status_code == 201
        assert flagged.json()["contact_flagged"] is True
        assert flagged.json()["warning"]
    shown = testing.api_as(staff).get("/staff/flagged-messages").json()["items"]
    assert len(shown) == 2
    act(expert, order["id"], "start")
    act(expert, order["id"], "deliveries", {"message": "Livré"}, status=201)
    act(buyer, order["id"], "accept", {"rating": 5})
    closed = api.post(f"/orders/{order['id']}/messages", {"body": "Merci encore"})
    assert closed.status_code == 409
    assert closed.json()["code"] == "order_closed"


def test_am10_messages_and_deliveries_carry_files_only_the_parties_download(buyer, expert, offer, alice):
    order = place(buyer, offer)
    act(expert, order["id"], "start")
    pdf = SimpleUploadedFile("logo.pdf", b"%PDF-1.4 logo", content_type="application/pdf")
    response = testing.api_as(expert).upload(
        f"/orders/{order['id']}/deliveries", {"message": "Le logo", "files": [pdf]}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "delivered"
    messages = testing.api_as(buyer).get(f"/orders/{order['id']}/messages").json()["items"]
    delivery = next(m for m in messages if m["kind"] == "delivery")
    url = delivery["files"][0]["url"].removeprefix("/api/v1")
    assert testing.api_as(buyer).get(url).status_code == 200
    assert testing.api_as(alice).get(url).status_code == 404
    bad = SimpleUploadedFile("x.html", b"<script>alert(1)</script>", content_type="text/html")
    refused = testing.api_as(buyer).upload(f"/orders/{order['id']}/messages", {"body": "voir", "files": [bad]})
    assert refused.status_code == 422


def test_am05_order_list_filters_by_state_for_each_party(buyer, expert, offer):
    first = place(buyer, offer)
    place(buyer, offer)
    act(expert, first["id"], "start")
    mine = testing.api_as(buyer).get("/orders", state="in_progress").json()["items"]
    assert [o["id"] for o in mine] == [first["id"]]
    sold = testing.api_as(expert).get("/orders").json()["items"]
    assert len(sold) == 2
    assert Order.objects.filter(state=OrderState.ACTIVE).count() == 1


def test_am05_idempotency_key_orders_once(buyer, offer):
    api = testing.api_as(buyer)
    first = api.post(f"/offers/{offer.pk}/orders", {}, key="order-1")
    second = api.post(f"/offers/{offer.pk}/orders", {}, key="order-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Order.objects.count() == 1


def test_am17_the_money_waits_in_escrow_until_the_buyer_confirms(buyer, expert, offer):
    order_id = delivered(buyer, expert, offer)
    escrow = escrow_of(f"order:{order_id}")
    escrow.refresh_from_db()
    assert escrow.balance_cents == 12_000
    assert wallet_balance(expert).pending_cents == wallet_balance(expert).earnings_cents == 0
    act(buyer, order_id, "accept", {"rating": 5})
    escrow.refresh_from_db()
    assert escrow.balance_cents == 0
    assert wallet_balance(expert).pending_cents == 10_800
