"""An issued invoice never changes (SPEC PL02; issue 13, item 4): neither
through the models nor in the database itself, on SQLite and PostgreSQL."""

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction

from microwork.billing import services
from microwork.billing.models import Invoice, InvoiceLine, IssuedInvoiceChanged
from microwork.testing import make_published

from .conftest import FIRST_OF_DECEMBER, IN_NOVEMBER, approved

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(acme, staff, alice) -> Invoice:
    with time_machine.travel(IN_NOVEMBER, tick=False):
        approved(make_published(acme, staff), alice, acme)
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        issued = services.invoice_issue(customer=acme, period=IN_NOVEMBER.date())
    assert issued is not None
    return issued


def test_pl02_issued_invoice_refused_changes_through_the_models(invoice):
    line = invoice.lines.first()
    invoice.total_cents = 0
    with pytest.raises(IssuedInvoiceChanged):
        invoice.save()
    with pytest.raises(IssuedInvoiceChanged):
        invoice.delete()
    with pytest.raises(IssuedInvoiceChanged):
        Invoice.objects.filter(pk=invoice.pk).update(total_cents=0)
    with pytest.raises(IssuedInvoiceChanged):
        Invoice.objects.filter(pk=invoice.pk).delete()
    with pytest.raises(IssuedInvoiceChanged):
        InvoiceLine.objects.filter(invoice=invoice).update(label="Changed")
    with pytest.raises(IssuedInvoiceChanged):
        line.delete()
    invoice.refresh_from_db()
    assert invoice.total_cents == 372 and invoice.lines.count() == 2


@pytest.mark.parametrize("table", ["billing_invoice", "billing_invoiceline"])
def test_pl02_issued_invoice_refused_an_update_by_the_database(invoice, table):
    # a raw UPDATE, past every Python guard, is refused by the database's trigger
    column, key = ("number", "id") if table == "billing_invoice" else ("label", "invoice_id")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = 'changed' WHERE {key} = %s", [invoice.pk])
    invoice.refresh_from_db()
    assert invoice.number.startswith("MW-") and not invoice.lines.filter(label="changed").exists()


@pytest.mark.parametrize("table", ["billing_invoice", "billing_invoiceline"])
def test_pl02_issued_invoice_refused_a_delete_by_the_database(invoice, table):
    key = "id" if table == "billing_invoice" else "invoice_id"
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {key} = %s", [invoice.pk])
    assert Invoice.objects.filter(pk=invoice.pk).exists() and invoice.lines.count() == 2
