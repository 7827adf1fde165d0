"""The monthly invoices and credit notes that `tick` issues (SPEC PL02,
issue 13).

An invoice is numbered, written with its lines and its charges, and its VAT
made to match the ledger, all in one transaction under the lock of its
year's counter: two runs at once issue each invoice once, and the numbers
of a year follow each other without gaps.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.core.money import format_eur, percent_of
from microwork.ledger.models import AccountKind, Posting
from microwork.ledger.services import system_account, transfer
from microwork.notifications.services import notify

from ..models import (
    BillingProfile,
    Invoice,
    InvoiceCounter,
    InvoicedEntry,
    InvoiceKind,
    InvoiceLine,
    LineCategory,
)
from ..selectors import CLAIM_REF, ORDER_REF, Charge, charges_uninvoiced, month_bounds, previous_month

#: French standard rate, on the platform's fees and commissions (HM10, AM12).
VAT_RATE_BP = 2000


# --- Invoices --------------------------------------------------------------


def seller_identity() -> dict[str, str]:
    return {key: str(value) for key, value in settings.BILLING_SELLER.items()}


def buyer_identity(user: User) -> dict[str, str]:
    """The customer as the invoice names them: their billing details, or failing those their account."""
    profile = BillingProfile.objects.filter(user=user).first()
    organisation = getattr(user, "organisation", None)
    if profile is not None:
        return {
            "name": profile.billing_name,
            "address_line1": profile.address_line1,
            "address_line2": profile.address_line2,
            "postcode": profile.postcode,
            "city": profile.city,
            "country": profile.country,
            "vat_number": profile.vat_number,
            "siret": profile.siret or (organisation.siret if organisation else ""),
            "email": user.email,
        }
    return {
        "name": (organisation.legal_name if organisation and organisation.legal_name else user.display_name),
        "address_line1": "",
        "address_line2": "",
        "postcode": "",
        "city": "",
        "country": "FR",
        "vat_number": "",
        "siret": organisation.siret if organisation else "",
        "email": user.email,
    }


@dataclass
class _Line:
    category: str
    label: str
    unit_cents: int
    quantity: int = 0
    vat_reserved_cents: int = 0


#: A line's label by its category and by what the charge paid for.
_LABELS: dict[tuple[str, bool], Callable[[], str]] = {
    (LineCategory.FEE, True): lambda: _("Processing fee (20%%) - mission “%(title)s”"),
    (LineCategory.FEE, False): lambda: _("Platform commission - order “%(title)s”"),
    (LineCategory.DISBURSEMENT, True): lambda: _("Rewards paid to taskers on your behalf - mission “%(title)s”"),
    (LineCategory.DISBURSEMENT, False): lambda: _("Expert's price paid on your behalf - order “%(title)s”"),
}


def _lines(charges: list[Charge], sign: int) -> list[_Line]:
    """Charges grouped by what they were for and their unit amount: a line's
    amount is exactly its quantity times its unit price."""
    grouped: dict[tuple[str, str, int], _Line] = {}

    def line(category: str, charge: Charge, unit_cents: int) -> _Line:
        key = (category, charge.source, unit_cents)
        if key not in grouped:
            words = _LABELS[category, charge.source.startswith("mission:")]()
            grouped[key] = _Line(category, words % {"title": charge.title}, unit_cents)
        grouped[key].quantity += 1
        return grouped[key]

    for charge in charges:
        line(LineCategory.FEE, charge, sign * charge.fee_cents).vat_reserved_cents += sign * charge.vat_cents
        if sign * charge.disbursement_cents > 0:
            line(LineCategory.DISBURSEMENT, charge, sign * charge.disbursement_cents)
    # Fees first, then what was collected on the customer's behalf.
    return sorted(grouped.values(), key=lambda line: (line.category != LineCategory.FEE, line.label, line.unit_cents))


def _counter_locked(year: int) -> InvoiceCounter:
    """The year's counter row, locked until the transaction ends."""
    InvoiceCounter.objects.get_or_create(year=year)
    return InvoiceCounter.objects.select_for_update().get(year=year)


def _next_number(counter: InvoiceCounter) -> tuple[int, str]:
    """The year's next number: the counter is locked, so no two invoices share one and none is skipped."""
    year = counter.year
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number, f"{settings.INVOICE_NUMBER_PREFIX}-{year}-{counter.last_number:06d}"


def invoice_issue(*, customer: User, period: date, kind: str = InvoiceKind.INVOICE) -> Invoice | None:
    """The customer's invoice (or credit note) for the month of `period`, once.

    Every charge of the month not yet invoiced goes on it; None when there is
    none. A second call, or a run at the same moment, returns the first."""
    return _invoice_issue(customer=customer, period=period, kind=kind)[0]


