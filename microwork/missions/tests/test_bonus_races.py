"""A bonus double-submitted with one Idempotency-Key is paid once, under real
concurrency (issue 15, item 7; HM10). No module-level `django_db` mark: the
test asks for `transactional_db`."""

from collections import Counter

import pytest
from django.test import Client

from microwork.ledger.models import Entry
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.missions.models import Bonus
from microwork.missions.services import claim_approve, claim_create, claim_report
from microwork.testing import ACCOUNT, api_as, make_company, make_published, make_staff, make_tasker, run_together

pytestmark = pytest.mark.race


def _approved(company, staff, tasker):
    mission = make_published(company, staff)
    claim = claim_create(mission=mission, tasker=tasker)
    claim_report(claim=claim, by=tasker, text=ACCOUNT)
    return claim_approve(claim=claim, by=company, rating=5)


def test_race_bonus_double_submit_with_one_key_pays_once(transactional_db):
    # given an approved report, and a company double-clicking "pay the bonus"
    company = make_company("race-bonus@example.fr", balance_cents=100_00)
    staff = make_staff("race-bonus-staff@microwork.fr")
    tasker = make_tasker("race-bonus-alice@example.fr", "+33612349999")
    claim = _approved(company, staff, tasker)
    token = api_as(company).token

    def post():
        response = Client().post(
            f"/api/v1/claims/{claim.pk}/bonuses",
            '{"amount_cents": 400, "message": "Merci"}',
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_IDEMPOTENCY_KEY="bonus-double",
        )
        return response.status_code, response.json()

    # when two POSTs with the same Idempotency-Key arrive at the same moment
    results = run_together([post, post])
    # then both answer the same bonus, and it is paid once
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert Counter(status for status, _body in results) == Counter({201: 2})
    assert results[0][1]["id"] == results[1][1]["id"]
    assert Bonus.objects.count() == 1
    assert Entry.objects.filter(kind="claim_bonus").count() == 1
    assert wallet_balance(tasker).earnings_cents == 300 + 400
    assert ledger_audit() == []
