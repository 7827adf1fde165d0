"""What other apps' pages take from the wallet: the top-up form and starting
a top-up from it. Pages elsewhere (the dashboard, a company's balance) offer
a top-up without reaching into the wallet's own views."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.core.errors import ApplicationError

from . import payments
from .forms import TopupForm
from .models import TopupState

__all__ = ["TopupForm", "payer", "topup_submit"]


def payer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if user.is_staff_member:
        # Staff hold no balance: a plain 403 page.
        raise PermissionDenied(_("Staff accounts do not hold a balance."))
    return user


def topup_submit(request: HttpRequest, form: TopupForm, *, done_url: str) -> HttpResponse | None:
    """Start the top-up a valid form asks for: off to the provider's checkout,
    or back to `done_url` with the outcome. None when the form gained errors."""
    try:
        topup = payments.topup_create(
            user=payer(request), amount_cents=form.amount_cents(), request_key=form.once_key()
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
