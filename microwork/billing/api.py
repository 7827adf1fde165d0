"""Billing on the API: the billing details invoices are made out to, and
the user's invoices with their Factur-X PDF (PL02, issue 13)."""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from microwork.accounts.models import User
from microwork.accounts.roles import current_user, require_role
from microwork.core.pagination import PageParams, keyset_page
from microwork.core.schemas import Text

from . import selectors, services, statements
from .documents import invoice_pdf, statement_pdf
from .models import BillingProfile, Invoice

router = Router(tags=["billing"])


class BillingProfileIn(Schema):
    billing_name: Text = Field(max_length=200)
    address_line1: Text = Field(max_length=200)
    address_line2: Text = Field("", max_length=200)
    postcode: Text = Field(max_length=16)
    city: Text = Field(max_length=100)
    country: Text = Field("FR", max_length=2)
    vat_number: Text = Field("", max_length=30)
    siret: Text = Field("", max_length=20)


class BillingProfileOut(Schema):
    complete: bool
    billing_name: str
    address_line1: str
    address_line2: str
    postcode: str
    city: str
    country: str
    vat_number: str
    siret: str


class TaxDetailsIn(Schema):
    tin: Text = Field(max_length=30)
    birth_date: date
    address_line1: Text = Field(max_length=200)
    address_line2: Text = Field("", max_length=200)
    postcode: Text = Field(max_length=16)
    city: Text = Field(max_length=100)
    country: Text = Field("FR", max_length=2)


class TaxDetailsOut(Schema):
    required: bool
    complete: bool
    tin: str
    birth_date: date | None
    address_line1: str
    address_line2: str
    postcode: str
    city: str
    country: str


class InvoiceLineOut(Schema):
    position: int
    category: str
    label: str
    quantity: int
    unit_cents: int
    amount_cents: int
    vat_rate_bp: int


class InvoiceOut(Schema):
    id: str
    number: str
    kind: str
    period: date
    issued_at: datetime
    due_on: date
    currency: str
    total_excl_vat_cents: int
    vat_cents: int
    disbursements_cents: int
    total_cents: int
    seller: dict[str, str]
    buyer: dict[str, str]
    lines: list[InvoiceLineOut]
    pdf_url: str


class InvoicePage(Schema):
    items: list[InvoiceOut]
    next_cursor: str | None


class StatementPeriodOut(Schema):
    period: str
    sales: int
    gross_cents: int
    fees_cents: int
    net_cents: int


class StatementOut(Schema):
    year: int
    months: list[StatementPeriodOut]
    total: StatementPeriodOut
    note: str


def profile_out(profile: BillingProfile | None) -> dict[str, Any]:
    fields = ("billing_name", "address_line1", "address_line2", "postcode", "city", "vat_number", "siret")
    out: dict[str, Any] = {field: getattr(profile, field, "") for field in fields}
    out["country"] = profile.country if profile else "FR"
    out["complete"] = profile is not None
    return out


def tax_details_out(user: User) -> dict[str, Any]:
    details = selectors.tax_details_of(user)
    fields = ("tin", "address_line1", "address_line2", "postcode", "city")
    out: dict[str, Any] = {field: getattr(details, field, "") for field in fields}
    out["birth_date"] = details.birth_date if details else None
    out["country"] = details.country if details else "FR"
    out["complete"] = details is not None
    out["required"] = selectors.tax_details_required(user)
    return out


def invoice_out(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": str(invoice.pk),
        "number": invoice.number,
        "kind": invoice.kind,
        "period": invoice.period,
        "issued_at": invoice.issued_at,
        "due_on": invoice.due_on,
        "currency": invoice.currency,
        "total_excl_vat_cents": invoice.total_excl_vat_cents,
        "vat_cents": invoice.vat_cents,
        "disbursements_cents": invoice.disbursements_cents,
        "total_cents": invoice.total_cents,
        "seller": invoice.seller,
        "buyer": invoice.buyer,
        "lines": [
            {
                "position": line.position,
                "category": line.category,
                "label": line.label,
                "quantity": line.quantity,
                "unit_cents": line.unit_cents,
                "amount_cents": line.amount_cents,
                "vat_rate_bp": line.vat_rate_bp,
            }
            for line in invoice.lines.all()
        ],
        "pdf_url": f"/api/v1/me/invoices/{invoice.pk}/pdf",
    }


