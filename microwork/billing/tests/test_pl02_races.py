"""Invoices under real concurrency (SPEC PL02): two tick runs at once issue
each invoice once, and a year's numbers follow each other without gaps.

Threads released together by a barrier (microwork.testing.run_together), each
with its own database connection; `transactional_db`, so the locks are real.
"""

import pytest
import time_machine

from microwork import testing
from microwork.billing.models import Invoice, InvoiceCounter, InvoicedEntry
from microwork.billing.selectors import vat_audit
from microwork.ledger.selectors import ledger_audit
from microwork.ops.tick import run_due
from microwork.testing import make_published

from .conftest import FIRST_OF_DECEMBER, IN_NOVEMBER, approved, taskers

pytestmark = pytest.mark.race


def test_race_pl02_two_ticks_at_once_issue_each_invoice_once_without_gaps(transactional_db):
    # given four companies charged in November, one of them with a VAT rounding to adjust
    staff = testing.make_staff("race-staff@microwork.fr")
    companies = [testing.make_company(f"race-co{i}@example.fr", balance_cents=100_00) for i in range(4)]
    workers = taskers(3)
    with time_machine.travel(IN_NOVEMBER, tick=False):
        mission = make_published(companies[0], staff, reward_cents=210, places=3)
        for tasker in workers:
            approved(mission, tasker, companies[0])
        for company in companies[1:]:
            approved(make_published(company, staff), workers[0], company)
    # when tick runs twice at the same moment on the first of December
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        results = testing.run_together([run_due, run_due])
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    # then each company has one invoice, issued by one run or the other, never twice
    assert sum(r["invoices_issued"] for r in results) == 4
    invoices = list(Invoice.objects.order_by("sequence"))
    assert sorted(i.customer_id for i in invoices) == sorted(c.pk for c in companies)
    # numbered 1..4 without gaps, and the counter agrees
    assert [i.number for i in invoices] == [f"MW-2026-{n:06d}" for n in range(1, 5)]
    assert InvoiceCounter.objects.get(year=2026).last_number == 4
    # every charge on exactly one invoice, the VAT rounding adjusted once
    assert InvoicedEntry.objects.count() == 6
    assert vat_audit() == []
    assert ledger_audit() == []
