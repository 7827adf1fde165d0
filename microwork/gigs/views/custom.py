"""Custom-order pages (AM11): a buyer's requests and their proposals, and
the invited expert's answer. Rules live in services and selectors."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from microwork.accounts.models import User
from microwork.accounts.roles import page_user
from microwork.core.errors import ApplicationError, InsufficientFunds
from microwork.core.forms import EurosField, ServiceErrorMixin
from microwork.core.pages import PAGE_SIZE, more_url, page_of

from .. import selectors, services
from ..models import CustomRequest, OfferCategory
from ..services.offers import MAX_DELIVERY_DAYS

# Pages of keyset rows: core.pages, shared with every app.


def form_service(form: Any, action: Callable[[dict[str, Any]], Any], *, aliases: dict[str, str] | None = None) -> Any:
    """Run the service on the cleaned form; what it returns, or None with the
    form carrying what the form or the service refused."""
    if not form.is_valid():
        return None
    try:
        return action(form.cleaned_data)
    except ApplicationError as exc:
        form.add_service_error(exc, aliases=aliases)
        return None


def order_url(order_id: int) -> str:
    """The order's page (the trade pages own it)."""
    return f"/commandes/{order_id}/"


# --- Forms ----------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


class CustomRequestForm(ServiceErrorMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120)
    description = forms.CharField(
        label=gettext_lazy("What you need"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("The result you expect, the files you will give, the constraints."),
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), required=False, choices=[("", "—"), *OfferCategory.choices]
    )
    budget = EurosField(label=gettext_lazy("Budget, VAT included (€)"), placeholder="150,00")
    deadline = forms.DateField(label=gettext_lazy("Deadline"), widget=DateInput())


class ProposalForm(ServiceErrorMixin, forms.Form):
    price = EurosField(label=gettext_lazy("Price, VAT included (€)"))
    delivery_days = forms.IntegerField(
        label=gettext_lazy("Delivery time (days)"), min_value=1, max_value=MAX_DELIVERY_DAYS
    )
    message = forms.CharField(
        label=gettext_lazy("Message to the buyer"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    @staticmethod
    def initial_of(price_cents: int, delivery_days: int) -> dict[str, Any]:
        """The form filled with terms in cents (see `services.proposal_terms_suggested`)."""
        return {"price": (Decimal(price_cents) / 100).quantize(Decimal("0.01")), "delivery_days": delivery_days}


# --- Pages ----------------------------------------------------------------------


def _list_page(request: HttpRequest, user: User, form: CustomRequestForm, *, status: int = 200) -> HttpResponse:
    visible = selectors.custom_requests_visible_to(user)
    mine = page_of(visible.filter(buyer=user), request.GET.get("cursor", ""))
    invited = visible.exclude(buyer=user).order_by("-pk")[:PAGE_SIZE]
    context = {
        "form": form,
        "mine": mine["items"],
        "more_url": more_url(request, mine["next_cursor"]),
        "invited": invited,
    }
    return render(request, "gigs/custom_list.html", context, status=status)


@login_required
def custom_list(request: HttpRequest) -> HttpResponse:
    """A buyer's requests and the form to post one; the requests an expert is invited to."""
    user = page_user(request)
    if user.is_staff_member:
        return redirect("gigs:staff_custom_list")
    if request.method != "POST":
        return _list_page(request, user, CustomRequestForm())
    form = CustomRequestForm(request.POST)
    created = form_service(
        form,
        lambda data: services.custom_request_create(
            buyer=user,
            title=data["title"],
            description=data["description"],
            budget_cents=data["budget"],
            deadline=data["deadline"],
            category=data["category"] or "",
        ),
        aliases={"budget_cents": "budget"},
    )
    if created is None:
        return _list_page(request, user, form, status=400)
    messages.success(request, _("Your request is posted: we are looking for the right experts."))
    return redirect("gigs:custom_detail", request_id=created.pk)


def _detail_page(
    request: HttpRequest,
    user: User,
    found: CustomRequest,
    *,
    proposal_form: ProposalForm | None = None,
    accept_error: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    role = selectors.custom_request_role(found, user)
    if role is None:  # staff see it from their own page
        return redirect("gigs:staff_custom_detail", request_id=found.pk)
    context: dict[str, Any] = {"custom_request": found, "role": role}
    if role == "buyer":
        proposals = list(selectors.proposals_visible_to(found, user).select_related("expert", "order"))
        context["proposals"] = proposals
        context["acceptable_ids"] = selectors.proposals_acceptable(found, proposals)
        context["accept_error"] = accept_error
    else:
        context["commission_rate"] = f"{services.COMMISSION_CUSTOM_BP // 100} %"
        own = selectors.proposals_visible_to(found, user).select_related("order").first()
        context["own_proposal"] = own
        if own is None and selectors.custom_request_orderable(found):
            terms = services.proposal_terms_suggested(found)
            context["proposal_form"] = proposal_form or ProposalForm(initial=ProposalForm.initial_of(*terms))
    return render(request, "gigs/custom_detail.html", context, status=status)


@login_required
def custom_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """The request; its proposals for the buyer; the answer form for an invited expert; 404 for others."""
    user = page_user(request)
    found = selectors.custom_request_for(user, request_id)
    if user.is_staff_member:
        return redirect("gigs:staff_custom_detail", request_id=found.pk)
    return _detail_page(request, user, found)


@login_required
@require_POST
def custom_propose(request: HttpRequest, request_id: int) -> HttpResponse:
    user = page_user(request)
    found = selectors.custom_request_for(user, request_id)
    if selectors.custom_request_role(found, user) != "expert":
        return redirect("gigs:custom_detail", request_id=found.pk)
    form = ProposalForm(request.POST)
    proposal = form_service(
        form,
        lambda data: services.proposal_create(
            request=found,
            by=user,
            price_cents=data["price"],
            delivery_days=data["delivery_days"],
            message=data["message"] or "",
        ),
        aliases={"price_cents": "price"},
    )
    if proposal is None:
        if not form.errors:
            form.add_error(None, _("Your proposal could not be sent."))
        found.refresh_from_db()
        return _detail_page(request, user, found, proposal_form=form, status=400)
    messages.success(request, _("Your proposal is sent to the buyer."))
    return redirect("gigs:custom_detail", request_id=found.pk)


@login_required
@require_POST
def proposal_accept(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """The buyer accepts a proposal: it becomes an order paid into escrow, or
    the page says why not (with a top-up link when the balance is short)."""
    user = page_user(request)
    proposal = selectors.proposal_for(user, proposal_id)
    found = proposal.custom_request
    if selectors.custom_request_role(found, user) != "buyer":
        return redirect("gigs:custom_detail", request_id=found.pk)
    try:
        order = services.proposal_accept(proposal=proposal, by=user)
    except ApplicationError as exc:
        found.refresh_from_db()
        error = {"proposal_id": proposal.pk, "detail": exc.detail, "topup": isinstance(exc, InsufficientFunds)}
        return _detail_page(request, user, found, accept_error=error, status=exc.status)
    messages.success(request, _("Proposal accepted: the order is open and the money held in escrow."))
    return redirect(order_url(order.pk))
