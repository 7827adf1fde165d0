"""The public pages of the packaged-services trade (AM04, AM05, AM07, AM14):
the catalogue, an offer and ordering it, an expert's profile. Each view
finds its object through a selector and calls one service."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from microwork.accounts.models import User
from microwork.accounts.roles import page_user
from microwork.core.errors import ApplicationError
from microwork.core.pages import more_url, page_of
from microwork.core.uploads import JPEG, file_response

from .. import forms, selectors, services
from ..models import Offer, Order

PAGE_SIZE = 12
REVIEWS_SHOWN = 5


# --- The catalogue, an offer, an expert (AM04, AM07, AM14) ---------------------


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    form = forms.CatalogueFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {
            "q": form.cleaned_data["q"] or "",
            "category": form.cleaned_data["category"] or "",
            "kind": form.cleaned_data["kind"] or "",
            "max_price_cents": form.cleaned_data["max_price"],
        }
    offers, ranked = selectors.offers_matching(**filters)
    offers = offers.select_related("expert").prefetch_related("images")
    page = page_of(offers, request.GET.get("cursor", ""), ranked=ranked is not None, size=PAGE_SIZE)
    records = selectors.expert_records(offer.expert_id for offer in page["items"])
    context = {
        "form": form,
        "cards": [{"offer": offer, "record": records[offer.expert_id]} for offer in page["items"]],
        "more_url": more_url(request, page["next_cursor"]),
        "filtered": any(request.GET.get(k) for k in ("q", "category", "kind", "max_price")),
    }
    return render(request, "gigs/catalogue.html", context, status=400 if form.errors else 200)


def _offer_page(
    request: HttpRequest, offer: Offer, form: forms.OrderPlaceForm, *, status: int = 200, short_of_funds: bool = False
) -> HttpResponse:
    extras = list(offer.extras.all())
    chosen = {str(v) for v in (form["extras"].value() or [])}
    record = selectors.expert_records([offer.expert_id])[offer.expert_id]
    context = {
        "offer": offer,
        "form": form,
        "extras": [{"index": i, "extra": e, "checked": str(i) in chosen} for i, e in enumerate(extras)],
        "images": list(offer.images.all()),
        "record": record,
        "reviews": selectors.expert_reviews(offer.expert, REVIEWS_SHOWN),
        "ip_statement": selectors.order_ip_statement(Order(ip_note=offer.ip_note)),
        "short_of_funds": short_of_funds,
        "own": request.user.is_authenticated and request.user.pk == offer.expert_id,
    }
    return render(request, "gigs/offer.html", context, status=status)


@require_GET
def offer_detail(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = selectors.offer_public(offer_id)
    return _offer_page(request, offer, forms.OrderPlaceForm(offer=offer))


@require_GET
def offer_image(request: HttpRequest, offer_id: int, image_id: int, thumbnail: bool = False) -> FileResponse:
    """A gallery image (a copy without metadata), for whoever may see the offer."""
    viewer = request.user if isinstance(request.user, User) else None
    image = selectors.offer_image_for(viewer, offer_id, image_id)
    return file_response(image.thumbnail if thumbnail else image.image, content_type=JPEG)


@require_POST
def offer_order(request: HttpRequest, offer_id: int) -> HttpResponse:
    """Order with the chosen extras and pay into escrow (AM05); signed-out
    buyers sign in first and come back to the offer."""
    offer = selectors.offer_public(offer_id)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("gigs:offer", args=[offer.pk]))
    user = page_user(request)
    form = forms.OrderPlaceForm(request.POST, offer=offer)
    if form.is_valid():
        try:
            order = services.order_place(
                offer=offer,
                buyer=user,
                extras=form.cleaned_data["extras"],
                requirements=form.cleaned_data["requirements"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
            return _offer_page(request, offer, form, status=400, short_of_funds=exc.code == "insufficient_funds")
        else:
            messages.success(request, _("Order placed: the amount is held until you accept the delivery."))
            return redirect("gigs:order", order.pk)
    return _offer_page(request, offer, form, status=400)


@require_GET
def expert_profile(request: HttpRequest, expert_id: int) -> HttpResponse:
    expert = selectors.expert_public(expert_id)
    context = {
        "expert": expert,
        "record": selectors.expert_records([expert.pk])[expert.pk],
        "offers": selectors.offers_on_sale_of(expert).prefetch_related("images"),
        "reviews": selectors.expert_reviews(expert),
        "cancellations": selectors.cancellations_of(expert).select_related("order").order_by("-pk")[:20],
    }
    return render(request, "gigs/expert.html", context)
