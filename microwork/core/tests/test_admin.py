"""Django's admin shows what only the services change, and refuses to add,
edit or delete it there (`microwork/core/admin.py`)."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from microwork.accounts.models import ApiToken, ClosureRequest, Consent, Organisation, User, VerificationDocument
from microwork.billing.models import BillingProfile, Invoice
from microwork.gigs.models import Offer, Order
from microwork.ledger.models import Account, Entry, PaymentEvent, Refund, Topup
from microwork.moderation.models import AbuseReport, ContactMessage, Suspension

#: What a superuser may do in the admin: (add, change, delete).
ALLOWED = {
    User: (False, True, False),  # closed and anonymised (AC02, AC03), never deleted
    Organisation: (False, True, False),
    VerificationDocument: (False, True, False),
    ApiToken: (False, False, True),
    ClosureRequest: (False, False, False),
    Consent: (False, False, False),
    Invoice: (False, False, False),  # an issued invoice never changes (PL02)
    BillingProfile: (False, False, False),
    Order: (False, False, True),
    Offer: (True, True, True),
    Account: (False, False, False),  # the ledger is written by its services only (PL01)
    Entry: (False, False, False),
    Topup: (False, False, False),
    Refund: (False, False, False),
    PaymentEvent: (False, False, False),
    AbuseReport: (False, False, False),
    Suspension: (False, False, False),
    ContactMessage: (False, False, False),
}


@pytest.mark.parametrize("model", ALLOWED, ids=lambda model: model.__name__)
def test_pl01_pl02_the_admin_leaves_to_the_services_what_they_alone_change(model, staff):
    staff.is_superuser = True
    request = RequestFactory().get("/admin/")
    request.user = staff
    model_admin = admin.site._registry[model]
    allowed = (
        model_admin.has_add_permission(request),
        model_admin.has_change_permission(request, None),
        model_admin.has_delete_permission(request, None),
    )
    assert allowed == ALLOWED[model]


def test_pl02_invoice_lines_are_never_added_or_edited_from_their_invoice(staff):
    staff.is_superuser = True
    request = RequestFactory().get("/admin/")
    request.user = staff
    (lines,) = admin.site._registry[Invoice].get_inline_instances(request)
    assert (lines.has_add_permission(request, None), lines.has_change_permission(request, None)) == (False, False)
    assert lines.can_delete is False
