"""The wallet's pages: balances, top-ups through the provider, refunds (SPEC PL01)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.core.errors import ApplicationError
from microwork.core.pages import next_url

from . import payments, selectors
from .clearing import earnings_release_due
from .forms import RefundForm, TopupForm
from .gateways import get_gateway
from .models import TopupState
from .pages import payer, topup_submit

SHOWN = 10


def _wallet_page(request: HttpRequest, *, status: int = 200, **forms_in_use: Any) -> HttpResponse:
    user = payer(request)
    earnings_release_due(user=user)
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


@login_required
@require_POST
def topup(request: HttpRequest) -> HttpResponse:
    form = TopupForm(request.POST)
    if form.is_valid():
        done = topup_submit(request, form, done_url=next_url(request) or "ledger:wallet")
        if done is not None:
            return done
    return _wallet_page(request, status=400, topup_form=form)


@login_required
def topup_detail(request: HttpRequest, topup_id: int) -> HttpResponse:
    """Where the provider sends the payer back: the top-up's state, live."""
    found = selectors.topup_for(payer(request), topup_id)
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
            done = payments.refund_request(
                user=payer(request),
                amount_cents=form.amount_cents(),
                request_key=form.once_key(),
            )
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