def _invoice_issue(*, customer: User, period: date, kind: str) -> tuple[Invoice | None, bool]:
    period = period.replace(day=1)
    sign = -1 if kind == InvoiceKind.CREDIT_NOTE else 1
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        now = timezone.now()
        today = timezone.localdate(now)
        # The counter's lock first: a twin run waits here, then finds the invoice.
        counter = _counter_locked(today.year)
        existing = Invoice.objects.filter(customer=customer, period=period, kind=kind).first()
        if existing is not None:
            return existing, False
        charges = [c for c in charges_uninvoiced(period=period, customer_id=customer.pk) if c.kind == kind]
        if not charges:
            return None, False
        lines = _lines(charges, sign)
        fees = sum(line.quantity * line.unit_cents for line in lines if line.category == LineCategory.FEE)
        disbursements = sum(
            line.quantity * line.unit_cents for line in lines if line.category == LineCategory.DISBURSEMENT
        )
        # EN 16931 BR-CO-17: VAT on the sum of the lines, rounded once.
        vat = percent_of(fees, VAT_RATE_BP)
        reserved = sum(line.vat_reserved_cents for line in lines)
        sequence, number = _next_number(counter)
        invoice = Invoice.objects.create(
            customer=customer,
            kind=kind,
            period=period,
            year=today.year,
            sequence=sequence,
            number=number,
            issued_at=now,
            issued_on=today,
            due_on=today + timedelta(days=settings.INVOICE_PAYMENT_DAYS),
            currency=settings.CURRENCY,
            seller=seller_identity(),
            buyer=buyer_identity(customer),
            total_excl_vat_cents=fees,
            vat_cents=vat,
            disbursements_cents=disbursements,
            total_cents=fees + vat + disbursements,
            vat_reserved_cents=reserved,
            vat_adjustment_cents=vat - reserved,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                position=position,
                category=line.category,
                label=line.label[:300],
                quantity=line.quantity,
                unit_cents=line.unit_cents,
                amount_cents=line.quantity * line.unit_cents,
                vat_rate_bp=VAT_RATE_BP if line.category == LineCategory.FEE else 0,
                vat_reserved_cents=line.vat_reserved_cents,
            )
            for position, line in enumerate(lines, start=1)
        )
        InvoicedEntry.objects.bulk_create(InvoicedEntry(entry_id=c.entry_id, invoice=invoice) for c in charges)
        _vat_adjust(invoice, sign * (vat - reserved))
        total = invoice.total_cents

        def title() -> str:
            words = (
                _("Credit note %(number)s: %(amount)s")
                if kind == InvoiceKind.CREDIT_NOTE
                else _("Invoice %(number)s: %(amount)s")
            )
            return words % {"number": number, "amount": format_eur(total)}

        notify(
            user=customer,
            kind="invoice_issued",
            title=title,
            body=lambda: (
                _("Your %(month)s invoice from Microwork is ready: %(url)s")
                % {"month": period.strftime("%m/%Y"), "url": settings.SITE_URL + reverse("billing:invoices")}
            ),
            url=reverse("billing:invoices"),
            email=True,
        )
    return invoice, True


def _vat_adjust(invoice: Invoice, cents: int) -> None:
    """Make the VAT collected in the ledger equal the VAT invoiced: the
    platform's revenue gives or takes the few cents per-charge rounding left."""
    if cents == 0:
        return
    revenue, vat = system_account(AccountKind.REVENUE), system_account(AccountKind.VAT)
    transfer(
        kind="invoice_vat_adjust",
        idempotency_key=f"invoice-vat:{invoice.number}",
        source=revenue if cents > 0 else vat,
        destination=vat if cents > 0 else revenue,
        amount_cents=abs(cents),
        memo=f"VAT rounding of {invoice.number}",
        ref=f"invoice:{invoice.pk}",
    )


def _months_to_invoice(today: date, *, customer: User | None = None, this_month: bool = False) -> list[date]:
    """Each month from the earliest with a charge on no invoice to the month
    before `today`'s (with `this_month`, to `today`'s own)."""
    start, end = month_bounds(today)
    uninvoiced = (
        Posting.objects.filter(account__kind=AccountKind.REVENUE, entry__created_at__lt=end if this_month else start)
        .exclude(entry_id__in=InvoicedEntry.objects.values("entry_id"))
        .filter(Q(entry__ref__startswith=CLAIM_REF) | Q(entry__ref__startswith=ORDER_REF))
    )
    earliest = uninvoiced.aggregate(first=Min("entry__created_at"))["first"]
    if earliest is None:
        return []
    months, month = [], timezone.localtime(earliest).date().replace(day=1)
    last = today.replace(day=1) if this_month else previous_month(today)
    while month <= last:
        months.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return months


def _issue_months(months: list[date], *, customer: User | None = None) -> int:
    issued = 0
    for period in months:
        customers: dict[int, set[str]] = defaultdict(set)
        for charge in charges_uninvoiced(period=period, customer_id=customer.pk if customer else None):
            customers[charge.customer_id].add(charge.kind)
        for payer in User.objects.filter(pk__in=customers).order_by("pk"):
            for kind in sorted(customers[payer.pk]):
                _invoice, created = _invoice_issue(customer=payer, period=period, kind=kind)
                issued += created
    return issued


def invoices_issue_due(now: Any = None) -> int:
    """Every past month's invoices and credit notes not yet issued: on the
    first day of a month, the month before (PL02). Returns how many were issued."""
    return _issue_months(_months_to_invoice(timezone.localdate(now or timezone.now())))


def invoices_issue_closing(*, customer: User) -> int:
    """An account that closes is invoiced at once for everything charged so
    far, this month included (PL02), while its name and address are still known."""
    months = _months_to_invoice(timezone.localdate(), customer=customer, this_month=True)
    return _issue_months(months, customer=customer)
