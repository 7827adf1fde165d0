"""Pages. Thin: each view checks the form, calls a service and shows its
`ApplicationError` as a form error."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import (
    LoginView,
    PasswordResetCompleteView,
    PasswordResetConfirmView,
    PasswordResetDoneView,
    PasswordResetView,
)
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.accounts import selectors as account_selectors
from microwork.accounts import services as account_services
from microwork.accounts.models import (
    DocumentState,
    ExpertProfile,
    ExpertProfileState,
    Role,
    User,
    VerificationDocument,
    required_documents,
)
from microwork.accounts.roles import page_user
from microwork.billing import selectors as billing_selectors
from microwork.core.errors import ApplicationError, Forbidden, TooManyRequests
from microwork.core.ratelimit import client_ip
from microwork.core.uploads import JPEG, file_response
from microwork.ledger import selectors as ledger_selectors
from microwork.ledger.clearing import earnings_release_due
from microwork.ledger.pages import TopupForm, topup_submit
from microwork.missions.selectors import missions_showcase
from microwork.missions.services import AUTO_APPROVE_DAYS
from microwork.ops import experts as expert_review
from microwork.payouts.services import TASKER_MINIMUM_CENTS

from . import forms

RECENT_MOVEMENTS = 10


def _user(request: HttpRequest) -> User:
    return page_user(request)


def home(request: HttpRequest) -> HttpResponse:
    live_count, live_missions = missions_showcase()
    context = {
        "live_count": live_count,
        "live_missions": live_missions,
        "payout_minimum_cents": TASKER_MINIMUM_CENTS,
        "auto_approve_days": AUTO_APPROVE_DAYS,
    }
    return render(request, "web/home.html", context)


# --- Sign in, sign out, password reset (AC01) -----------------------------


class SignInView(LoginView):
    template_name = "web/login.html"
    authentication_form = forms.EmailLoginForm
    redirect_authenticated_user = True


class PasswordReset(PasswordResetView):
    template_name = "web/registration/password_reset_form.html"
    email_template_name = "web/registration/password_reset_email.txt"
    subject_template_name = "web/registration/password_reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            account_services.password_reset_allowed(ip=client_ip(self.request), email=form.cleaned_data["email"])
        except TooManyRequests as exc:
            form.add_error(None, exc.detail)
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(exc.retry_after)
            return response
        return super().form_valid(form)


class PasswordResetDone(PasswordResetDoneView):
    template_name = "web/registration/password_reset_done.html"


class PasswordResetConfirm(PasswordResetConfirmView):
    template_name = "web/registration/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # A new password ends every session and API token (PL06).
        account_services.user_credentials_changed(user=form.user)
        return response


class PasswordResetComplete(PasswordResetCompleteView):
    template_name = "web/registration/password_reset_complete.html"


# --- Sign up (HM01, HM03) -------------------------------------------------

SIGNUP_FORMS: dict[str, type[forms.ServiceErrorMixin]] = {
    Role.TASKER: forms.TaskerSignupForm,
    Role.COMPANY: forms.CompanySignupForm,
    Role.EXPERT: forms.ExpertSignupForm,
}


def _signup(request: HttpRequest, role: str) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:dashboard")
    form_class: Any = SIGNUP_FORMS[role]
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = account_services.user_signup(
                role=role,
                email=data["email"],
                password=data["password"],
                display_name=data["display_name"],
                accept_terms=data["accept_terms"],
                phone=data.get("phone", ""),
                siret=data.get("siret", ""),
                legal_name=data.get("legal_name", ""),
                ip=client_ip(request),
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if user.is_tasker:
                messages.success(request, _("Welcome! We have sent you a code by SMS."))
                return redirect("web:phone_verify")
            messages.success(request, _("Welcome to Microwork!"))
            return redirect("web:dashboard")
    return render(request, "web/signup.html", {"form": form, "role": role})


def signup_tasker(request: HttpRequest) -> HttpResponse:
    return _signup(request, Role.TASKER)


def signup_company(request: HttpRequest) -> HttpResponse:
    return _signup(request, Role.COMPANY)


def signup_expert(request: HttpRequest) -> HttpResponse:
    return _signup(request, Role.EXPERT)


# --- Phone verification (HM01, HM02) --------------------------------------


@login_required
def phone_verify(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.phone_verified:
        return redirect("web:dashboard")
    if not user.phone:
        messages.info(request, _("Your account has no mobile phone number to verify."))
        return redirect("web:dashboard")
    form = forms.PhoneCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.phone_verify(user=user, code=form.cleaned_data["code"])
        except ApplicationError as exc:
            form.add_service_error(exc, aliases={"phone": "code"})
        else:
            messages.success(request, _("Your phone number is verified."))
            return redirect("web:dashboard")
    return render(request, "web/phone_verify.html", {"form": form, "change_form": forms.PhoneChangeForm()})


@login_required
@require_POST
def phone_code_send(request: HttpRequest) -> HttpResponse:
    """A fresh code; answers htmx with a status line, others with a redirect."""
    user = _user(request)
    error = ""
    try:
        account_services.phone_code_send(user=user, ip=client_ip(request))
    except ApplicationError as exc:
        error = exc.detail
    status = error or _("A new code is on its way.")
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/partials/phone_code_status.html", {"status": status, "error": bool(error)})
    (messages.error if error else messages.success)(request, status)
    return redirect("web:phone_verify")


@login_required
@require_POST
def phone_change(request: HttpRequest) -> HttpResponse:
    """Correct a mistyped number before it is verified, and send a code to it."""
    user = _user(request)
    change_form = forms.PhoneChangeForm(request.POST)
    if change_form.is_valid():
        try:
            account_services.phone_change(user=user, phone=change_form.cleaned_data["phone"])
            account_services.phone_code_send(user=user, ip=client_ip(request))
        except ApplicationError as exc:
            change_form.add_service_error(exc)
        else:
            messages.success(request, _("Number changed. A code is on its way."))
            return redirect("web:phone_verify")
    return render(request, "web/phone_verify.html", {"form": forms.PhoneCodeForm(), "change_form": change_form})


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


# --- Staff: expert documents (AM13) ---------------------------------------


def _staff(request: HttpRequest) -> User:
    return page_user(request, "staff")


def _pending_document(request: HttpRequest, document_id: int) -> VerificationDocument:
    return account_selectors.document_for(_staff(request), document_id)


@login_required
def staff_documents(request: HttpRequest) -> HttpResponse:
    _staff(request)
    documents = VerificationDocument.objects.filter(state=DocumentState.PENDING).select_related("user")
    rows = [{"document": document} for document in documents.order_by("created_at", "pk")]
    return render(request, "web/staff_documents.html", {"rows": rows})


def _review_answer(request: HttpRequest, row: dict[str, Any], *, ok_message: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/partials/document_review_row.html", {"row": row})
    if row.get("error"):
        messages.error(request, row["error"])
    else:
        messages.success(request, ok_message)
    return redirect("web:staff_documents")


@login_required
@require_POST
def staff_document_approve(request: HttpRequest, document_id: int) -> HttpResponse:
    document = _pending_document(request, document_id)
    form = forms.DocumentApproveForm(request.POST)
    row: dict[str, Any] = {"document": document, "approve_form": form}
    if form.is_valid():
        try:
            row["document"] = account_services.document_approve(
                document=document, by=_user(request), valid_until=form.cleaned_data["valid_until"]
            )
        except ApplicationError as exc:
            row["error"] = exc.detail
    else:
        row["error"] = " ".join(str(error) for errors in form.errors.values() for error in errors)
    return _review_answer(request, row, ok_message=_("Document approved."))


@login_required
@require_POST
def staff_document_refuse(request: HttpRequest, document_id: int) -> HttpResponse:
    document = _pending_document(request, document_id)
    form = forms.DocumentRefuseForm(request.POST)
    row: dict[str, Any] = {"document": document, "refuse_form": form}
    if form.is_valid():
        try:
            row["document"] = account_services.document_refuse(
                document=document, by=_user(request), reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            row["error"] = exc.detail
    else:
        row["error"] = _("Give the expert a reason.")
    return _review_answer(request, row, ok_message=_("Document refused."))


# --- Expert profile (AM13, AM17) ------------------------------------------


def _expert(request: HttpRequest) -> User:
    return page_user(request, "expert")


def _expert_profile_page(request: HttpRequest, **forms_in_use: Any) -> HttpResponse:
    user = _expert(request)
    profile = account_services.expert_profile_of(user)
    form = forms_in_use.get("form") or forms.ExpertProfileForm(
        initial={
            "status": profile.status,
            "headline": profile.headline,
            "bio": profile.bio,
            "skills": ", ".join(profile.skills or []),
        }
    )
    context = {
        "profile": profile,
        "form": form,
        "photo_form": forms_in_use.get("photo_form") or forms.ExpertPhotoForm(),
        "submit_error": forms_in_use.get("submit_error", ""),
        "missing": account_selectors.expert_profile_missing(profile),
        "verified": account_selectors.expert_is_verified(user),
    }
    return render(request, "web/expert_profile.html", context, status=400 if forms_in_use else 200)


@login_required
def expert_profile(request: HttpRequest) -> HttpResponse:
    """The expert's profile: status, headline, presentation, skills (AM13, AM17)."""
    user = _expert(request)
    if request.method != "POST":
        return _expert_profile_page(request)
    form = forms.ExpertProfileForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            expert_review.expert_profile_update(
                user=user, status=data["status"], headline=data["headline"], bio=data["bio"], skills=data["skills"]
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("web:expert_profile")
    return _expert_profile_page(request, form=form)


@login_required
@require_POST
def expert_profile_photo(request: HttpRequest) -> HttpResponse:
    user = _expert(request)
    form = forms.ExpertPhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            expert_review.expert_profile_photo_set(user=user, upload=form.cleaned_data["file"])
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Photo saved."))
            return redirect("web:expert_profile")
    return _expert_profile_page(request, photo_form=form)


@login_required
@require_POST
def expert_profile_submit(request: HttpRequest) -> HttpResponse:
    user = _expert(request)
    try:
        expert_review.expert_profile_submit(user=user)
    except ApplicationError as exc:
        return _expert_profile_page(request, submit_error=exc.detail)
    messages.success(request, _("Profile sent. Our team will review it shortly."))
    return redirect("web:expert_profile")


def expert_photo(request: HttpRequest, expert_id: int) -> FileResponse:
    """An expert's photo: public once the profile is approved; before that, for
    the expert and staff only."""
    profile = ExpertProfile.objects.filter(pk=expert_id, user__role=Role.EXPERT).first()
    if profile is None or not profile.photo:
        raise Http404
    viewer = request.user
    own_or_staff = isinstance(viewer, User) and (viewer.pk == profile.pk or viewer.is_staff_member)
    if profile.state != ExpertProfileState.APPROVED and not own_or_staff:
        raise Http404
    return file_response(profile.photo, content_type=JPEG)


# --- Staff: experts to hand-pick (AM17) -----------------------------------


def _expert_rows(profiles: list[ExpertProfile]) -> list[dict[str, Any]]:
    ids = [profile.pk for profile in profiles]
    documents = account_selectors.expert_documents_by_kind(ids)
    verified = set(account_selectors.verified_expert_ids(among=ids))
    return [
        {
            "profile": profile,
            "documents": documents[profile.pk],
            "required": account_selectors.required_documents_status(documents[profile.pk], profile.status),
            "verified": profile.pk in verified,
            "needs_dpae": "dpae" in required_documents(profile.status),
        }
        for profile in profiles
    ]


STAFF_EXPERTS_SHOWN = 50


@login_required
def staff_experts(request: HttpRequest) -> HttpResponse:
    """Profiles waiting for review, the longest-waiting first (AM17)."""
    _staff(request)
    queue = account_selectors.expert_review_queue(ExpertProfileState.PENDING)
    profiles = list(queue[:STAFF_EXPERTS_SHOWN])
    return render(
        request,
        "web/staff_experts.html",
        {"rows": _expert_rows(profiles), "more": queue.count() > len(profiles)},
    )


def _expert_review_answer(request: HttpRequest, row: dict[str, Any], *, ok_message: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/partials/expert_review_row.html", {"row": row})
    if row.get("error"):
        messages.error(request, row["error"])
    else:
        messages.success(request, ok_message)
    return redirect("web:staff_experts")


@login_required
@require_POST
def staff_expert_approve(request: HttpRequest, expert_id: int) -> HttpResponse:
    staff = _staff(request)
    profile = account_selectors.expert_profile_for(staff, expert_id)
    form = forms.ExpertApproveForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            profile = expert_review.expert_profile_approve(profile=profile, by=staff, note=form.cleaned_data["note"])
        except ApplicationError as exc:
            error = exc.detail
    else:
        error = " ".join(str(error) for errors in form.errors.values() for error in errors)
    row = {**_expert_rows([profile])[0], "error": error}
    return _expert_review_answer(request, row, ok_message=_("Expert approved."))


@login_required
@require_POST
def staff_expert_refuse(request: HttpRequest, expert_id: int) -> HttpResponse:
    staff = _staff(request)
    profile = account_selectors.expert_profile_for(staff, expert_id)
    form = forms.DocumentRefuseForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            profile = expert_review.expert_profile_refuse(profile=profile, by=staff, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            error = exc.detail
    else:
        error = _("Give the expert a reason.")
    row = {**_expert_rows([profile])[0], "error": error, "reason": request.POST.get("reason", "")}
    return _expert_review_answer(request, row, ok_message=_("Expert refused."))
