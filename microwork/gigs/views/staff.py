"""Staff's packaged-services queues: custom requests to match (AM11), order
disputes to decide (AM09) and messages that carry contact details (AM10)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from microwork.accounts.models import User
from microwork.accounts.roles import page_user
from microwork.core.forms import EurosField, ServiceErrorMixin
from microwork.core.uploads import file_response

from .. import matching, selectors, services
from ..models import CustomRequest, Order, OrderState, order_state_label
from ..services.custom import MAX_INVITED
from .custom import form_service, more_url, page_of


def staff_user(request: HttpRequest) -> User:
    return page_user(request, "staff")


class InviteForm(ServiceErrorMixin, forms.Form):
    experts = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Experts to invite"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, expert_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["experts"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(str(pk), str(pk)) for pk in expert_ids]
        field.error_messages["required"] = _("Tick at least one expert.")


class ResolveForm(ServiceErrorMixin, forms.Form):
    refund = EurosField(label=gettext_lazy("Refunded to the buyer (€)"), placeholder="0,00")
    reason = forms.CharField(
        label=gettext_lazy("Decision, as the parties will read it"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- Custom requests (AM11) -------------------------------------------------------


@login_required
def custom_list(request: HttpRequest) -> HttpResponse:
    """Open custom requests, oldest first."""
    staff_user(request)
    requests = matching.custom_requests_to_match().select_related("buyer")
    page = page_of(requests, request.GET.get("cursor", ""), ascending=True)
    context = {"requests": page["items"], "more_url": more_url(request, page["next_cursor"])}
    return render(request, "gigs/staff_custom_list.html", context)


def _custom_page(
    request: HttpRequest, found: CustomRequest, *, form: InviteForm | None = None, status: int = 200
) -> HttpResponse:
    is_open = selectors.custom_request_orderable(found)
    suggestions = matching.experts_suggested(found) if is_open else []
    invitations = list(found.invitations.select_related("expert", "invited_by", "proposal").order_by("pk"))
    invited = {invitation.expert_id for invitation in invitations}
    context = {
        "custom_request": found,
        "is_open": is_open,
        "suggestions": suggestions,
        "invited_ids": invited,
        "invitations": invitations,
        "proposals": found.proposals.select_related("expert", "order").order_by("pk"),
        "form": form,
        "max_invited": MAX_INVITED,
    }
    return render(request, "gigs/staff_custom_detail.html", context, status=status)


@login_required
def custom_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """The request, the suggested experts with their reasons, the invitations and proposals."""
    user = staff_user(request)
    return _custom_page(request, selectors.custom_request_for(user, request_id))


@login_required
@require_POST
def custom_invite(request: HttpRequest, request_id: int) -> HttpResponse:
    user = staff_user(request)
    found = selectors.custom_request_for(user, request_id)
    suggested = [s.expert.pk for s in matching.experts_suggested(found)]
    form = InviteForm(request.POST, expert_ids=suggested)
    invitations = form_service(
        form,
        lambda data: services.custom_request_invite(request=found, by=user, expert_ids=data["experts"]),
        aliases={"expert_ids": "experts"},
    )
    if invitations is None:
        found.refresh_from_db()
        return _custom_page(request, found, form=form, status=400)
    messages.success(request, _("Experts invited: %(count)s.") % {"count": len(invitations)})
    return redirect("gigs:staff_custom_detail", request_id=found.pk)


# --- Order disputes (AM09) --------------------------------------------------------


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    """Disputed orders, oldest first."""
    staff_user(request)
    page = page_of(selectors.orders_disputed(), request.GET.get("cursor", ""), ascending=True)
    context = {"orders": page["items"], "more_url": more_url(request, page["next_cursor"])}
    return render(request, "gigs/staff_dispute_list.html", context)


def _dispute_page(
    request: HttpRequest, order: Order, *, form: ResolveForm | None = None, status: int = 200
) -> HttpResponse:
    if_no_refund = services.resolve_split(order, 0)
    context = {
        "order": order,
        "is_disputed": selectors.order_can(order, OrderState.RESOLVED),
        "history": [
            {
                "move": move,
                "from": order_state_label(move.from_state),
                "to": order_state_label(move.to_state),
            }
            for move in selectors.order_history(order)
        ],
        "order_messages": selectors.order_messages(order),
        "form": form or ResolveForm(),
        "commission_percent": services.commission_percent(order),
        "expert_if_no_refund": if_no_refund.expert,
        "commission_if_no_refund": if_no_refund.platform,
        "vat_if_no_refund": if_no_refund.vat,
    }
    if order.buyer_refund_cents is not None:
        context["expert_paid"] = services.resolve_split(order, order.buyer_refund_cents).expert
    return render(request, "gigs/staff_dispute_detail.html", context, status=status)


@login_required
def dispute_split(request: HttpRequest, order_id: int) -> HttpResponse:
    """The decision form's live preview (htmx): what each party gets for the refund typed."""
    user = staff_user(request)
    order = selectors.order_in_dispute_for(user, order_id)
    form = ResolveForm(request.GET)
    split = None
    if form.is_valid() and services.refund_in_range(order, form.cleaned_data["refund"]):
        split = services.resolve_split(order, form.cleaned_data["refund"])
    return render(request, "gigs/staff_dispute_split.html", {"order": order, "split": split})


@login_required
def dispute_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    """The whole order, every message with its files, and the decision form."""
    user = staff_user(request)
    return _dispute_page(request, selectors.order_in_dispute_for(user, order_id))


@login_required
@require_POST
def dispute_resolve(request: HttpRequest, order_id: int) -> HttpResponse:
    user = staff_user(request)
    order = selectors.order_in_dispute_for(user, order_id)
    form = ResolveForm(request.POST)
    done = form_service(
        form,
        lambda data: services.order_resolve(
            order=order, by=user, buyer_refund_cents=data["refund"], reason=data["reason"] or ""
        ),
        aliases={"buyer_refund_cents": "refund"},
    )
    if done is None:
        order.refresh_from_db()
        return _dispute_page(request, order, form=form, status=400)
    messages.success(request, _("Dispute decided."))
    return redirect("gigs:staff_dispute_list")


@login_required
def order_file(request: HttpRequest, order_id: int, file_id: int) -> FileResponse:
    """A file sent in an order, for staff deciding its dispute."""
    user = staff_user(request)
    stored = selectors.order_file_for(user, order_id, file_id)
    return file_response(
        selectors.order_file_shown(stored, user), content_type=stored.content_type, download_name=stored.name
    )


# --- Flagged messages (AM10) ------------------------------------------------------


@login_required
def flagged_messages(request: HttpRequest) -> HttpResponse:
    """Messages that seem to carry contact details, newest first."""
    staff_user(request)
    page = page_of(selectors.messages_flagged(), request.GET.get("cursor", ""))
    context = {
        "flagged": page["items"],
        "in_dispute": selectors.order_ids_with_dispute(message.order for message in page["items"]),
        "more_url": more_url(request, page["next_cursor"]),
    }
    return render(request, "gigs/staff_flagged.html", context)
