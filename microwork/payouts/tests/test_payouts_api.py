"""The payouts API as a client uses it (SPEC HM16, AM15, MW03; API.md Payouts)."""

import pytest

from microwork.payouts.models import Payout, PayoutAccount
from microwork.testing import api_as

from .conftest import available, fund, stock_vouchers

pytestmark = pytest.mark.usefixtures("books_stay_right")

GOOD_IBAN = "FR76 3000 6000 0112 3456 7890 189"
NON_SEPA_IBAN = "BR1800360305000010009795493C1"


def paypal(client, email="me@paypal.example", **extra):
    response = client.post("/me/payout-accounts", {"method": "paypal", "paypal_email": email, **extra})
    assert response.status_code == 201, response.json()
    return response.json()


def request_payout(client, account, amount_cents):
    return client.post("/me/payouts", {"amount_cents": amount_cents, "payout_account_id": account["id"]})


# --- HM16: taskers from 10 EUR in steps of 10 EUR --------------------------------


@pytest.mark.parametrize(
    ("amount", "status", "code"),
    [
        (999, 422, "payout_below_minimum"),
        (1500, 422, "payout_not_multiple"),
        (1000, 201, None),
        (2000, 201, None),
    ],
)
def test_hm16_tasker_payout_thresholds(alice, alice_api, amount, status, code):
    fund(alice, 30_00)
    response = request_payout(alice_api, paypal(alice_api), amount)
    assert response.status_code == status
    if code:
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == code
        assert response.json()["errors"][0]["field"] == "amount_cents"
        assert available(alice) == 30_00
        assert not Payout.objects.exists()
    else:
        body = response.json()
        assert body["state"] == "requested"
        assert body["amount_cents"] == amount
        assert available(alice) == 30_00 - amount


def test_hm16_tasker_beyond_the_balance_is_insufficient_funds(alice, alice_api):
    fund(alice, 25_00)
    response = request_payout(alice_api, paypal(alice_api), 30_00)
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    assert available(alice) == 25_00
    assert not Payout.objects.exists()


def test_hm16_money_leaves_the_wallet_at_once(alice, alice_api):
    fund(alice, 25_00)
    request_payout(alice_api, paypal(alice_api), 20_00)
    wallet = alice_api.get("/me/wallet").json()
    assert wallet["available_cents"] == 5_00
    ledger = alice_api.get("/me/ledger").json()["items"]
    assert ledger[0]["amount_cents"] == -20_00


# --- AM15: experts any amount up to the balance -----------------------------------


def test_am15_expert_withdraws_any_amount(emma, emma_api):
    fund(emma, 50_00)
    response = request_payout(emma_api, paypal(emma_api, "emma@paypal.example"), 12_34)
    assert response.status_code == 201
    assert available(emma) == 37_66


def test_am15_expert_withdraws_the_whole_balance(emma, emma_api):
    fund(emma, 12_34)
    assert request_payout(emma_api, paypal(emma_api), 12_34).status_code == 201
    assert available(emma) == 0


def test_am15_expert_beyond_the_balance_is_insufficient_funds(emma, emma_api):
    fund(emma, 12_34)
    response = request_payout(emma_api, paypal(emma_api), 12_35)
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    assert available(emma) == 12_34


def test_am15_expert_registers_a_checked_iban_and_gets_its_bic(emma_api):
    response = emma_api.post("/me/payout-accounts", {"method": "iban", "iban": GOOD_IBAN, "holder": " Emma  Durand "})
    assert response.status_code == 201
    body = response.json()
    assert body["iban"] == "FR7630006000011234567890189"
    assert body["holder"] == "Emma Durand"
    assert body["bic"] == "AGRIFRPPXXX"


