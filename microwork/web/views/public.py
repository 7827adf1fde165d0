"""Pages anyone reaches: the front page, signing in and up, password reset
(AC01, HM03) and the phone check (HM01, HM02)."""

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
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.accounts import services as account_services
from microwork.accounts.models import (
    Role,
    User,
)
from microwork.accounts.roles import page_user
from microwork.core.errors import ApplicationError, TooManyRequests
from microwork.core.ratelimit import client_ip
from microwork.missions.selectors import missions_showcase
from microwork.missions.services import AUTO_APPROVE_DAYS
from microwork.payouts.services import TASKER_MINIMUM_CENTS

from .. import forms

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
