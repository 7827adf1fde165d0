"""Reads on billing: the charges a month holds, a customer's invoices and
billing details, and the check that VAT collected equals VAT invoiced."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from microwork.accounts.models import User
from microwork.core.errors import NotFound
from microwork.core.ids import object_id
from microwork.gigs import selectors as gigs
from microwork.ledger.models import AccountKind, Posting
from microwork.missions import selectors as missions

from . import statements
from .models import BillingProfile, Invoice, InvoicedEntry, InvoiceKind, SellerTaxDetails, TaxDetailsRequest

#: Where charges come from: the ledger entry's `ref` prefix.
CLAIM_REF, ORDER_REF = "claim:", "order:"
#: Accounts that receive what the customer paid on behalf of a seller.
SELLER_KINDS = (AccountKind.WALLET, AccountKind.WALLET_PENDING)


@dataclass(frozen=True)
class Charge:
    """One ledger entry that charged (or, negative, gave back to) a customer."""

    entry_id: int
    customer_id: int
    # "mission:12" or "order:7": what the invoice line names.
    source: str
    title: str
    # Micro-mission fee or packaged-service commission, excluding VAT.
    fee_cents: int
    vat_cents: int
    # Reward or expert price paid on the customer's behalf, outside VAT.
    disbursement_cents: int

    @property
    def kind(self) -> str:
        return InvoiceKind.CREDIT_NOTE if self.fee_cents < 0 else InvoiceKind.INVOICE


def month_bounds(period: date) -> tuple[datetime, datetime]:
    """The first instant of the month of `period` and of the next one, in local time."""
    start = period.replace(day=1)
    following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), zone),
        timezone.make_aware(datetime.combine(following, time.min), zone),
    )


def previous_month(today: date) -> date:
    first = today.replace(day=1)
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def charges_uninvoiced(*, period: date, customer_id: int | None = None) -> list[Charge]:
    """Every entry up to the end of the month that moved money to the
    platform's revenue and is on no invoice yet, with the customer it was
    charged to (PL02). An entry of an earlier month that committed after
    that month was invoiced is taken up by the next invoice."""
    _start, end = month_bounds(period)
    charged = (
        Posting.objects.filter(account__kind=AccountKind.REVENUE, entry__created_at__lt=end)
        .filter(Q(entry__ref__startswith=CLAIM_REF) | Q(entry__ref__startswith=ORDER_REF))
        .exclude(entry_id__in=InvoicedEntry.objects.values("entry_id"))
        .values("entry_id")
    )
    postings = (
        Posting.objects.filter(entry_id__in=charged)
        .values_list("entry_id", "entry__ref", "account__kind", "amount_cents")
        .order_by("entry_id", "pk")
    )
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    refs: dict[int, str] = {}
    for entry_id, ref, kind, amount in postings:
        refs[entry_id] = ref
        sums[entry_id][kind] += amount
    claim_ids = {int(r[len(CLAIM_REF) :]) for r in refs.values() if r.startswith(CLAIM_REF)}
    order_ids = {int(r[len(ORDER_REF) :]) for r in refs.values() if r.startswith(ORDER_REF)}
    claims, orders = missions.claims_payer(claim_ids), gigs.orders_payer(order_ids)
    charges = []
    for entry_id, ref in refs.items():
        number = int(ref.split(":", 1)[1])
        if ref.startswith(CLAIM_REF) and number in claims:
            payer, mission_id, title = claims[number]
            source = f"mission:{mission_id}"
        elif ref.startswith(ORDER_REF) and number in orders:
            payer, title = orders[number]
            source = ref
        else:
            continue
        if customer_id is not None and payer != customer_id:
            continue
        amounts = sums[entry_id]
        charges.append(
            Charge(
                entry_id=entry_id,
                customer_id=payer,
                source=source,
                title=title,
                fee_cents=amounts[AccountKind.REVENUE],
                vat_cents=amounts[AccountKind.VAT],
                disbursement_cents=sum(amounts[kind] for kind in SELLER_KINDS),
            )
        )
    return charges


def billing_profile_of(user: User) -> BillingProfile | None:
    return BillingProfile.objects.filter(user=user).first()


def billing_profile_missing(user: User) -> bool:
    """Whether a company or a buyer still has to give the details its invoices need."""
    return not user.is_staff_member and not BillingProfile.objects.filter(user=user).exists()


def tax_details_of(user: User) -> SellerTaxDetails | None:
    return SellerTaxDetails.objects.filter(user=user).first()


def tax_details_required(user: User) -> bool:
    """Whether a seller must give DAC7 their tax details (PL03): they reached
    30 sales or 2,000 EUR this year, or were asked in an earlier year, and have not given them."""
    if not (user.is_tasker or user.is_expert) or SellerTaxDetails.objects.filter(user=user).exists():
        return False
    if TaxDetailsRequest.objects.filter(user=user).exists():
        return True
    return statements.dac7_crossed(user, timezone.localdate().year)


def billing_profile_export(user: User) -> dict[str, str] | None:
    """The billing details, for the user's data export (AC03)."""
    profile = billing_profile_of(user)
    if profile is None:
        return None
    fields = ("billing_name", "address_line1", "address_line2", "postcode", "city", "country", "vat_number", "siret")
    return {field: getattr(profile, field) for field in fields}


