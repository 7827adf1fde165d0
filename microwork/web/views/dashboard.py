"""The signed-in user's dashboard: balance and last movements, top-up,
billing and tax reminders, the expert's verification documents (AM13)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.accounts import selectors as account_selectors
from microwork.accounts import services as account_services
from microwork.billing import selectors as billing_selectors
from microwork.core.errors import ApplicationError, Forbidden
from microwork.core.uploads import file_response
from microwork.ledger import selectors as ledger_selectors
from microwork.ledger.clearing import earnings_release_due
from microwork.ledger.pages import TopupForm, topup_submit

from .. import forms
from .public import RECENT_MOVEMENTS, _user

# --- Dashboard ------------------------------------------------------------


def _dashboard(request: HttpRequest, **forms_in_use: Any) -> HttpResponse:
    user = _user(request)
    earnings_release_due(user=user)
    context: dict[str, Any] = {
        "balance": ledger_selectors.wallet_balance(user),
        "postings": list(ledger_selectors.wallet_postings(user)[:RECENT_MOVEMENTS]),
    }
    if user.is_company:
        context["topup_form"] = forms_in_use.get("topup_form") or TopupForm()
        # Asked for before the first charge (PL02): the invoices need them.
        context["billing_missing"] = billing_selectors.billing_profile_missing(user)
    if user.is_tasker or user.is_expert:
        # Asked for once the seller reaches DAC7's threshold (PL03).
        context["tax_details_required"] = billing_selectors.tax_details_required(user)
    if user.is_expert:
        documents = account_selectors.documents_overview(user)
        missing = account_selectors.expert_verification_missing(user)
        context["documents"] = documents
        context["required_documents"] = account_selectors.required_documents_status(documents, missing["status"])
        context["expert_verified"] = account_selectors.expert_is_verified(user)
        context["expert_missing"] = missing
        context["document_form"] = forms_in_use.get("document_form") or forms.DocumentUploadForm()
    status = 400 if forms_in_use else 200
    return render(request, "web/dashboard.html", context, status=status)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return _dashboard(request)


@login_required
@require_POST
def topup(request: HttpRequest) -> HttpResponse:
    form = TopupForm(request.POST)
    if form.is_valid():
        done = topup_submit(request, form, done_url="web:dashboard")
        if done is not None:
            return done
    return _dashboard(request, topup_form=form)


@login_required
@require_POST
def document_upload(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = forms.DocumentUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            account_services.document_upload(
                user=user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                valid_until=form.cleaned_data["valid_until"],
                issued_on=form.cleaned_data["issued_on"],
            )
        except Forbidden:
            # Only experts see this form; anyone else posting here gets a plain refusal.
            raise PermissionDenied from None
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Document received. Our team will check it shortly."))
            return redirect("web:dashboard")
    return _dashboard(request, document_form=form)


@login_required
def document_file(request: HttpRequest, document_id: int) -> FileResponse:
    """The uploaded file, for its owner and staff only."""
    document = account_selectors.document_for(_user(request), document_id)
    return file_response(document.file, content_type=document.content_type)
