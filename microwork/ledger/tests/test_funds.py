"""Funds apart from earnings, and refunds out (SPEC PL01), through the API, the services and the pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from microwork.api.tests.helpers import assert_problem
from microwork.core.errors import InsufficientFunds
from microwork.ledger.models import AccountKind, Refund, RefundState
from microwork.ledger.payments import refund_request, topup_create
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.ledger.services import escrow_of, give_back, spend, system_account, transfer
from microwork.testing import api_as, earn, make_company, make_expert, make_staff, run_together, signed_in


def test_pl01_every_role_but_staff_may_top_up_into_funds(db, alice):
    # given a tasker, an expert and staff
    emma = make_expert()
    staff = make_staff()
    # when each tops up 20 EUR
    for user in (alice, emma):
        assert api_as(user).post("/me/topups", {"amount_cents": 20_00}).status_code == 201
        # then the money is funds, not earnings
        assert api_as(user).get("/me/wallet").json() == {
            "available_cents": 20_00,
            "pending_cents": 0,
            "funds_cents": 20_00,
            "earnings_cents": 0,
            "currency": "EUR",
        }
    assert_problem(api_as(staff).post("/me/topups", {"amount_cents": 20_00}), 403, "forbidden")
    assert_problem(api_as(staff).post("/me/refunds", {"amount_cents": 1}), 403, "forbidden")


def test_pl01_topped_up_money_can_never_be_paid_out(db, alice):
    # given a tasker who topped up 2,000,000 EUR and earned nothing
    topup_create(user=alice, amount_cents=1_000_000_00)
    topup_create(user=alice, amount_cents=1_000_000_00)
    api = api_as(alice)
    account = api.post("/me/payout-accounts", {"method": "paypal", "paypal_email": "alice@example.fr"}).json()
    # when she asks for a payout of any part of it
    response = api.post("/me/payouts", {"amount_cents": 10_00, "payout_account_id": account["id"]})
    # then it is refused: payouts draw on earnings only
    assert_problem(response, 409, "insufficient_funds")
    assert wallet_balance(alice).funds_cents == 2_000_000_00
    # and once she earns 10 EUR, exactly that may leave
    earn(alice, 10_00)
    assert api.post("/me/payouts", {"amount_cents": 10_00, "payout_account_id": account["id"]}).status_code == 201
    assert_problem(
        api.post("/me/payouts", {"amount_cents": 10_00, "payout_account_id": account["id"]}), 409, "insufficient_funds"
    )
    assert wallet_balance(alice).funds_cents == 2_000_000_00
    assert ledger_audit() == []


def test_pl01_spending_takes_funds_first_then_earnings(db, alice):
    # given a user with 5 EUR of funds and 10 EUR of earnings
    topup_create(user=alice, amount_cents=5_00)
    earn(alice, 10_00)
    escrow = escrow_of("order:1")
    # when she spends 12 EUR
    spend(kind="order_pay", idempotency_key="s1", payer=alice, to=[(escrow, 12_00)], ref="order:1")
    # then the funds went first, then 7 EUR of earnings
    balance = wallet_balance(alice)
    assert (balance.funds_cents, balance.earnings_cents) == (0, 3_00)
    # when 12 EUR come back from that escrow
    give_back(kind="order_refund", idempotency_key="g1", payer=alice, source=escrow, amount_cents=12_00, ref="order:1")
    # then each part returns where it came from: funds to funds, earnings to earnings
    balance = wallet_balance(alice)
    assert (balance.funds_cents, balance.earnings_cents) == (5_00, 10_00)
    # and more than she holds cannot be spent
    with pytest.raises(InsufficientFunds):
        spend(kind="order_pay", idempotency_key="s2", payer=alice, to=[(escrow, 15_01)], ref="order:1")
    assert ledger_audit() == []


def test_pl01_a_company_gets_its_unspent_funds_back_newest_top_up_first(db):
    # given a company that topped up 30 EUR then 20 EUR
    acme = make_company()
    first = topup_create(user=acme, amount_cents=30_00)
    second = topup_create(user=acme, amount_cents=20_00)
    # when it asks for 35 EUR back
    response = api_as(acme).post("/me/refunds", {"amount_cents": 35_00})
    # then the sandbox refunds at once: 20 EUR against the newest top-up, 15 against the first
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount_cents"], body["refunded_cents"], body["state"]) == (35_00, 35_00, "succeeded")
    refund = Refund.objects.get(pk=body["id"])
    assert list(refund.parts.order_by("pk").values_list("topup_id", "amount_cents")) == [
        (second.pk, 20_00),
        (first.pk, 15_00),
    ]
    assert list(refund.transitions.values_list("from_state", "to_state")) == [("", "pending"), ("pending", "succeeded")]
    # and the money left the platform through the gateway it came in by
    assert wallet_balance(acme).funds_cents == 15_00
    assert system_account(AccountKind.GATEWAY).balance_cents == -15_00
    assert system_account(AccountKind.REFUNDS_IN_FLIGHT).balance_cents == 0
    # and the refund is listed and readable by its owner only
    assert [item["id"] for item in api_as(acme).get("/me/refunds").json()["items"]] == [body["id"]]
    other = make_company("other@example.fr")
    assert_problem(api_as(other).get(f"/me/refunds/{body['id']}"), 404, "not_found")
    assert ledger_audit() == []


def test_pl01_refunds_never_exceed_unspent_funds(db, alice):
    acme = make_company(balance_cents=10_00)
    earn(acme, 5_00)
    # funds of 10 EUR beside 5 EUR of earnings: only the funds are refundable
    assert_problem(api_as(acme).post("/me/refunds", {"amount_cents": 10_01}), 409, "insufficient_funds")
    assert_problem(api_as(acme).post("/me/refunds", {"amount_cents": 0}), 422, "invalid")
    assert_problem(api_as(acme).post("/me/refunds", {"amount_cents": "ten"}), 422, "invalid")
    assert not Refund.objects.exists()
    assert api_as(acme).post("/me/refunds", {"amount_cents": 10_00}).json()["state"] == "succeeded"
    assert wallet_balance(acme).earnings_cents == 5_00
    assert ledger_audit() == []


def test_pl01_a_declined_refund_returns_the_money_to_the_funds(db, settings):
    acme = make_company(balance_cents=10_00)
    acme_topup = acme.topups.get()
    acme_topup.gateway = "declining"
    acme_topup.save(update_fields=["gateway"])
    refund = refund_request(user=acme, amount_cents=10_00)
    assert refund.state == RefundState.FAILED
    assert refund.parts.get().failure_reason == "Refund declined"
    assert wallet_balance(acme).funds_cents == 10_00
    # and a failed refund leaves the top-up refundable again
    acme_topup.gateway = "sandbox"
    acme_topup.save(update_fields=["gateway"])
    assert refund_request(user=acme, amount_cents=10_00).state == RefundState.SUCCEEDED
    assert ledger_audit() == []


@pytest.mark.race
def test_race_pl01_parallel_refunds_of_the_same_funds_pay_once(transactional_db):
    # given a company with 40 EUR of funds
    acme = make_company("race-refund@example.fr", balance_cents=40_00)
    api_token = api_as(acme).token
    from django.test import Client

    def ask() -> int:
        return (
            Client()
            .post(
                "/api/v1/me/refunds",
                '{"amount_cents": 3000}',
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {api_token}",
            )
            .status_code
        )

    # when six refunds of 30 EUR are asked at once
    answers = run_together([ask] * 6)
    # then exactly one goes through, the others are refused, and nothing goes below zero
    assert sorted(answers) == [201, 409, 409, 409, 409, 409], answers
    assert wallet_balance(acme).funds_cents == 10_00
    assert Refund.objects.count() == 1
    assert ledger_audit() == []


# --- Pages --------------------------------------------------------------------


def test_pl01_wallet_page_shows_funds_earnings_and_the_demo_notice(client, acme):
    response = signed_in(client, acme).get(reverse("ledger:wallet"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="demo-notice"' in page
    assert 'data-testid="funds">100,00' in page.replace("\u202f", "").replace("\xa0", "")
    assert reverse("ledger:refund") in page


def test_pl01_real_provider_pages_drop_the_demo_notice(client, acme, settings):
    settings.PAYMENT_GATEWAY = "stripe"
    page = signed_in(client, acme).get(reverse("ledger:wallet")).content.decode()
    assert 'data-testid="demo-notice"' not in page


def test_pl01_refund_button_sends_funds_back(client, acme):
    response = signed_in(client, acme).post(reverse("ledger:refund"), {"amount": "40,00"}, follow=True)
    assert response.status_code == 200
    assert wallet_balance(acme).funds_cents == 60_00
    assert Refund.objects.get(user=acme).state == RefundState.SUCCEEDED


def test_pl01_refund_form_refuses_more_than_the_funds(client, acme):
    response = signed_in(client, acme).post(reverse("ledger:refund"), {"amount": "100,01"})
    assert response.status_code == 400
    assert "100,00" in response.content.decode().replace("\u202f", "").replace("\xa0", "")
    assert not Refund.objects.exists()


def test_pl01_topup_form_sends_the_payer_to_the_provider_checkout(client, db, stripe_stub):
    acme = make_company()
    response = signed_in(client, acme).post(reverse("ledger:topup_start"), {"amount": "25,00", "request_key": "a" * 32})
    assert response.status_code == 302
    assert response["Location"].startswith("https://checkout.stripe.com/")
    topup = acme.topups.get()
    # the page the provider sends the payer back to shows the state, and refreshes while pending
    page = signed_in(client, acme).get(reverse("ledger:topup", args=[topup.pk]))
    assert page.status_code == 200
    assert 'data-state="pending"' in page.content.decode()
    assert page["Refresh"] == "5"
    # someone else's top-up is not found
    other = make_company("other@example.fr")
    assert signed_in(client, other).get(reverse("ledger:topup", args=[topup.pk])).status_code == 404


def test_pl01_credits_page_offers_only_earnings_for_withdrawal(client, alice):
    # given a tasker with 50 EUR put in and 20 EUR earned
    topup_create(user=alice, amount_cents=50_00)
    earn(alice, 20_00)
    # when she opens her credits page
    page = signed_in(client, alice).get(reverse("payouts:credits")).content.decode()
    page = page.replace("\u202f", "").replace("\xa0", "")
    # then 70 EUR are available, but only the 20 EUR earned may be withdrawn
    assert 'data-testid="available">70,00' in page
    assert 'data-testid="earnings">20,00' in page
    assert "20,00€" in page.split('class="ok-line"')[1].split("</p>")[0].replace(" ", "")


def test_pl01_spend_and_give_back_refuse_a_key_reused_for_another_movement(db, alice, books):
    from microwork.ledger.services import LedgerKeyReused

    topup_create(user=alice, amount_cents=10_00)
    escrow = escrow_of("mission:1")
    spend(kind="mission_reserve", idempotency_key="k1", payer=alice, to=[(escrow, 1_00)], ref="mission:1")
    give_back(kind="mission_refund", idempotency_key="k2", payer=alice, source=escrow, amount_cents=50, ref="mission:1")
    before = books()
    # the same commands again are harmless replays
    spend(kind="mission_reserve", idempotency_key="k1", payer=alice, to=[(escrow, 1_00)], ref="mission:1")
    give_back(kind="mission_refund", idempotency_key="k2", payer=alice, source=escrow, amount_cents=50, ref="mission:1")
    assert books() == before
    # the same keys for other amounts, or for another kind of movement, are refused
    with pytest.raises(LedgerKeyReused):
        spend(kind="mission_reserve", idempotency_key="k1", payer=alice, to=[(escrow, 5_00)], ref="mission:1")
    with pytest.raises(LedgerKeyReused):
        give_back(
            kind="mission_refund", idempotency_key="k2", payer=alice, source=escrow, amount_cents=40, ref="mission:1"
        )
    with pytest.raises(LedgerKeyReused):
        give_back(
            kind="mission_refund", idempotency_key="k1", payer=alice, source=escrow, amount_cents=50, ref="mission:1"
        )
    assert books() == before


def test_pl01_a_double_clicked_refund_form_refunds_once(client, acme):
    form = {"amount": "50,00", "request_key": "f" * 32}
    first = signed_in(client, acme).post(reverse("ledger:refund"), form)
    second = client.post(reverse("ledger:refund"), form)
    assert first.status_code == 302
    assert second.status_code == 400
    assert "déjà" in second.content.decode()
    assert Refund.objects.count() == 1
    assert wallet_balance(acme).funds_cents == 50_00


def test_pl01_staff_get_a_403_on_the_money_pages(client, db):
    staff = make_staff()
    signed_in(client, staff)
    assert client.get(reverse("ledger:wallet")).status_code == 403
    assert client.post(reverse("ledger:refund"), {"amount": "1"}).status_code == 403
    assert client.post(reverse("ledger:topup_start"), {"amount": "1"}).status_code == 403


def test_pl01_audit_reconciles_refunds_in_flight_with_open_refund_parts(db, acme):
    from microwork.ledger.models import RefundPart

    # given a refund done
    refund = refund_request(user=acme, amount_cents=10_00)
    assert ledger_audit() == []
    # when its record drifts back to pending while the money has left
    RefundPart.objects.filter(refund=refund).update(state=RefundState.PENDING)
    # then the audit names the difference
    assert ledger_audit() == ["refunds in flight: the ledger holds 0 cents, pending refunds add up to 1000 cents"]


def test_am16_audit_reconciles_pending_earnings_with_the_held_rows(db, emma):
    from microwork.ledger.clearing import earnings_hold
    from microwork.ledger.models import HeldEarning

    # given an expert's fee of 80 € paid out of an order's escrow, held until it clears
    escrow = escrow_of("order:test")
    transfer(
        kind="order_pay",
        idempotency_key="test-order-pay",
        source=system_account(AccountKind.GATEWAY),
        destination=escrow,
        amount_cents=80_00,
    )
    earnings_hold(
        kind="order_accept",
        idempotency_key="test-held-fee",
        earner=emma,
        amount_cents=80_00,
        source=escrow,
        release_at=timezone.now() + timedelta(days=3),
    )
    assert ledger_audit() == []
    # when the held row is marked released while the money stays pending
    HeldEarning.objects.filter(user=emma).update(released_at=timezone.now())
    # then the audit names the difference
    assert ledger_audit() == [f"user {emma.pk}: pending earnings 8000 cents, held earnings 0 cents"]
