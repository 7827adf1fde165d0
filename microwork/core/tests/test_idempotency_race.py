"""Idempotency under concurrency: repeats arriving at the same moment (API.md, Conventions).

No module-level `django_db` mark here: the race test asks for `transactional_db`
itself, so the root conftest can let the ledger's tables be flushed on SQLite.
"""

import pytest
from django.test import Client

from microwork.ledger.models import Entry, Topup
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.testing import api_as, make_company, run_together


@pytest.mark.race
def test_race_same_key_at_the_same_moment_credits_once(transactional_db):
    # given a company, and eight clients about to send the same top-up under one key
    company = make_company("race@example.fr")
    token = api_as(company).token

    def post() -> tuple[int, bytes]:
        response = Client().post(
            "/api/v1/me/topups",
            '{"amount_cents": 4200}',
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_IDEMPOTENCY_KEY="race-1",
        )
        return response.status_code, response.content

    # when they all post at once
    answers = run_together([post] * 8)
    # then every answer is the same 201
    errors = [a for a in answers if isinstance(a, BaseException)]
    assert not errors, errors
    assert {status for status, _ in answers} == {201}, answers  # type: ignore[misc]
    assert len({content for _, content in answers}) == 1, answers  # type: ignore[misc]
    # and the wallet was credited exactly once
    assert wallet_balance(company).available_cents == 4200
    assert Topup.objects.filter(user=company).count() == 1
    assert Entry.objects.filter(kind="topup", created_by=company).count() == 1
    assert ledger_audit() == []