@router.get("/me/billing-profile", response=BillingProfileOut)
def billing_profile(request: HttpRequest) -> dict[str, Any]:
    """The name and address invoices are made out to; `complete` is false until given."""
    return profile_out(selectors.billing_profile_of(current_user(request)))


@router.put("/me/billing-profile", response=BillingProfileOut)
def billing_profile_update(request: HttpRequest, data: BillingProfileIn) -> dict[str, Any]:
    """Set the billing details; `invalid_vat_number` and `invalid_siret` when a number fails its check."""
    profile = services.billing_profile_save(user=current_user(request), **data.dict())
    return profile_out(profile)


@router.get("/me/tax-details", response=TaxDetailsOut)
def tax_details(request: HttpRequest) -> dict[str, Any]:
    """A seller's DAC7 details (PL03); `required` is true once they reached 30 sales or 2,000 EUR this year."""
    user = current_user(request)
    require_role(user, "tasker", "expert")
    return tax_details_out(user)


@router.put("/me/tax-details", response=TaxDetailsOut)
def tax_details_update(request: HttpRequest, data: TaxDetailsIn) -> dict[str, Any]:
    """Give the tax identification number (French NIF checked), date of birth and address; `invalid_tin`."""
    user = current_user(request)
    require_role(user, "tasker", "expert")
    services.tax_details_save(user=user, **data.dict())
    return tax_details_out(user)


@router.get("/me/invoices", response=InvoicePage)
def invoice_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    invoices = selectors.invoices_of(current_user(request)).prefetch_related("lines")
    return keyset_page(invoices, limit=page.limit, cursor=page.cursor, serialize=invoice_out)


@router.get("/me/invoices/{invoice_id}", response=InvoiceOut)
def invoice_detail(request: HttpRequest, invoice_id: str) -> dict[str, Any]:
    return invoice_out(selectors.invoice_for(current_user(request), invoice_id))


@router.get(
    "/me/invoices/{invoice_id}/pdf",
    response={200: None},
    openapi_extra={
        "responses": {
            200: {
                "description": "The invoice as a Factur-X PDF/A-3 (EN 16931 XML embedded).",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def invoice_pdf_download(request: HttpRequest, invoice_id: str) -> HttpResponse:
    invoice = selectors.invoice_for(current_user(request), invoice_id)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


@router.get("/me/statements/{year}", response=StatementOut)
def statement(request: HttpRequest, year: int) -> dict[str, Any]:
    """A tasker's or expert's yearly statement of earnings (PL03): gross, fees and net per month."""
    user = current_user(request)
    require_role(user, "tasker", "expert")
    record = statements.seller_statement(user, statements.year_check(year))

    def period_out(label: str, period: statements.Period) -> dict[str, Any]:
        return {
            "period": label,
            "sales": period.sales,
            "gross_cents": period.gross_cents,
            "fees_cents": period.fees_cents,
            "net_cents": period.net_cents,
        }

    return {
        "year": year,
        "months": [period_out(f"{year}-{m:02d}", record.months.get(m, statements.Period())) for m in range(1, 13)],
        "total": period_out(str(year), record.total),
        "note": statements.DECLARING_NOTE,
    }


def _file_response(content: str, content_type: str) -> dict[int, Any]:
    return {
        200: {"description": content, "content": {content_type: {"schema": {"type": "string", "format": "binary"}}}}
    }


@router.get(
    "/me/statements/{year}/csv",
    response={200: None},
    openapi_extra={"responses": _file_response("The yearly statement as CSV (UTF-8, `;`).", "text/csv")},
)
def statement_csv(request: HttpRequest, year: int) -> HttpResponse:
    """The yearly statement as CSV: one row per month, the year's total and the note on declaring."""
    user = current_user(request)
    require_role(user, "tasker", "expert")
    body = statements.seller_statement_csv(user, statements.year_check(year))
    response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="microwork-releve-{year}.csv"'
    return response


@router.get(
    "/me/statements/{year}/pdf",
    response={200: None},
    openapi_extra={
        "responses": _file_response("The yearly statement as PDF, with the note on declaring.", "application/pdf")
    },
)
def statement_pdf_download(request: HttpRequest, year: int) -> HttpResponse:
    """The yearly statement as PDF (PL03), in the invoices' look, with the note on declaring."""
    user = current_user(request)
    require_role(user, "tasker", "expert")
    response = HttpResponse(statement_pdf(user, statements.year_check(year)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="microwork-releve-{year}.pdf"'
    return response
