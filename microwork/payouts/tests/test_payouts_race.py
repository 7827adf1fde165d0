"""Parallel payout requests on one wallet (HM16, AM15): never beyond the balance.

Also: parallel "make default" clicks, and parallel gift-voucher requests on a
small stock.

Real parallel connections: threads released together by a barrier, each with
its own client, each closing its database connection at the end. Runs on
SQLite (writers queue on the database lock) and on PostgreSQL (the wallet's
row lock inside the posting serialises them).
"""

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from microwork.ledger.models import Account, AccountKind
from microwork.ledger.selectors import ledger_audit
from microwork.payouts import services
from microwork.payouts.models import Payout, PayoutAccount, PayoutState, VoucherCode, VoucherState
from microwork.testing import api_as, make_expert, make_staff, make_tasker, run_together

from .conftest import available, fund, stock_vouchers

pytestmark = pytest.mark.race


def poster(token: str, body: dict[str, Any]) -> Callable[[], tuple[int, dict]]:
    def post() -> tuple[int, dict]:
        response = Client().post(
            "/api/v1/me/payouts",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        return response.status_code, response.json()

    return post


def outcomes(results: list[tuple[int, dict]]) -> Counter:
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return Counter(status if status < 400 else body["code"] for status, body in results)


def test_race_hm16_six_parallel_requests_of_10_eur_on_30_eur(transactional_db):
    # given a tasker with 30 EUR and a PayPal account
    tasker = make_tasker("racer@example.fr", "+33612000001")
    fund(tasker, 30_00)
    account = services.payout_account_create(user=tasker, method="paypal", paypal_email="racer@paypal.example")
    token = api_as(tasker).token
    body = {"amount_cents": 10_00, "payout_account_id": str(account.pk)}

    # when 6 requests of 10 EUR arrive at the same moment
    results = run_together([poster(token, body) for _ in range(6)])

    # then exactly 3 go through and 3 are refused for lack of funds
    assert outcomes(results) == Counter({201: 3, "insufficient_funds": 3})
    assert available(tasker) == 0
    assert Payout.objects.filter(user=tasker, state=PayoutState.REQUESTED).count() == 3
    assert Account.objects.get(owner=tasker, kind=AccountKind.WALLET).balance_cents == 0
    assert not Account.objects.filter(balance_cents__lt=0, may_go_negative=False).exists()
    assert ledger_audit() == []


def test_race_am15_expert_parallel_requests_never_overdraw(transactional_db):
    # given an expert with 50 EUR asking 7 times 12,34 EUR at once (only 4 fit)
    expert = make_expert("race-emma@example.fr")
    fund(expert, 50_00)
    account = services.payout_account_create(user=expert, method="paypal", paypal_email="emma@paypal.example")
    calls = [
        (lambda: services.payout_request(user=expert, amount_cents=12_34, account=account).amount_cents)
        for _ in range(7)
    ]
    results = run_together(calls)
    done = [r for r in results if r == 12_34]
    refused = [r for r in results if isinstance(r, Exception) and getattr(r, "code", "") == "insufficient_funds"]
    assert (len(done), len(refused)) == (4, 3), results
    assert available(expert) == 50_00 - 4 * 12_34
    assert ledger_audit() == []


def test_race_two_staff_batching_at_once_never_batch_a_payout_twice(transactional_db):
    staff = make_staff("race-staff@microwork.fr")
    other = make_staff("race-staff2@microwork.fr")
    for n in range(6):
        tasker = make_tasker(f"b{n}@example.fr", f"+3361200010{n}")
        fund(tasker, 10_00)
        account = services.payout_account_create(user=tasker, method="paypal", paypal_email=f"b{n}@paypal.example")
        services.payout_request(user=tasker, amount_cents=10_00, account=account)

    def batch(by):
        def make():
            try:
                return services.payout_batch_create(by=by, method="paypal").count
            except services.Conflict as exc:
                return exc.code

        return make

    results = run_together([batch(staff), batch(other)])
    counts = [r for r in results if isinstance(r, int)]
    assert sum(counts) == 6, results
    assert not Payout.objects.filter(state=PayoutState.REQUESTED).exists()
    assert ledger_audit() == []


def test_race_hm16_parallel_make_default_clicks_leave_exactly_one_default(transactional_db):
    # given a tasker with two payout accounts, signed in on eight tabs
    tasker = make_tasker("default-racer@example.fr", "+33612000201")
    paypal = services.payout_account_create(user=tasker, method="paypal", paypal_email="racer@paypal.example")
    iban = services.payout_account_create(
        user=tasker, method="iban", iban="FR7630006000011234567890189", holder="Racer Dupont"
    )
    tabs = []
    for n in range(8):
        client = Client()
        client.force_login(tasker)
        tabs.append((client, reverse("payouts:account_default", args=[(paypal, iban)[n % 2].pk])))

    # when each tab clicks "make default" at the same moment, four on each account
    results = run_together([lambda client=client, url=url: client.post(url).status_code for client, url in tabs])

    # then every click goes through and exactly one account is the default
    assert results == [302] * 8, results
    defaults = list(PayoutAccount.objects.filter(user=tasker, is_default=True))
    assert len(defaults) == 1
    assert defaults[0].pk in (paypal.pk, iban.pk)


def test_race_hm16_voucher_parallel_requests_never_share_a_code(transactional_db):
    # given three 10 EUR gift-voucher codes in stock and six taskers asking for one at once
    staff = make_staff("race-vouchers@microwork.fr")
    stock_vouchers(staff, 10_00, 10_00, 10_00)
    calls = []
    for n in range(6):
        tasker = make_tasker(f"v-racer{n}@example.fr", f"+3361200030{n}")
        fund(tasker, 10_00)
        account = services.payout_account_create(user=tasker, method="gift_voucher")
        calls.append(
            lambda tasker=tasker, account=account: (
                services.payout_request(user=tasker, amount_cents=10_00, account=account).pk
            )
        )

    results = run_together(calls)

    # then three get a code each, the other three are refused and keep their money
    done = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if getattr(r, "code", "") == "voucher_out_of_stock"]
    assert (len(done), len(refused)) == (3, 3), results
    reserved = VoucherCode.objects.filter(state=VoucherState.RESERVED)
    assert sorted(reserved.values_list("payout_id", flat=True)) == sorted(done)
    assert Payout.objects.count() == 3
    assert ledger_audit() == []
