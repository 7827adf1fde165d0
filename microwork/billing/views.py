"""The invoices page and the billing details form (PL02, issue 13)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.accounts.roles import page_user
from microwork.core.errors import ApplicationError
from microwork.core.pages import next_url
from microwork.core.pagination import keyset_rows

from . import selectors, services, statements
from .documents import invoice_pdf, statement_pdf
from .forms import BillingProfileForm, TaxDetailsForm

PAGE = 24


@login_required
def invoices(request: HttpRequest) -> HttpResponse:
    user = page_user(request)
    before = request.GET.get("before", "")
    rows, next_pk = keyset_rows(
        selectors.invoices_of(user), before=int(before) if before.isdigit() and len(before) < 19 else None, limit=PAGE
    )
    year = timezone.localdate().year
    context = {
        "statement_years": [year, year - 1] if user.is_tasker or user.is_expert else [],
        "dac7_years": [year - 1, year] if user.is_staff_member else [],
        "invoices": rows,
        "next_pk": next_pk,
        "profile": selectors.billing_profile_of(user),
    }
    return render(request, "billing/invoices.html", context)


@login_required
def billing_profile(request: HttpRequest) -> HttpResponse:
    user = page_user(request, "company", "tasker", "expert")
    profile = selectors.billing_profile_of(user)
    initial = {field: getattr(profile, field) for field in BillingProfileForm.base_fields} if profile else {}
    form = BillingProfileForm(request.POST or None, initial=initial)
    # Asked for on the way to a charge: back to that page once given.
    back = next_url(request)
    if request.method == "POST" and form.is_valid():
        try:
            services.billing_profile_save(user=user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your billing details are saved."))
            return redirect(back or "billing:invoices")
    status = 400 if form.errors else 200
    return render(request, "billing/profile.html", {"form": form, "next": back}, status=status)


@login_required
def tax_details(request: HttpRequest) -> HttpResponse:
    """A seller's tax details, which DAC7 reports from 30 sales or 2,000 EUR in a year (PL03)."""
    user = page_user(request, "tasker", "expert")
    details = selectors.tax_details_of(user)
    initial = {field: getattr(details, field) for field in TaxDetailsForm.base_fields} if details else {}
    form = TaxDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.tax_details_save(user=user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your tax details are saved."))
            return redirect("web:dashboard")
    context = {"form": form, "required": selectors.tax_details_required(user), "given": details is not None}
    return render(request, "billing/tax_details.html", context, status=400 if form.errors else 200)


@login_required
def invoice_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.invoice_for(page_user(request), invoice_id)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


def _csv(body: str, filename: str) -> HttpResponse:
    # With a byte-order mark, so that a spreadsheet reads the accents right.
    response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def statement_csv(request: HttpRequest, year: int) -> HttpResponse:
    """A tasker's or expert's yearly statement of earnings (PL03)."""
    user = page_user(request, "tasker", "expert")
    statements.year_check(year)
    return _csv(statements.seller_statement_csv(user, year), f"microwork-releve-{year}.csv")


@login_required
def statement_pdf_download(request: HttpRequest, year: int) -> HttpResponse:
    """The same statement as PDF, in the invoices' look, with the note on declaring (PL03)."""
    user = page_user(request, "tasker", "expert")
    statements.year_check(year)
    response = HttpResponse(statement_pdf(user, year), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="microwork-releve-{year}.pdf"'
    return response


@login_required
def dac7_csv(request: HttpRequest, year: int) -> HttpResponse:
    """Staff: the sellers DAC7 reports for the year (PL03)."""
    page_user(request, "staff")
    statements.year_check(year)
    return _csv(statements.dac7_csv(year), f"microwork-dac7-{year}.csv")
