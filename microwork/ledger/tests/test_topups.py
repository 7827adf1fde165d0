import pytest
from django.core.exceptions import ImproperlyConfigured

from microwork.core.errors import Forbidden, InvalidInput
from microwork.ledger.models import AccountKind, Entry, Topup, TopupState
from microwork.ledger.payments import topup_create, topup_settle
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.ledger.services import system_account
from microwork.testing import api_as, make_company


def test_topup_credits_wallet_once_per_idempotency_key(db):
    # given a company with no balance
    acme = make_company()
    api = api_as(acme)
    # when it tops up twice with the same Idempotency-Key
    first = api.post("/me/topups", {"amount_cents": 5000}, key="topup-1")
    second = api.post("/me/topups", {"amount_cents": 5000}, key="topup-1")
    # then the wallet is credited once and the second answer replays the first
    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json() == first.json()
    assert wallet_balance(acme).available_cents == 5000
    assert api.get("/me/wallet").json() == {
        "available_cents": 5000,
        "pending_cents": 0,
        "funds_cents": 5000,
        "earnings_cents": 0,
        "currency": "EUR",
    }
    assert ledger_audit() == []


def test_sandbox_gateway_credits_the_wallet_at_once(alice):
    # given a tasker with an empty wallet and the default sandbox gateway
    # when she tops up 12.34 EUR
    topup = topup_create(user=alice, amount_cents=12_34)
    # then the top-up succeeded and the wallet holds the money, mirrored by the gateway
    assert topup.state == TopupState.SUCCEEDED
    assert topup.gateway == "sandbox"
    assert topup.provider_ref.startswith("sandbox_")
    assert topup.entry is not None
    assert topup.entry.idempotency_key == f"topup:{topup.pk}"
    assert wallet_balance(alice).available_cents == 12_34
    assert system_account(AccountKind.GATEWAY).balance_cents == -12_34
    assert ledger_audit() == []


def test_declined_topup_records_the_failure_and_moves_nothing(alice, settings, books):
    # given a gateway that declines every charge
    settings.PAYMENT_GATEWAY = "declining"
    before = books()
    # when a tasker tops up
    topup = topup_create(user=alice, amount_cents=5_00)
    # then the top-up is failed with the gateway's reason, and no money moved
    assert topup.state == TopupState.FAILED
    assert topup.failure_reason == "Card declined"
    assert topup.entry is None
    assert books() == before
    assert wallet_balance(alice).available_cents == 0


def test_unknown_gateway_is_a_configuration_error(alice, settings):
    # given a gateway name nobody registered
    settings.PAYMENT_GATEWAY = "nope"
    # when a top-up is attempted
    # then the configuration is refused before anything is recorded
    with pytest.raises(ImproperlyConfigured):
        topup_create(user=alice, amount_cents=5_00)
    assert not Topup.objects.exists()


def test_gateway_answering_twice_credits_once(alice):
    # given a top-up whose gateway answered "succeeded"
    topup = topup_create(user=alice, amount_cents=7_00)
    # when a second answer arrives, of either kind
    again = topup_settle(topup=topup, succeeded=True, provider_ref="second")
    late_failure = topup_settle(topup=topup, succeeded=False, reason="late")
    # then the first answer stands and the wallet was credited once
    assert again.entry_id == late_failure.entry_id == topup.entry_id
    assert late_failure.state == TopupState.SUCCEEDED
    assert late_failure.provider_ref == topup.provider_ref
    assert wallet_balance(alice).available_cents == 7_00
    assert Entry.objects.filter(kind="topup", ref=f"topup:{topup.pk}").count() == 1


def test_failed_topup_stays_failed(alice, settings):
    # given a declined top-up
    settings.PAYMENT_GATEWAY = "declining"
    topup = topup_create(user=alice, amount_cents=5_00)
    # when a late "succeeded" answer arrives
    again = topup_settle(topup=topup, succeeded=True, provider_ref="late")
    # then nothing is credited
    assert again.state == TopupState.FAILED
    assert wallet_balance(alice).available_cents == 0


@pytest.mark.parametrize("amount", ["zero", "negative", "over-the-limit"])
def test_topup_amount_must_be_positive_and_within_the_limit(alice, books, settings, amount):
    # given a tasker
    amount_cents = {"zero": 0, "negative": -1, "over-the-limit": settings.TOPUP_MAX_CENTS + 1}[amount]
    before = books()
    # when she tops up nothing, a negative amount, or more than the limit
    with pytest.raises(InvalidInput):
        topup_create(user=alice, amount_cents=amount_cents)
    # then nothing is recorded
    assert books() == before
    assert not Topup.objects.exists()


def test_topup_at_the_limit_is_accepted(alice, settings):
    # given the top-up limit
    # when a tasker tops up exactly that much
    topup = topup_create(user=alice, amount_cents=settings.TOPUP_MAX_CENTS)
    # then it goes through
    assert topup.state == TopupState.SUCCEEDED
    assert wallet_balance(alice).available_cents == settings.TOPUP_MAX_CENTS


def test_staff_cannot_top_up(staff, books):
    # given a staff member
    before = books()
    # when they try to top up
    with pytest.raises(Forbidden):
        topup_create(user=staff, amount_cents=5_00)
    # then nothing is recorded
    assert books() == before
    assert not Topup.objects.exists()


def test_same_request_key_charges_once(alice):
    # given a top-up made with a page form's one-time token
    first = topup_create(user=alice, amount_cents=3_00, request_key="form-token-1")
    # when the same form is posted again
    again = topup_create(user=alice, amount_cents=3_00, request_key="form-token-1")
    # then the first top-up is returned and the wallet was credited once
    assert again.pk == first.pk
    assert Topup.objects.filter(user=alice).count() == 1
    assert wallet_balance(alice).available_cents == 3_00
    # and a new token is a new top-up
    topup_create(user=alice, amount_cents=3_00, request_key="form-token-2")
    assert wallet_balance(alice).available_cents == 6_00
