"""The wallet's pages: balances, top-ups through the provider, refunds (SPEC PL01)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.accounts.models import User
from microwork.core.errors import ApplicationError, Forbidden

from . import payments, selectors
from .forms import RefundForm, TopupForm
from .gateways import get_gateway
from .models import TopupState

SHOWN = 10


def _payer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if user.is_staff_member:
        raise Forbidden(_("Staff accounts do not hold a balance."))
    return user


def _wallet_page(request: HttpRequest, *, status: int = 200, **forms_in_use: Any) -> HttpResponse:
    user = _payer(request)
    context = {
        "balance": selectors.wallet_balance(user),
        "topups": list(selectors.topups_of(user).order_by("-pk")[:SHOWN]),
        "refunds": list(selectors.refunds_of(user).order_by("-pk")[:SHOWN]),
        "topup_form": forms_in_use.get("topup_form") or TopupForm(),
        "refund_form": forms_in_use.get("refund_form") or RefundForm(),
    }
    return render(request, "ledger/wallet.html", context, status=status)


@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    return _wallet_page(request)


def topup_submit(request: HttpRequest, form: TopupForm, *, done_url: str) -> HttpResponse | None:
    """Start the top-up a valid form asks for: off to the provider's checkout,
    or back to `done_url` with the outcome. None when the form gained errors."""
    try:
        topup = payments.topup_create(
            user=_payer(request), amount_cents=form.amount_cents(), request_key=form.cleaned_data["request_key"] or ""
        )
    except ApplicationError as exc:
        form.add_service_error(exc, aliases={"amount_cents": "amount"})
        return None
    if topup.state == TopupState.PENDING and topup.checkout_url:
        return redirect(topup.checkout_url)
    if topup.state == TopupState.SUCCEEDED:
        messages.success(request, _("Your balance has been credited."))
    elif topup.state == TopupState.FAILED:
        messages.error(request, _("The payment did not go through; nothing was charged."))
    else:
        return redirect("ledger:topup", topup.pk)
    return redirect(done_url)


@login_required
@require_POST
def topup(request: HttpRequest) -> HttpResponse:
    form = TopupForm(request.POST)
    if form.is_valid():
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = ""
        done = topup_submit(request, form, done_url=back or "ledger:wallet")
        if done is not None:
            return done
    return _wallet_page(request, status=400, topup_form=form)


@login_required
def topup_detail(request: HttpRequest, topup_id: int) -> HttpResponse:
    """Where the provider sends the payer back: the top-up's state, live."""
    found = selectors.topup_for(_payer(request), topup_id)
    response = render(request, "ledger/topup.html", {"topup": found})
    if found.state == TopupState.PENDING:
        # The webhook may land a moment after the payer comes back.
        response["Refresh"] = "5"
    return response


@login_required
@require_POST
def refund(request: HttpRequest) -> HttpResponse:
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            done = payments.refund_request(user=_payer(request), amount_cents=form.amount_cents())
        except ApplicationError as exc:
            form.add_service_error(exc, aliases={"amount_cents": "amount"})
        else:
            if done.state == "succeeded":
                messages.success(request, _("Refunded to your original payment."))
            elif done.state == "pending":
                messages.success(request, _("Refund under way to your original payment."))
            else:
                messages.error(request, _("The refund did not fully go through; what failed is back in your funds."))
            return redirect("ledger:wallet")
    return _wallet_page(request, status=400, refund_form=form)


def demo_mode(request: HttpRequest) -> dict[str, Any]:
    """For every page: is money real here? (Context processor.)"""
    return {"payments_demo": not get_gateway().live}
