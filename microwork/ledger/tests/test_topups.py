from microwork.core.testing import api_as, make_company
from microwork.ledger.selectors import ledger_audit, wallet_balance


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
    assert api.get("/me/wallet").json() == {"available_cents": 5000, "pending_cents": 0, "currency": "EUR"}
    assert ledger_audit() == []
