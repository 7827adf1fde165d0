"""Staff's review of experts' documents (AM13) and profiles (AM17): each
decision answers htmx with the row redrawn, others with a message and the
list."""

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.accounts import selectors as account_selectors
from microwork.accounts import services as account_services
from microwork.accounts.models import ExpertProfileState, User
from microwork.accounts.roles import page_user
from microwork.core.errors import ApplicationError
from microwork.ops import experts as expert_review

from .. import forms

STAFF_EXPERTS_SHOWN = 50


def _staff(request: HttpRequest) -> User:
    return page_user(request, "staff")


def _decide(form: django_forms.Form, decide: Callable[[dict[str, Any]], Any], invalid: str = "") -> tuple[Any, str]:
    """Run `decide` on a valid form: what it returned and "", or None and the message to show."""
    if not form.is_valid():
        return None, invalid or " ".join(str(error) for errors in form.errors.values() for error in errors)
    try:
        return decide(form.cleaned_data), ""
    except ApplicationError as exc:
        return None, exc.detail


def _answer(request: HttpRequest, row: dict[str, Any], *, partial: str, back: str, ok_message: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, partial, {"row": row})
    if row.get("error"):
        messages.error(request, row["error"])
    else:
        messages.success(request, ok_message)
    return redirect(back)


# --- Experts' documents (AM13) ----------------------------------------------


@login_required
def staff_documents(request: HttpRequest) -> HttpResponse:
    _staff(request)
    rows = [{"document": document} for document in account_selectors.documents_pending()]
    return render(request, "web/staff_documents.html", {"rows": rows})


def _document_decision(
    request: HttpRequest, document_id: int, *, form_key: str, form: django_forms.Form, decide: Any, invalid: str = ""
) -> dict[str, Any]:
    staff = _staff(request)
    document = account_selectors.document_for(staff, document_id)
    decided, error = _decide(form, lambda data: decide(document=document, by=staff, data=data), invalid)
    return {"document": decided or document, form_key: form, "error": error}


@login_required
@require_POST
def staff_document_approve(request: HttpRequest, document_id: int) -> HttpResponse:
    row = _document_decision(
        request,
        document_id,
        form_key="approve_form",
        form=forms.DocumentApproveForm(request.POST),
        decide=lambda document, by, data: account_services.document_approve(
            document=document, by=by, valid_until=data["valid_until"]
        ),
    )
    return _answer(
        request,
        row,
        partial="web/partials/document_review_row.html",
        back="web:staff_documents",
        ok_message=_("Document approved."),
    )


@login_required
@require_POST
def staff_document_refuse(request: HttpRequest, document_id: int) -> HttpResponse:
    row = _document_decision(
        request,
        document_id,
        form_key="refuse_form",
        form=forms.DocumentRefuseForm(request.POST),
        decide=lambda document, by, data: account_services.document_refuse(
            document=document, by=by, reason=data["reason"]
        ),
        invalid=_("Give the expert a reason."),
    )
    return _answer(
        request,
        row,
        partial="web/partials/document_review_row.html",
        back="web:staff_documents",
        ok_message=_("Document refused."),
    )


# --- Experts to hand-pick (AM17) --------------------------------------------


@login_required
def staff_experts(request: HttpRequest) -> HttpResponse:
    """Profiles waiting for review, the longest-waiting first (AM17)."""
    _staff(request)
    queue = account_selectors.expert_review_queue(ExpertProfileState.PENDING)
    profiles = list(queue[:STAFF_EXPERTS_SHOWN])
    return render(
        request,
        "web/staff_experts.html",
        {"rows": account_selectors.experts_for_review(profiles), "more": queue.count() > len(profiles)},
    )


def _expert_decision(
    request: HttpRequest, expert_id: int, *, form: django_forms.Form, decide: Any, ok_message: str, invalid: str = ""
) -> HttpResponse:
    staff = _staff(request)
    profile = account_selectors.expert_profile_for(staff, expert_id)
    decided, error = _decide(form, lambda data: decide(profile=profile, by=staff, data=data), invalid)
    row = {
        **account_selectors.experts_for_review([decided or profile])[0],
        "error": error,
        "reason": request.POST.get("reason", ""),
    }
    return _answer(
        request, row, partial="web/partials/expert_review_row.html", back="web:staff_experts", ok_message=ok_message
    )


@login_required
@require_POST
def staff_expert_approve(request: HttpRequest, expert_id: int) -> HttpResponse:
    return _expert_decision(
        request,
        expert_id,
        form=forms.ExpertApproveForm(request.POST),
        decide=lambda profile, by, data: expert_review.expert_profile_approve(
            profile=profile, by=by, note=data["note"]
        ),
        ok_message=_("Expert approved."),
    )


@login_required
@require_POST
def staff_expert_refuse(request: HttpRequest, expert_id: int) -> HttpResponse:
    return _expert_decision(
        request,
        expert_id,
        form=forms.DocumentRefuseForm(request.POST),
        decide=lambda profile, by, data: expert_review.expert_profile_refuse(
            profile=profile, by=by, reason=data["reason"]
        ),
        ok_message=_("Expert refused."),
        invalid=_("Give the expert a reason."),
    )
