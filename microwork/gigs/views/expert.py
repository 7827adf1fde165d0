"""The expert's own offers (AM01-AM03, AM13): list, create, edit, withdraw,
gallery images. Experts whom staff did not verify see why they cannot sell."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.accounts.models import User
from microwork.accounts.roles import page_user
from microwork.core.errors import ApplicationError

from .. import forms, selectors, services
from ..models import Offer, OfferState


def _expert(request: HttpRequest) -> User:
    return page_user(request, "expert")


def _may_sell(user: User) -> str:
    """Why the expert cannot sell yet, or "" (the service's own words)."""
    try:
        services.require_seller(user)
    except ApplicationError as exc:
        return exc.detail
    return ""


@login_required
def my_offers(request: HttpRequest) -> HttpResponse:
    user = _expert(request)
    offers = list(selectors.offers_of_expert(user).prefetch_related("images").order_by("-pk"))
    live = sum(1 for offer in offers if offer.state == OfferState.LIVE)
    context = {
        "offers": offers,
        "changeable": selectors.offers_changeable(offers),
        "live": live,
        "max_offers": services.MAX_OFFERS,
        "cannot_sell": _may_sell(user),
    }
    return render(request, "gigs/my_offers.html", context)


def _save(request: HttpRequest, user: User, form: forms.OfferForm, offer: Offer | None) -> Offer | None:
    """Create or update through the service, then add the image; None with the refusal on the form."""
    if not form.is_valid():
        return None
    try:
        with transaction.atomic():
            if offer is None:
                offer = services.offer_create(expert=user, fields=form.fields_in())
            else:
                offer = services.offer_update(offer=offer, by=user, fields=form.fields_in())
            image = form.cleaned_data.get("image")
            if image:
                image.seek(0)
                services.offer_image_add(offer=offer, by=user, upload=image)
    except ApplicationError as exc:
        form.add_service_error(exc, aliases=forms.OFFER_ALIASES)
        return None
    return offer


@login_required
def offer_new(request: HttpRequest) -> HttpResponse:
    user = _expert(request)
    form = forms.OfferForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        offer = _save(request, user, form, None)
        if offer is not None:
            messages.success(request, _("Your offer is live in the catalogue."))
            return redirect("gigs:my_offers")
    context = {"form": form, "offer": None, "cannot_sell": _may_sell(user)}
    return render(request, "gigs/offer_form.html", context, status=400 if request.method == "POST" else 200)


@login_required
def offer_edit(request: HttpRequest, offer_id: int) -> HttpResponse:
    user = _expert(request)
    offer = selectors.offer_of_expert(user, offer_id)
    if request.method == "POST":
        form = forms.OfferForm(request.POST, request.FILES or None)
        saved = _save(request, user, form, offer)
        if saved is not None:
            messages.success(request, _("Your offer is saved."))
            return redirect("gigs:my_offers")
    else:
        form = forms.OfferForm(initial=forms.OfferForm.initial_of(offer))
    context = {"form": form, "offer": offer, "images": offer.images.all(), "cannot_sell": _may_sell(user)}
    return render(request, "gigs/offer_form.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def offer_withdraw(request: HttpRequest, offer_id: int) -> HttpResponse:
    user = _expert(request)
    offer = selectors.offer_of_expert(user, offer_id)
    try:
        services.offer_withdraw(offer=offer, by=user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Offer withdrawn from the catalogue; its orders go on."))
    return redirect("gigs:my_offers")