def tax_details_export(user: User) -> dict[str, str] | None:
    """The seller's DAC7 tax details, for the user's data export (AC03)."""
    details = tax_details_of(user)
    if details is None:
        return None
    fields = ("tin", "address_line1", "address_line2", "postcode", "city", "country")
    return {**{field: getattr(details, field) for field in fields}, "birth_date": details.birth_date.isoformat()}


def invoices_export(user: User) -> list[dict[str, object]]:
    """The user's invoices and credit notes, for the data export (AC03); the PDFs stay on the invoices page."""
    return [
        {
            "number": invoice.number,
            "kind": invoice.kind,
            "period": invoice.period.isoformat(),
            "issued_at": invoice.issued_at.isoformat(),
            "total_excl_vat_cents": invoice.total_excl_vat_cents,
            "vat_cents": invoice.vat_cents,
            "disbursements_cents": invoice.disbursements_cents,
            "total_cents": invoice.total_cents,
        }
        for invoice in Invoice.objects.filter(customer=user).order_by("pk")
    ]


def invoices_of(user: User) -> QuerySet[Invoice]:
    return Invoice.objects.filter(customer=user)


def invoice_for(user: User, invoice_id: object) -> Invoice:
    """The user's own invoice; anyone else's is simply not found."""
    invoice = Invoice.objects.filter(customer=user, pk=object_id(invoice_id)).prefetch_related("lines").first()
    if invoice is None:
        raise NotFound()
    return invoice


def _signed(invoices: Iterable[Invoice], field: str) -> int:
    return sum(-getattr(i, field) if i.is_credit_note else getattr(i, field) for i in invoices)


def vat_audit() -> list[str]:
    """VAT collected on invoiced charges equals VAT invoiced: what the charges
    set aside plus each invoice's adjustment (issue 13, item 2)."""
    problems = []
    invoices = list(Invoice.objects.all().only("kind", "vat_cents", "vat_reserved_cents", "vat_adjustment_cents"))
    invoiced = _signed(invoices, "vat_cents")
    reserved = (
        Posting.objects.filter(
            account__kind=AccountKind.VAT, entry__in=InvoicedEntry.objects.values("entry")
        ).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )
    adjusted = (
        Posting.objects.filter(account__kind=AccountKind.VAT, entry__kind="invoice_vat_adjust").aggregate(
            total=Sum("amount_cents")
        )["total"]
        or 0
    )
    if reserved + adjusted != invoiced:
        problems.append(
            f"VAT collected on invoiced charges ({reserved} + adjustments {adjusted} cents) "
            f"differs from VAT invoiced ({invoiced} cents)."
        )
    for invoice in invoices:
        if invoice.vat_reserved_cents + invoice.vat_adjustment_cents != invoice.vat_cents:
            problems.append(f"Invoice {invoice.pk}: reserved VAT and adjustment do not add up to its VAT.")
    return problems
