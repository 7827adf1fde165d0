"""The company's webhook pages: its endpoints, each with its delivery log and
a replay button (thin: the rules live in services)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.accounts.roles import page_user
from microwork.core.errors import ApplicationError
from microwork.core.pages import act_then_redirect, more_url, page_of

from . import selectors, services
from .forms import EndpointForm


@login_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    user = page_user(request, "company")
    form = EndpointForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = services.endpoint_create(
                    company=user,
                    url=form.cleaned_data["url"],
                    events=form.cleaned_data["events"],
                    description=form.cleaned_data["description"],
                )
            except ApplicationError as exc:
                form.add_service_error(exc)
        if created is None:
            status = 400
        else:
            form = EndpointForm()
    context = {"endpoints": selectors.endpoints_of(user).order_by("-pk"), "form": form, "created": created}
    # The secret is on this answer only: it is never shown again.
    return render(request, "webhooks/list.html", context, status=status)


@login_required
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    user = page_user(request, "company")
    endpoint = selectors.endpoint_for(user, endpoint_id)
    deliveries = page_of(selectors.deliveries_of(endpoint), request.GET.get("cursor", ""))
    context = {
        "endpoint": endpoint,
        "deliveries": deliveries["items"],
        "more_url": more_url(request, deliveries["next_cursor"]),
    }
    return render(request, "webhooks/endpoint.html", context)


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    user = page_user(request, "company")
    endpoint = selectors.endpoint_for(user, endpoint_id)
    services.endpoint_delete(endpoint=endpoint, by=user)
    messages.success(request, _("Webhook address deleted."))
    return redirect("webhooks:list")


@login_required
@require_POST
def delivery_replay(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    user = page_user(request, "company")
    delivery = selectors.delivery_for(user, endpoint_id, delivery_id)
    return act_then_redirect(
        request,
        lambda: services.delivery_replay(delivery=delivery, by=user),
        done=_("Delivery queued to be sent again."),
        to=reverse("webhooks:endpoint", args=[endpoint_id]),
    )
