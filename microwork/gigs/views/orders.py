"""The pages of an order for its two parties, and staff read-only
(AM05-AM10, AM14): my orders, the order page with its actions by role and
state, the conversation polled by htmx, and its files."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HTMX_STOP_POLLING, HttpResponseClientRefresh

from microwork.accounts.models import User
from microwork.accounts.roles import page_user
from microwork.core.errors import ApplicationError
from microwork.core.pages import more_url, page_of
from microwork.core.uploads import file_response

from .. import forms, selectors, services
from ..models import Order
from .trade import PAGE_SIZE

# --- My orders and the order page (AM05-AM10, AM14) ---------------------------

SIDES = {"acheteur": "buyer", "expert": "expert"}


@login_required
def my_orders(request: HttpRequest) -> HttpResponse:
    user = page_user(request)
    side_slug = request.GET.get("cote") or ("expert" if user.is_expert else "acheteur")
    side = SIDES.get(side_slug, "buyer")
    tab = request.GET.get("etat") or "all"
    if tab not in selectors.ORDER_TABS:
        tab = "all"
    page = page_of(selectors.orders_of(user, side=side, tab=tab), request.GET.get("cursor", ""), size=PAGE_SIZE)
    context = {
        "orders": page["items"],
        "more_url": more_url(request, page["next_cursor"]),
        "side": side,
        "side_slug": "expert" if side == "expert" else "acheteur",
        "tab": tab,
        "tabs": list(selectors.ORDER_TABS),
    }
    return render(request, "gigs/my_orders.html", context)


def _order_forms() -> dict[str, Any]:
    return {
        "message_form": forms.MessageForm(),
        "deliver_form": forms.DeliverForm(),
        "revision_form": forms.RevisionForm(),
        "accept_form": forms.AcceptForm(),
        "dispute_form": forms.ReasonForm(prefix="dispute"),
        "cancellation_form": forms.ReasonForm(prefix="cancellation"),
        "decline_form": forms.OptionalReasonForm(prefix="decline"),
        "cancel_form": forms.OptionalReasonForm(prefix="cancel"),
        "evaluation_form": forms.EvaluationForm(),
    }


def _order_page(
    request: HttpRequest, user: User, order: Order, *, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    actions = selectors.order_actions(order, user)
    cancellation = selectors.order_open_cancellation(order)
    evaluable = selectors.order_cancellations_evaluable(order, user)
    context = {
        "order": order,
        "actions": actions,
        "other": order.expert if actions.side == "buyer" else order.buyer,
        "history": selectors.order_history(order),
        "conversation": selectors.order_messages(order),
        "ip_statement": selectors.order_ip_statement(order),
        "cancellation": cancellation,
        "evaluable": evaluable,
        "open_panel": next(iter(bound or {}), ""),
        **_order_forms(),
        **(bound or {}),
    }
    return render(request, "gigs/order.html", context, status=status)


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    user = page_user(request)
    return _order_page(request, user, selectors.order_for(user, order_id))


@require_GET
def order_conversation(request: HttpRequest, order_id: int) -> HttpResponse:
    """The conversation alone, which the order page polls (htmx) every few
    seconds; polling stops once the order is over, and a signed-out page
    reloads (to the sign-in page) rather than showing it inside the conversation."""
    if not request.user.is_authenticated:
        if getattr(request, "htmx", False):
            return HttpResponseClientRefresh()
        return redirect_to_login(request.get_full_path())
    user = page_user(request)
    order = selectors.order_for(user, order_id)
    context = {"order": order, "conversation": selectors.order_messages(order)}
    status = HTMX_STOP_POLLING if selectors.order_is_over(order) else 200
    return render(request, "gigs/_conversation.html", context, status=status)


@login_required
def order_file(request: HttpRequest, order_id: int, file_id: int) -> FileResponse:
    """A file of the conversation, for the two parties and staff, as a download."""
    user = page_user(request)
    stored = selectors.order_file_for(user, order_id, file_id)
    return file_response(
        selectors.order_file_shown(stored, user), content_type=stored.content_type, download_name=stored.name
    )


@dataclass(frozen=True)
class OrderAction:
    """One button or form of the order page: the form that reads it (None for
    a plain button), the service it calls with the cleaned data, the form's
    name in the page (to show it again with its errors), and what to say once done."""

    call: Callable[[Order, User, dict[str, Any]], Any]
    done: str
    form: Callable[[HttpRequest], Any] | None = None
    form_name: str = ""
    # The `OrderActions` flag under which the page shows the form.
    shown_when: str = ""


ACTIONS: dict[str, OrderAction] = {
    "demarrer": OrderAction(lambda o, u, d: services.order_start(order=o, by=u), "started"),
    "refuser": OrderAction(
        lambda o, u, d: services.order_decline(order=o, by=u, reason=d["reason"]),
        "declined",
        lambda r: forms.OptionalReasonForm(r.POST, prefix="decline"),
        "decline_form",
        "decline",
    ),
    "annuler": OrderAction(
        lambda o, u, d: services.order_cancel(order=o, by=u, reason=d["reason"]),
        "cancelled",
        lambda r: forms.OptionalReasonForm(r.POST, prefix="cancel"),
        "cancel_form",
        "cancel",
    ),
    "demander-annulation": OrderAction(
        lambda o, u, d: services.cancellation_request(order=o, by=u, reason=d["reason"]),
        "cancellation_asked",
        lambda r: forms.ReasonForm(r.POST, prefix="cancellation"),
        "cancellation_form",
        "ask_cancellation",
    ),
    "accepter-annulation": OrderAction(
        lambda o, u, d: services.order_cancellation_answer(order=o, by=u, accept=True),
        "cancellation_accepted",
    ),
    "refuser-annulation": OrderAction(
        lambda o, u, d: services.order_cancellation_answer(order=o, by=u, accept=False),
        "cancellation_refused",
    ),
    "livrer": OrderAction(
        lambda o, u, d: services.order_deliver(order=o, by=u, message=d["message"], files=d["attachments"]),
        "delivered",
        lambda r: forms.DeliverForm(r.POST, r.FILES),
        "deliver_form",
        "deliver",
    ),
    "revision": OrderAction(
        lambda o, u, d: services.order_revise(order=o, by=u, instructions=d["instructions"]),
        "revision",
        lambda r: forms.RevisionForm(r.POST),
        "revision_form",
        "revise",
    ),
    "accepter": OrderAction(
        lambda o, u, d: services.order_accept(order=o, by=u, rating=d["rating"], review=d["review"]),
        "accepted",
        lambda r: forms.AcceptForm(r.POST),
        "accept_form",
        "accept",
    ),
    "contester": OrderAction(
        lambda o, u, d: services.order_dispute(order=o, by=u, reason=d["reason"]),
        "disputed",
        lambda r: forms.ReasonForm(r.POST, prefix="dispute"),
        "dispute_form",
        "dispute",
    ),
    "message": OrderAction(
        lambda o, u, d: services.message_post(order=o, by=u, body=d["body"], files=d["attachments"]),
        "message",
        lambda r: forms.MessageForm(r.POST, r.FILES),
        "message_form",
        "write",
    ),
}


def _done_message(key: str) -> str:
    return {
        "started": _("Started: the countdown to the delivery has begun."),
        "declined": _("Order declined: the buyer is refunded in full."),
        "cancelled": _("Order cancelled: you are refunded in full."),
        "cancellation_asked": _("Cancellation asked: the other party accepts or refuses."),
        "cancellation_accepted": _("Cancellation accepted: the buyer is refunded in full."),
        "cancellation_refused": _("Cancellation refused: the order goes on."),
        "delivered": _("Delivered: the buyer accepts or asks for a revision."),
        "revision": _("Revision asked: the expert has your instructions."),
        "accepted": _("Thank you! The order is completed and the expert is paid."),
        "disputed": _("Dispute opened: the order is frozen until our team decides."),
        "message": _("Message sent."),
    }[key]


def _refused(request: HttpRequest, user: User, order: Order, act: OrderAction, form: Any) -> HttpResponse:
    """The order page again with the refused form and its errors; when the
    order moved on and the page no longer shows that form, its errors on top."""
    order.refresh_from_db()
    if getattr(selectors.order_actions(order, user), act.shown_when, False):
        return _order_page(request, user, order, bound={act.form_name: form}, status=400)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("gigs:order", order.pk)


@login_required
@require_POST
def order_act(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    """One button or form of the order page: its service, or why not as a form error."""
    user = page_user(request)
    order = selectors.order_for(user, order_id)
    if action not in ACTIONS:
        raise Http404
    act = ACTIONS[action]
    form: Any = None
    data: dict[str, Any] = {}
    try:
        if act.form is not None:
            form = act.form(request)
            if not form.is_valid():
                return _refused(request, user, order, act, form)
            data = form.cleaned_data
        result = act.call(order, user, data)
    except ApplicationError as exc:
        if form is None:
            messages.error(request, exc.detail)
            return redirect("gigs:order", order.pk)
        form.add_service_error(exc)
        return _refused(request, user, order, act, form)
    messages.success(request, _done_message(act.done))
    if action == "message" and getattr(result, "contact_flagged", False):
        messages.warning(
            request,
            _(
                "Your message seems to contain an email address or a phone number. Keep every exchange here: "
                "it protects both parties, and our team is told."
            ),
        )
    return redirect(reverse("gigs:order", args=[order.pk]) + ("#conversation" if action == "message" else ""))


@login_required
@require_POST
def cancellation_evaluate(request: HttpRequest, order_id: int, cancellation_id: int) -> HttpResponse:
    """The other party's comment on a cancellation, shown on the profile (AM07)."""
    user = page_user(request)
    order = selectors.order_for(user, order_id)
    cancellation = selectors.cancellation_for(user, cancellation_id)
    if cancellation.order_id != order.pk:
        raise Http404
    form = forms.EvaluationForm(request.POST)
    if form.is_valid():
        try:
            services.cancellation_evaluate(cancellation=cancellation, by=user, comment=form.cleaned_data["comment"])
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your comment is saved."))
            return redirect("gigs:order", order.pk)
    return _order_page(request, user, order, bound={"evaluation_form": form}, status=400)
