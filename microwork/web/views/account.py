"""Pages of the account's life: the legal documents and consent (AC03), the
data export (AC03), closing the account (AC02), signed-in browsers, tokens,
the password and staff's second factor (PL06). Thin, as every page."""

from typing import Any

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordChangeView
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.accounts import selectors as account_selectors
from microwork.accounts import services as account_services
from microwork.accounts.legal import current
from microwork.accounts.models import LegalKind
from microwork.accounts.roles import page_user
from microwork.core.errors import ApplicationError
from microwork.core.pages import next_url
from microwork.core.ratelimit import client_ip
from microwork.ops import closure as closures
from microwork.ops.export import export_file_for, export_is_large, export_render, export_storage
from microwork.ops.tasks import export_build

from .. import forms
from ..middleware import CONSENT_SESSION_KEY, verified

# --- Legal documents (AC03) --------------------------------------------------


def _legal_page(request: HttpRequest, kind: str) -> HttpResponse:
    document = current(kind)
    return render(
        request,
        f"web/legal/{kind}.html",
        {"document": document, "kind_label": LegalKind(kind).label},
    )


def legal_terms_of_use(request: HttpRequest) -> HttpResponse:
    return _legal_page(request, LegalKind.TERMS_OF_USE)


def legal_terms_of_sale(request: HttpRequest) -> HttpResponse:
    return _legal_page(request, LegalKind.TERMS_OF_SALE)


def legal_privacy(request: HttpRequest) -> HttpResponse:
    return _legal_page(request, LegalKind.PRIVACY)


def legal_notice(request: HttpRequest) -> HttpResponse:
    return _legal_page(request, LegalKind.LEGAL_NOTICE)


@login_required
def legal_accept(request: HttpRequest) -> HttpResponse:
    """Accept the versions in force of the documents the user's role needs."""
    user = page_user(request)
    back = next_url(request)
    missing = account_selectors.consents_missing(user)
    form = forms.LegalAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_services.consents_record(user=user, kinds=missing, ip=client_ip(request))
        request.session.pop(CONSENT_SESSION_KEY, None)
        messages.success(request, _("Thank you: your acceptance is recorded."))
        return redirect(back or "web:dashboard")
    if not missing and request.method == "GET":
        return redirect(back or "web:dashboard")
    documents = [{"document": current(kind), "label": LegalKind(kind).label} for kind in missing]
    return render(request, "web/legal_accept.html", {"documents": documents, "form": form, "next": back})


# --- Data export (AC03) ------------------------------------------------------


@login_required
def export_download(request: HttpRequest) -> HttpResponse:
    """The user's data as a JSON attachment; a large export is built in the background and emailed."""
    user = page_user(request)
    if export_is_large(user):
        export_build.enqueue(user.pk)
        messages.success(request, _("Your data is large: we are preparing the file and will email you a link."))
        return redirect("web:dashboard")
    response = HttpResponse(export_render(user), content_type="application/json")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="microwork-mes-donnees-{stamp}.json"'
    return response


@login_required
def export_file(request: HttpRequest, token: str) -> FileResponse:
    """A background export, served to its owner only, while its signed link is valid."""
    name = export_file_for(page_user(request), token)
    if name is None:
        raise Http404
    return FileResponse(
        export_storage().open(name, "rb"),
        as_attachment=True,
        filename="microwork-mes-donnees.json",
        content_type="application/json",
    )


# --- Closing the account (AC02) ----------------------------------------------


def _closure_page(request: HttpRequest, form: Any = None, status: int = 200) -> HttpResponse:
    user = page_user(request)
    pending = closures.closure_open(user)
    reasons = [] if pending else closures.closure_blockers(user)
    waiting = [str(closures.BLOCKERS[r]) for r in (pending.blocked_reasons if pending else [])]
    context = {
        "closure": pending,
        "blockers": [str(closures.BLOCKERS[r]) for r in reasons],
        "waiting": waiting,
        "form": form or forms.ClosureForm(),
    }
    return render(request, "web/closure.html", context, status=status)


@login_required
def closure(request: HttpRequest) -> HttpResponse:
    user = page_user(request)
    if request.method != "POST":
        return _closure_page(request)
    form = forms.ClosureForm(request.POST)
    if form.is_valid():
        try:
            closures.closure_request(user=user)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your request is recorded. You can cancel it until it takes effect."))
            return redirect("web:closure")
    return _closure_page(request, form, status=400)


@login_required
@require_POST
def closure_cancel(request: HttpRequest) -> HttpResponse:
    try:
        closures.closure_cancel(user=page_user(request))
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("The closure is cancelled: your account stays open."))
    return redirect("web:closure")


# --- Security: signed-in browsers and API tokens (PL06) ----------------------


@login_required
def security(request: HttpRequest) -> HttpResponse:
    user = page_user(request)
    context = {
        "sessions": list(account_selectors.sessions_of(user)),
        "tokens": list(account_selectors.tokens_live(user)),
        "current_session_key": request.session.session_key,
    }
    return render(request, "web/security.html", context)


@login_required
@require_POST
def security_session_end(request: HttpRequest, session_id: int) -> HttpResponse:
    session = account_selectors.session_for(page_user(request), session_id)
    account_services.session_end(session=session)
    messages.success(request, _("That session is signed out."))
    return redirect("web:security")


@login_required
@require_POST
def security_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = account_selectors.token_for(page_user(request), token_id)
    account_services.token_revoke(token=token)
    messages.success(request, _("That API token is revoked."))
    return redirect("web:security")


class PasswordChange(PasswordChangeView):
    """A new password, the current one typed again; every other browser and
    every API token is signed out (PL06)."""

    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:security")

    def form_valid(self, form: Any) -> HttpResponse:
        key_before = self.request.session.session_key or ""
        response = super().form_valid(form)  # saves, and keeps this browser signed in
        account_services.password_changed(
            user=form.user, session_key_before=key_before, session_key_now=self.request.session.session_key or ""
        )
        messages.success(self.request, _("Your password is changed; your other sessions and API tokens are ended."))
        return response


# --- Staff's second factor (PL06) ----------------------------------------------


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308 - drawn here from our own URL


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Staff verify this session with their authenticator app's code; the first
    time, they add the app from a QR code (or the secret typed by hand)."""
    user = page_user(request)
    back = next_url(request)
    if not account_selectors.second_factor_needed(user, verified=verified(request.user)):
        return redirect(back or "web:dashboard")
    enrolled = account_selectors.second_factor_enrolled(user)
    form = forms.SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = account_services.totp_verify(user=user, code=form.cleaned_data["code"])
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            django_otp.login(request, device)
            if not enrolled:
                messages.success(request, _("Your authenticator app is set up."))
            return redirect(back or "web:dashboard")
    context: dict[str, Any] = {"form": form, "next": back, "enrolled": enrolled}
    if not enrolled:
        provisioning = account_selectors.totp_provisioning(account_services.totp_device_for_enrolment(user=user))
        context.update(qr_svg=_qr_svg(provisioning["url"]), secret=provisioning["secret"])
    return render(request, "web/second_factor.html", context)