def test_am15_iban_with_a_bad_checksum_is_refused(emma_api):
    response = emma_api.post(
        "/me/payout-accounts", {"method": "iban", "iban": "FR7630006000011234567890188", "holder": "Emma"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"][0]["field"] == "iban"
    assert not PayoutAccount.objects.exists()


def test_hm16_am15_iban_outside_the_sepa_zone_is_refused(emma_api):
    # a valid Brazilian IBAN: right checksum, but no SEPA transfer reaches it
    response = emma_api.post("/me/payout-accounts", {"method": "iban", "iban": NON_SEPA_IBAN, "holder": "Emma Durand"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "iban_not_sepa"
    assert [e["field"] for e in body["errors"]] == ["iban"]
    assert "SEPA" in body["detail"]
    assert not PayoutAccount.objects.exists()


def test_iban_needs_a_holder(emma_api):
    response = emma_api.post("/me/payout-accounts", {"method": "iban", "iban": GOOD_IBAN, "holder": "  "})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "holder"


def test_paypal_needs_an_email(alice_api):
    response = alice_api.post("/me/payout-accounts", {"method": "paypal", "paypal_email": "not an email"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "paypal_email"


def test_unknown_method_is_invalid(alice_api):
    assert alice_api.post("/me/payout-accounts", {"method": "cheque"}).status_code == 422


# --- Accounts: several, one default, never another user's -------------------------


def test_first_account_is_default_and_only_one_stays_default(alice, alice_api):
    first = paypal(alice_api)
    assert first["is_default"] is True
    second = alice_api.post("/me/payout-accounts", {"method": "gift_voucher"}).json()
    assert second["is_default"] is False
    third = paypal(alice_api, "other@paypal.example", is_default=True)
    assert third["is_default"] is True
    assert list(PayoutAccount.objects.filter(user=alice, is_default=True).values_list("pk", flat=True)) == [
        int(third["id"])
    ]
    items = alice_api.get("/me/payout-accounts").json()["items"]
    assert len(items) == 3
    assert [item["is_default"] for item in items].count(True) == 1


def test_a_foreign_payout_account_is_not_found(alice, bob, alice_api):
    fund(alice, 20_00)
    bobs = paypal(api_as(bob), "bob@paypal.example")
    response = request_payout(alice_api, bobs, 10_00)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert alice_api.get(f"/me/payout-accounts/{bobs['id']}").status_code == 404
    assert available(alice) == 20_00


def test_companies_and_staff_may_not_take_money_out(acme, staff):
    for user in (acme, staff):
        client = api_as(user)
        assert client.post("/me/payout-accounts", {"method": "gift_voucher"}).status_code == 403


def test_payouts_need_a_token(anon):
    assert anon.get("/me/payouts").status_code == 401


# --- States and history -----------------------------------------------------------


def test_states_and_history_with_who_and_when(alice, staff, alice_api, staff_api):
    fund(alice, 30_00)
    payout = request_payout(alice_api, paypal(alice_api), 20_00).json()
    assert [step["to_state"] for step in payout["history"]] == ["requested"]
    batch = staff_api.post("/staff/payout-batches", {"method": "paypal"})
    assert batch.status_code == 201
    assert batch.json()["payout_ids"] == [payout["id"]]
    assert alice_api.get(f"/me/payouts/{payout['id']}").json()["state"] == "processing"
    paid = staff_api.post(f"/staff/payout-batches/{batch.json()['id']}/paid")
    assert paid.status_code == 200
    assert paid.json()["paid_at"]
    detail = alice_api.get(f"/me/payouts/{payout['id']}").json()
    assert detail["state"] == "paid"
    assert [(s["from_state"], s["to_state"]) for s in detail["history"]] == [
        ("", "requested"),
        ("requested", "processing"),
        ("processing", "paid"),
    ]
    assert all(step["at"] for step in detail["history"])
    assert [step["by_id"] for step in detail["history"]] == [str(alice.pk), str(staff.pk), str(staff.pk)]
    assert [p["state"] for p in alice_api.get("/me/payouts").json()["items"]] == ["paid"]
    assert available(alice) == 10_00


def test_staff_fail_returns_the_money(alice, alice_api, staff_api):
    fund(alice, 20_00)
    payout = request_payout(alice_api, paypal(alice_api), 20_00).json()
    response = staff_api.post(f"/staff/payouts/{payout['id']}/fail", {"reason": "PayPal refused the email"})
    assert response.status_code == 200
    assert response.json()["state"] == "failed"
    assert response.json()["failure_reason"] == "PayPal refused the email"
    assert available(alice) == 20_00
    again = staff_api.post(f"/staff/payouts/{payout['id']}/fail", {"reason": "twice"})
    assert again.status_code == 409


def test_staff_endpoints_refuse_payees(alice_api):
    assert alice_api.post("/staff/payout-batches", {"method": "paypal"}).status_code == 403


def test_another_users_payout_is_not_found(alice, bob, alice_api):
    fund(bob, 10_00)
    bob_api = api_as(bob)
    payout = request_payout(bob_api, paypal(bob_api, "bob@paypal.example"), 10_00).json()
    assert alice_api.get(f"/me/payouts/{payout['id']}").status_code == 404
    assert alice_api.post(f"/me/payouts/{payout['id']}/voucher-code").status_code == 404


# --- Gift vouchers -----------------------------------------------------------------


def test_voucher_code_shown_once_never_in_the_list(alice, alice_api, staff, staff_api):
    stock_vouchers(staff, 20_00)
    fund(alice, 20_00)
    account = alice_api.post("/me/payout-accounts", {"method": "gift_voucher"}).json()
    payout = request_payout(alice_api, account, 20_00).json()
    # not before the batch
    early = alice_api.post(f"/me/payouts/{payout['id']}/voucher-code")
    assert (early.status_code, early.json()["code"]) == (409, "voucher_not_ready")
    staff_api.post("/staff/payout-batches", {"method": "gift_voucher"})
    listed = alice_api.get("/me/payouts").json()["items"][0]
    assert listed["voucher_code_available"] is True
    shown = alice_api.post(f"/me/payouts/{payout['id']}/voucher-code")
    assert shown.status_code == 200
    code = shown.json()["code"]
    stored = Payout.objects.get(pk=payout["id"])
    assert stored.voucher_code_hash == Payout.hash_code(code)
    assert code not in stored.voucher_code_hash
    assert stored.voucher_code_once == ""
    assert stored.voucher_last4 == code[-4:]
    second = alice_api.post(f"/me/payouts/{payout['id']}/voucher-code")
    assert second.status_code == 409
    assert second.json()["code"] == "voucher_already_shown"
    listing = alice_api.get("/me/payouts").content.decode()
    assert code not in listing
    assert alice_api.get("/me/payouts").json()["items"][0]["voucher_code_available"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"method": "iban", "iban": GOOD_IBAN, "holder": "Emma\x00"},
        {"method": "iban", "iban": GOOD_IBAN + "\x00", "holder": "Emma"},
        {"method": "paypal", "paypal_email": "emma\x00@paypal.example"},
    ],
)
def test_nul_characters_in_a_payout_account_are_refused_not_a_server_error(emma_api, body):
    # PostgreSQL cannot store a NUL character: it is refused as input naming the field
    response = emma_api.post("/me/payout-accounts", body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert {e["field"] for e in response.json()["errors"]} & {"holder", "iban", "paypal_email"}
    assert not PayoutAccount.objects.exists()


def test_nul_characters_in_a_failure_reason_are_refused_not_a_server_error(alice, alice_api, staff_api):
    fund(alice, 20_00)
    payout = request_payout(alice_api, paypal(alice_api), 20_00).json()
    response = staff_api.post(f"/staff/payouts/{payout['id']}/fail", {"reason": "Refused\x00"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    assert Payout.objects.get(pk=payout["id"]).state == payout["state"]
