"""Top-ups and refunds through Stripe, offline (SPEC PL01).

Outgoing calls go to a local stub of Stripe's API; incoming webhook events
are signed with a test secret and checked by the real `stripe` library.
"""

import json

import pytest
from django.db import connection
from django.test import Client

from microwork.api.tests.helpers import assert_problem
from microwork.ledger.gateways import StripeGateway
from microwork.ledger.models import AccountKind, PaymentEvent, Refund, RefundState, Topup, TopupState
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.ledger.services import system_account
from microwork.testing import api_as, make_company, run_together

from .stripe_stub import paid_session, signed_event

WEBHOOK = "/api/v1/payments/stripe/webhook"


def deliver(client: Client, event_type: str, obj: dict, *, event_id: str, secret: str | None = None):
    payload, signature = signed_event(event_type, obj, event_id=event_id, **({"secret": secret} if secret else {}))
    return client.post(WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


def start_topup(company, amount_cents: int = 50_00) -> dict:
    response = api_as(company).post("/me/topups", {"amount_cents": amount_cents}, key=f"t-{amount_cents}")
    assert response.status_code == 201, response.content
    return response.json()


def test_pl01_stripe_topup_waits_for_the_signed_webhook(db, stripe_stub, client):
    # given a company with nothing, and Stripe as the provider
    acme = make_company()
    # when it tops up 50 EUR
    topup = start_topup(acme)
    # then it is pending, with Stripe's checkout page to pay on, and nothing is credited yet
    assert topup["state"] == "pending"
    assert topup["checkout_url"].startswith("https://checkout.stripe.com/")
    assert wallet_balance(acme).funds_cents == 0
    # and the Checkout Session asked for exactly that amount, in euros, for that top-up, once
    [call] = stripe_stub.requests
    assert call["path"] == "/v1/checkout/sessions"
    assert call["form"]["line_items[0][price_data][unit_amount]"] == "5000"
    assert call["form"]["line_items[0][price_data][currency]"] == "eur"
    assert call["form"]["client_reference_id"] == f"topup:{topup['id']}"
    assert call["form"]["mode"] == "payment"
    assert call["headers"]["Authorization"] == "Bearer sk_test_microwork"
    assert call["headers"]["Idempotency-Key"] == f"microwork-topup-{topup['id']}"
    session_id = Topup.objects.get(pk=topup["id"]).provider_ref
    # when Stripe's signed webhook says the session is paid
    response = deliver(
        client, "checkout.session.completed", paid_session(session_id, topup["id"], 50_00), event_id="evt_1"
    )
    # then the funds are credited, once, and the top-up reads succeeded
    assert response.status_code == 200, response.content
    assert response.json() == {"received": True, "outcome": "top-up succeeded"}
    assert wallet_balance(acme).funds_cents == 50_00
    assert wallet_balance(acme).earnings_cents == 0
    assert api_as(acme).get(f"/me/topups/{topup['id']}").json()["state"] == "succeeded"
    assert Topup.objects.get(pk=topup["id"]).payment_ref == f"pi_{session_id}"
    assert system_account(AccountKind.GATEWAY).balance_cents == -50_00
    # and the same event again changes nothing
    again = deliver(
        client, "checkout.session.completed", paid_session(session_id, topup["id"], 50_00), event_id="evt_1"
    )
    assert again.json()["outcome"] == "already applied"
    # nor does another event for the same payment
    other = deliver(
        client,
        "checkout.session.async_payment_succeeded",
        paid_session(session_id, topup["id"], 50_00),
        event_id="evt_2",
    )
    assert other.status_code == 200
    assert wallet_balance(acme).funds_cents == 50_00
    assert ledger_audit() == []


@pytest.mark.parametrize(
    ("secret", "tamper"),
    [("whsec_someone_else", False), (None, True)],
    ids=["wrong-secret", "tampered-body"],
)
def test_pl01_unsigned_or_tampered_events_are_refused_and_change_nothing(db, stripe_stub, client, secret, tamper):
    # given a pending Stripe top-up
    acme = make_company()
    topup = start_topup(acme)
    session_id = Topup.objects.get(pk=topup["id"]).provider_ref
    payload, signature = signed_event(
        "checkout.session.completed",
        paid_session(session_id, topup["id"], 50_00),
        event_id="evt_forged",
        **({"secret": secret} if secret else {}),
    )
    if tamper:
        payload = payload.replace('"amount_total": 5000', '"amount_total": 5001')
    # when someone posts it to the webhook
    response = client.post(WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
    # then it is refused as a problem, and nothing moves
    assert_problem(response, 400, "invalid_signature")
    assert wallet_balance(acme).funds_cents == 0
    assert not PaymentEvent.objects.exists()
    # and a post with no signature at all is refused too
    assert_problem(client.post(WEBHOOK, "{}", content_type="application/json"), 400, "invalid_signature")


@pytest.mark.parametrize(
    ("event_type", "reason"),
    [("checkout.session.expired", "checkout expired"), ("checkout.session.async_payment_failed", "payment failed")],
)
def test_pl01_an_expired_or_failed_checkout_marks_the_topup_failed(db, stripe_stub, client, event_type, reason):
    acme = make_company()
    topup = start_topup(acme)
    session_id = Topup.objects.get(pk=topup["id"]).provider_ref
    session = paid_session(session_id, topup["id"], 50_00, payment_status="unpaid")
    response = deliver(client, event_type, session, event_id="evt_x")
    assert response.status_code == 200
    found = Topup.objects.get(pk=topup["id"])
    assert (found.state, found.failure_reason) == (TopupState.FAILED, reason)
    # a late "paid" for a failed top-up credits nothing
    deliver(client, "checkout.session.completed", paid_session(session_id, topup["id"], 50_00), event_id="evt_y")
    assert wallet_balance(acme).funds_cents == 0
    assert list(found.transitions.values_list("from_state", "to_state")) == [("", "pending"), ("pending", "failed")]


def test_pl01_a_bank_transfer_still_unpaid_stays_pending(db, stripe_stub, client):
    acme = make_company()
    topup = start_topup(acme)
    session_id = Topup.objects.get(pk=topup["id"]).provider_ref
    session = paid_session(session_id, topup["id"], 50_00, payment_status="unpaid")
    assert deliver(client, "checkout.session.completed", session, event_id="e1").json()["outcome"] == "awaiting payment"
    assert Topup.objects.get(pk=topup["id"]).state == TopupState.PENDING
    deliver(
        client, "checkout.session.async_payment_succeeded", paid_session(session_id, topup["id"], 50_00), event_id="e2"
    )
    assert wallet_balance(acme).funds_cents == 50_00


def test_pl01_an_amount_other_than_asked_is_never_credited(db, stripe_stub, client):
    acme = make_company()
    topup = start_topup(acme)
    session_id = Topup.objects.get(pk=topup["id"]).provider_ref
    response = deliver(client, "checkout.session.completed", paid_session(session_id, topup["id"], 1), event_id="e")
    assert response.json()["outcome"] == "amount mismatch"
    assert Topup.objects.get(pk=topup["id"]).state == TopupState.FAILED
    assert wallet_balance(acme).funds_cents == 0


def test_pl01_unknown_events_and_objects_change_nothing(db, stripe_stub, client):
    acme = make_company()
    topup = start_topup(acme)
    assert deliver(client, "customer.created", {"id": "cus_1"}, event_id="e1").json()["outcome"] == "ignored"
    # a session naming a top-up that Stripe did not create for it
    forged = paid_session("cs_other", topup["id"], 50_00)
    assert deliver(client, "checkout.session.completed", forged, event_id="e2").json()["outcome"] == "unknown checkout"
    assert deliver(client, "refund.updated", {"id": "re_nope", "status": "succeeded"}, event_id="e3").json() == {
        "received": True,
        "outcome": "unknown refund",
    }
    assert wallet_balance(acme).funds_cents == 0
    assert PaymentEvent.objects.count() == 3


def test_pl01_provider_down_is_a_503_and_charges_nothing(db, stripe_stub):
    acme = make_company()
    stripe_stub.fail_with = 500
    response = api_as(acme).post("/me/topups", {"amount_cents": 10_00})
    assert_problem(response, 503, "payment_provider_unavailable")
    assert Topup.objects.get(user=acme).state == TopupState.FAILED
    assert wallet_balance(acme).funds_cents == 0


def test_pl01_refund_through_stripe_waits_for_its_webhook(db, stripe_stub, client):
    # given a company with 50 EUR paid through Stripe
    acme = make_company()
    topup = start_topup(acme)
    session_id = Topup.objects.get(pk=topup["id"]).provider_ref
    deliver(client, "checkout.session.completed", paid_session(session_id, topup["id"], 50_00), event_id="e1")
    stripe_stub.refund_status = "pending"
    # when it asks for 20 EUR back
    response = api_as(acme).post("/me/refunds", {"amount_cents": 20_00})
    # then Stripe is asked to refund that payment, and the money is in flight
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "pending"
    refund_call = stripe_stub.requests[-1]
    assert refund_call["path"] == "/v1/refunds"
    assert refund_call["form"]["payment_intent"] == f"pi_{session_id}"
    assert refund_call["form"]["amount"] == "2000"
    assert wallet_balance(acme).funds_cents == 30_00
    assert system_account(AccountKind.REFUNDS_IN_FLIGHT).balance_cents == 20_00
    # when Stripe reports the refund succeeded
    refund_id = Refund.objects.get().parts.get().provider_ref
    assert refund_id.startswith("re_test_")
    deliver(client, "refund.updated", {"id": refund_id, "status": "succeeded"}, event_id="e2")
    # then the money has left the platform
    assert api_as(acme).get(f"/me/refunds/{response.json()['id']}").json()["state"] == "succeeded"
    assert system_account(AccountKind.REFUNDS_IN_FLIGHT).balance_cents == 0
    assert system_account(AccountKind.GATEWAY).balance_cents == -30_00
    assert ledger_audit() == []


def test_pl01_a_failed_stripe_refund_returns_the_money_to_the_funds(db, stripe_stub, client):
    acme = make_company()
    topup = start_topup(acme)
    session_id = Topup.objects.get(pk=topup["id"]).provider_ref
    deliver(client, "checkout.session.completed", paid_session(session_id, topup["id"], 50_00), event_id="e1")
    stripe_stub.refund_status = "pending"
    refund = api_as(acme).post("/me/refunds", {"amount_cents": 50_00}).json()
    assert wallet_balance(acme).funds_cents == 0
    metadata_ref = stripe_stub.requests[-1]["form"]["metadata[reference]"]
    # Stripe's event may arrive before its refund id is on record: the reference we gave finds it
    deliver(
        client,
        "refund.failed",
        {
            "id": "re_unseen",
            "status": "failed",
            "failure_reason": "expired_or_canceled_card",
            "metadata": {"reference": metadata_ref},
        },
        event_id="e2",
    )
    assert api_as(acme).get(f"/me/refunds/{refund['id']}").json()["state"] == RefundState.FAILED
    assert wallet_balance(acme).funds_cents == 50_00
    assert ledger_audit() == []


@pytest.mark.race
def test_race_pl01_one_webhook_delivered_twice_at_once_credits_once(transactional_db, stripe_stub):
    acme = make_company("race-webhook@example.fr")
    topup = start_topup(acme)
    session_id = Topup.objects.get(pk=topup["id"]).provider_ref
    payload, signature = signed_event(
        "checkout.session.completed", paid_session(session_id, topup["id"], 50_00), event_id="evt_twice"
    )

    def post() -> int:
        return (
            Client()
            .post(WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
            .status_code
        )

    answers = run_together([post] * 6)
    assert answers == [200] * 6, answers
    assert wallet_balance(acme).funds_cents == 50_00
    assert PaymentEvent.objects.count() == 1
    assert ledger_audit() == []


def test_pl01_no_provider_call_runs_inside_a_transaction(transactional_db, stripe_stub, monkeypatch):
    # given a gateway that notes whether a transaction is open when it calls Stripe
    seen: list[bool] = []
    real_checkout, real_refund = StripeGateway.start_checkout, StripeGateway.refund

    def checkout(self, **kwargs):
        seen.append(connection.in_atomic_block)
        return real_checkout(self, **kwargs)

    def refund(self, **kwargs):
        seen.append(connection.in_atomic_block)
        return real_refund(self, **kwargs)

    monkeypatch.setattr(StripeGateway, "start_checkout", checkout)
    monkeypatch.setattr(StripeGateway, "refund", refund)
    acme = make_company("tx@example.fr")
    # when a top-up starts through the API with an Idempotency-Key, is paid, and is refunded
    topup = api_as(acme).post("/me/topups", {"amount_cents": 30_00}, key="k-1").json()
    session_id = Topup.objects.get(pk=topup["id"]).provider_ref
    deliver(Client(), "checkout.session.completed", paid_session(session_id, topup["id"], 30_00), event_id="e1")
    api_as(acme).post("/me/refunds", {"amount_cents": 10_00}, key="k-2")
    # then Stripe was called twice, never from inside a database transaction
    assert seen == [False, False]
    assert json.loads(api_as(acme).get("/me/wallet").content)["funds_cents"] == 20_00


def test_pl01_a_checkout_the_provider_holds_is_never_given_up_and_a_late_payment_is_credited(db, stripe_stub, client):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from microwork.ledger.payments import ABANDONED, topups_abandon_due

    # given a bank transfer still unpaid two days after its checkout
    acme = make_company()
    topup = start_topup(acme)
    session_id = Topup.objects.get(pk=topup["id"]).provider_ref
    deliver(
        client,
        "checkout.session.completed",
        paid_session(session_id, topup["id"], 50_00, payment_status="unpaid"),
        event_id="e1",
    )
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        # then tick leaves it to the provider
        assert topups_abandon_due() == 0
    assert Topup.objects.get(pk=topup["id"]).state == TopupState.PENDING
    # and even a top-up we gave up on ourselves is credited when its payment is confirmed
    Topup.objects.filter(pk=topup["id"]).update(state=TopupState.FAILED, failure_reason=ABANDONED)
    deliver(
        client, "checkout.session.async_payment_succeeded", paid_session(session_id, topup["id"], 50_00), event_id="e2"
    )
    assert Topup.objects.get(pk=topup["id"]).state == TopupState.SUCCEEDED
    assert wallet_balance(acme).funds_cents == 50_00
    assert ledger_audit() == []


def test_pl01_a_refund_failing_after_success_brings_the_money_back(db, stripe_stub, client):
    # given a company that paid 30 EUR, then 50 EUR, and was refunded 20 EUR
    # through Stripe against the newest payment, reported succeeded
    acme = make_company()
    older = start_topup(acme, 30_00)
    older_session = Topup.objects.get(pk=older["id"]).provider_ref
    deliver(client, "checkout.session.completed", paid_session(older_session, older["id"], 30_00), event_id="e0")
    topup = start_topup(acme)
    session_id = Topup.objects.get(pk=topup["id"]).provider_ref
    deliver(client, "checkout.session.completed", paid_session(session_id, topup["id"], 50_00), event_id="e1")
    refund = api_as(acme).post("/me/refunds", {"amount_cents": 20_00}).json()
    assert refund["state"] == "succeeded"
    part = Refund.objects.get().parts.get()
    # when Stripe later says that refund failed (the card was closed)
    deliver(
        client,
        "refund.failed",
        {"id": part.provider_ref, "status": "failed", "failure_reason": "expired_or_canceled_card"},
        event_id="e2",
    )
    # then the money is back in the company's funds and the refund reads failed
    assert api_as(acme).get(f"/me/refunds/{refund['id']}").json()["state"] == "failed"
    assert wallet_balance(acme).funds_cents == 80_00
    assert system_account(AccountKind.GATEWAY).balance_cents == -80_00
    # and the same event again changes nothing
    deliver(
        client,
        "refund.failed",
        {"id": part.provider_ref, "status": "failed", "failure_reason": "expired_or_canceled_card"},
        event_id="e3",
    )
    assert wallet_balance(acme).funds_cents == 80_00
    # and the next refund goes first against the older payment, whose card still works
    api_as(acme).post("/me/refunds", {"amount_cents": 30_00})
    assert stripe_stub.requests[-1]["form"]["payment_intent"] == f"pi_{older_session}"
    assert ledger_audit() == []
