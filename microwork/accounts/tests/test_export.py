"""GET /me/export: all of the user's data as JSON (AC03)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from microwork.api.tests.helpers import assert_problem
from microwork.ledger.payments import topup_create
from microwork.testing import api_as

pytestmark = pytest.mark.django_db


def test_ac03_export_holds_account_wallet_and_ledger(acme):
    # given acme topped up twice (100 euros at creation, then 25)
    topup_create(user=acme, amount_cents=2500)
    # when it downloads its data
    response = api_as(acme).get("/me/export")
    # then the export holds the account, the organisation, the wallet and every ledger line
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["account"]["email"] == "acme@example.fr"
    assert data["account"]["role"] == "company"
    assert data["account"]["id"] == str(acme.pk)
    assert data["organisation"]["siret"] == "73282932000074"
    assert data["wallet"] == {"available_cents": 12500, "pending_cents": 0}
    assert sorted(line["amount_cents"] for line in data["ledger"]) == [2500, 10000]
    assert {line["kind"] for line in data["ledger"]} == {"topup"}
    assert len(data["api_tokens"]) == 1
    assert "password" not in response.content.decode()


def test_ac03_export_holds_only_the_users_own_data(acme, alice):
    data = api_as(alice).get("/me/export").json()
    assert data["account"]["email"] == "alice@example.fr"
    assert data["account"]["phone"] == "+33612345678"
    assert data["account"]["phone_verified_at"]
    assert data["organisation"] is None
    assert data["wallet"] == {"available_cents": 0, "pending_cents": 0}
    assert data["ledger"] == []
    assert "acme" not in api_as(alice).get("/me/export").content.decode()


def test_ac03_export_lists_expert_documents(emma, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    api = api_as(emma)
    api.upload("/me/documents", {"kind": "kbis", "file": SimpleUploadedFile("k.pdf", b"%PDF-1.4\n%%EOF\n")})
    documents = api.get("/me/export").json()["documents"]
    assert [(d["kind"], d["state"]) for d in documents] == [("kbis", "pending")]


def test_ac03_export_needs_a_token(anon):
    assert_problem(anon.get("/me/export"), 401, "unauthenticated")
