"""Idempotency-Key on every POST (API.md, Conventions)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from microwork.accounts.models import User
from microwork.api.tests.helpers import assert_problem
from microwork.core.models import IdempotencyRecord
from microwork.ledger.models import Topup
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.testing import api_as, make_company

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return make_company("idem@example.fr")


def test_same_key_same_body_replays_the_first_answer_with_one_effect(company):
    # given a company with an empty wallet
    api = api_as(company)
    # when it posts the same top-up three times under one key
    answers = [api.post("/me/topups", {"amount_cents": 2500}, key="pay-1") for _ in range(3)]
    # then each answer is the first one, marked as replayed after the first
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[1].json() == answers[0].json() == answers[2].json()
    assert answers[0].get("Idempotent-Replayed") is None
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert answers[1]["Content-Type"] == answers[0]["Content-Type"]
    # and the wallet was credited once
    assert wallet_balance(company).available_cents == 2500
    assert Topup.objects.filter(user=company).count() == 1
    assert ledger_audit() == []


def test_without_a_key_each_post_acts(company):
    api = api_as(company)
    assert api.post("/me/topups", {"amount_cents": 100}).status_code == 201
    assert api.post("/me/topups", {"amount_cents": 100}).status_code == 201
    assert wallet_balance(company).available_cents == 200


def test_different_keys_act_independently(company):
    api = api_as(company)
    first = api.post("/me/topups", {"amount_cents": 100}, key="a")
    second = api.post("/me/topups", {"amount_cents": 100}, key="b")
    assert first.json()["id"] != second.json()["id"]
    assert wallet_balance(company).available_cents == 200


def test_same_key_other_body_is_refused(company):
    # given a top-up under a key
    api = api_as(company)
    assert api.post("/me/topups", {"amount_cents": 2500}, key="pay-1").status_code == 201
    # when the key comes back with another amount
    response = api.post("/me/topups", {"amount_cents": 9900}, key="pay-1")
    # then it is refused and nothing more is credited
    assert_problem(response, 422, "idempotency_key_reused")
    assert wallet_balance(company).available_cents == 2500


def test_same_key_other_path_is_refused(company, alice):
    api = api_as(company)
    assert api.post("/me/topups", {"amount_cents": 2500}, key="k").status_code == 201
    assert_problem(api.post("/me/phone/code", {"amount_cents": 2500}, key="k"), 422, "idempotency_key_reused")


def test_same_key_for_two_users_is_independent(company):
    # given two companies using the same key
    other = make_company("other@example.fr")
    first = api_as(company).post("/me/topups", {"amount_cents": 1000}, key="shared")
    second = api_as(other).post("/me/topups", {"amount_cents": 1000}, key="shared")
    # then each got its own top-up
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert wallet_balance(company).available_cents == 1000
    assert wallet_balance(other).available_cents == 1000


def test_same_user_two_tokens_share_the_key(company):
    # the key belongs to the user, not to one token
    first = api_as(company).post("/me/topups", {"amount_cents": 1000}, key="k")
    second = api_as(company).post("/me/topups", {"amount_cents": 1000}, key="k")
    assert second.json() == first.json()
    assert wallet_balance(company).available_cents == 1000


def test_key_can_be_reused_after_24_hours(company):
    # given a top-up under a key
    api = api_as(company)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = api.post("/me/topups", {"amount_cents": 1000}, key="daily")
        # when the same request comes back 23h59 later it is a replay
        clock.shift(timedelta(hours=23, minutes=59))
        assert api.post("/me/topups", {"amount_cents": 1000}, key="daily").json() == first.json()
        assert wallet_balance(company).available_cents == 1000
        # and after 24 hours the key is free again: a new top-up, even with another body
        clock.shift(timedelta(minutes=2))
        later = api.post("/me/topups", {"amount_cents": 3000}, key="daily")
    assert later.status_code == 201
    assert later.json()["id"] != first.json()["id"]
    assert wallet_balance(company).available_cents == 4000
    assert IdempotencyRecord.objects.filter(key="daily").count() == 1


def test_a_4xx_first_answer_is_replayed_too(company):
    # given a refused top-up under a key
    api = api_as(company)
    first = api.post("/me/topups", {"amount_cents": 0}, key="zero")
    assert_problem(first, 422, "invalid")
    # when the same request comes back
    again = api.post("/me/topups", {"amount_cents": 0}, key="zero")
    # then the same refusal is replayed
    assert again.status_code == 422
    assert again["Content-Type"] == "application/problem+json"
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    # and the key stays bound to that body
    assert_problem(api.post("/me/topups", {"amount_cents": 100}, key="zero"), 422, "idempotency_key_reused")
    assert wallet_balance(company).available_cents == 0


def test_anonymous_signup_is_idempotent(anon):
    body = {
        "role": "company",
        "email": "newco@example.fr",
        "password": "tangerine-wombat-1987",
        "display_name": "New Co",
        "siret": "35600000000048",
        "accept_terms": True,
    }
    first = anon.post("/accounts", body, key="signup-1")
    second = anon.post("/accounts", body, key="signup-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert User.objects.filter(email="newco@example.fr").count() == 1


def test_overlong_key_is_refused(company):
    response = api_as(company).post("/me/topups", {"amount_cents": 100}, key="k" * 256)
    assert_problem(response, 422, "invalid")
    assert wallet_balance(company).available_cents == 0


def test_get_ignores_the_key(company):
    api = api_as(company)
    api.client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {api.token}", HTTP_IDEMPOTENCY_KEY="g")
    assert not IdempotencyRecord.objects.exists()
