"""Custom orders (AM11): a buyer describes a need with a budget and a
deadline; staff invite suitable experts; an invited expert accepts the terms
or counter-offers price and delay; the proposal the buyer accepts becomes an
order with a 20% commission (AM12), and the other experts are told."""

from collections.abc import Sequence
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.accounts.roles import require_role
from microwork.accounts.selectors import expert_is_verified, verified_experts
from microwork.accounts.services import ExpertNotVerified
from microwork.core.errors import Forbidden, InvalidInput
from microwork.core.states import WrongState, state_move, state_require, state_start
from microwork.notifications.services import notify

from ..models import (
    CUSTOM_REQUEST_MOVES,
    PROPOSAL_MOVES,
    CustomRequest,
    CustomRequestState,
    CustomRequestTransition,
    Invitation,
    OfferCategory,
    Order,
    Proposal,
    ProposalState,
    ProposalTransition,
)
from .common import COMMISSION_CUSTOM_BP
from .offers import MAX_DELIVERY_DAYS, PRICE_MAX_CENTS, PRICE_MIN_CENTS
from .orders import order_open

MAX_INVITED = 20


def _require_orderable(request: CustomRequest) -> None:
    """Experts are invited and propose while a proposal may still become the
    order: while the request's table lets it move to `ordered`. The caller
    holds the request's row lock."""
    state_require(
        request, CustomRequestState.ORDERED, allowed=CUSTOM_REQUEST_MOVES, message=_("This request is no longer open.")
    )


def custom_request_create(
    *, buyer: User, title: str, description: str, budget_cents: int, deadline: date, category: str = ""
) -> CustomRequest:
    if buyer.is_staff_member:
        raise Forbidden(_("Staff accounts do not buy."))
    title, description = title.strip(), description.strip()
    if len(title) < 5:
        raise InvalidInput(_("Give the request a title of at least 5 characters."), field="title")
    if len(description) < 20:
        raise InvalidInput(_("Describe the need in at least 20 characters."), field="description")
    if not PRICE_MIN_CENTS <= budget_cents <= PRICE_MAX_CENTS:
        raise InvalidInput(_("The budget is between 5 € and 10,000 €, VAT included."), field="budget_cents")
    if deadline <= timezone.localdate():
        raise InvalidInput(_("The deadline is a day after today."), field="deadline")
    if category and category not in OfferCategory.values:
        raise InvalidInput(_("Choose a category from the list."), field="category")
    with transaction.atomic():
        request = CustomRequest.objects.create(
            buyer=buyer,
            title=title,
            description=description,
            budget_cents=budget_cents,
            deadline=deadline,
            category=category,
        )
        state_start(
            request, allowed=CUSTOM_REQUEST_MOVES, history=CustomRequestTransition, by=buyer, custom_request=request
        )
        for staff in User.objects.filter(is_active=True, role="staff"):
            notify(
                user=staff,
                kind="custom_request",
                title=lambda: _("Custom request to match: %(title)s") % {"title": title},
                url=f"/moderation/sur-mesure/{request.pk}/",
            )
    return request


def custom_request_invite(*, request: CustomRequest, by: User, expert_ids: Sequence[int]) -> list[Invitation]:
    """Staff invite verified experts to propose (AM11); an expert already invited is left as is."""
    require_role(by, "staff", message=_("Only staff invite experts."))
    ids = list(dict.fromkeys(expert_ids))
    if not ids or len(ids) > MAX_INVITED:
        raise InvalidInput(_("Invite 1 to %(count)s experts.") % {"count": MAX_INVITED}, field="expert_ids")
    experts = list(verified_experts().filter(pk__in=ids).exclude(pk=request.buyer_id))
    if len(experts) != len(ids):
        raise InvalidInput(_("Invite verified experts only, other than the buyer."), field="expert_ids")
    with transaction.atomic():
        request = CustomRequest.objects.select_for_update().get(pk=request.pk)
        _require_orderable(request)
        invitations = []
        for expert in experts:
            invitation, created = Invitation.objects.get_or_create(
                custom_request=request, expert=expert, defaults={"invited_by": by}
            )
            invitations.append(invitation)
            if created:
                notify(
                    user=expert,
                    kind="custom_invitation",
                    title=lambda: _("You are invited to propose: %(title)s") % {"title": request.title},
                    url=f"/sur-mesure/{request.pk}/",
                    email=True,
                )
    return invitations


def proposal_terms_suggested(request: CustomRequest, today: date | None = None) -> tuple[int, int]:
    """The buyer's terms as a proposal (price in cents, delivery days): the
    budget, and the days left until the deadline within what a proposal allows."""
    today = today or timezone.localdate()
    days = min(max((request.deadline - today).days, 1), MAX_DELIVERY_DAYS)
    return request.budget_cents, days


def proposal_create(
    *, request: CustomRequest, by: User, price_cents: int, delivery_days: int, message: str = ""
) -> Proposal:
    """An invited expert accepts the buyer's terms or counter-offers (AM11)."""
    invitation = Invitation.objects.filter(custom_request=request, expert=by).first()
    if invitation is None:
        raise Forbidden(_("Only invited experts propose."))
    if not PRICE_MIN_CENTS <= price_cents <= PRICE_MAX_CENTS:
        raise InvalidInput(_("The price is between 5 € and 10,000 €, VAT included."), field="price_cents")
    if not 1 <= delivery_days <= MAX_DELIVERY_DAYS:
        raise InvalidInput(_("Delivery takes 1 to %(days)s days.") % {"days": MAX_DELIVERY_DAYS}, field="delivery_days")
    try:
        with transaction.atomic():
            request = CustomRequest.objects.select_for_update().get(pk=request.pk)
            _require_orderable(request)
            proposal = Proposal.objects.create(
                invitation=invitation,
                custom_request=request,
                expert=by,
                price_cents=price_cents,
                delivery_days=delivery_days,
                message=message.strip()[:5000],
            )
            state_start(proposal, allowed=PROPOSAL_MOVES, history=ProposalTransition, by=by, proposal=proposal)
    except IntegrityError:
        raise WrongState(_("You have already proposed for this request.")) from None
    notify(
        user=request.buyer,
        kind="custom_proposal",
        title=lambda: _("A proposal for “%(title)s”") % {"title": request.title},
        url=f"/sur-mesure/{request.pk}/",
        email=True,
    )
    return proposal


def proposal_accept(*, proposal: Proposal, by: User) -> Order:
    """The buyer accepts one proposal: it becomes an order paid into escrow
    (commission 20%), the request is ordered, the other proposals are told."""
    if proposal.custom_request.buyer_id != by.pk:
        raise Forbidden(_("Only the buyer accepts a proposal."))
    if not expert_is_verified(proposal.expert):  # AM13: an expired document suspends new sales
        raise ExpertNotVerified(_("This expert cannot take new orders for now."))
    with transaction.atomic():
        request = CustomRequest.objects.select_for_update().get(pk=proposal.custom_request_id)
        proposal = Proposal.objects.select_for_update().select_related("expert").get(pk=proposal.pk)
        state_move(
            request,
            CustomRequestState.ORDERED,
            allowed=CUSTOM_REQUEST_MOVES,
            history=CustomRequestTransition,
            by=by,
            custom_request=request,
            message=_("This request is no longer open."),
        )
        state_move(
            proposal,
            ProposalState.ACCEPTED,
            allowed=PROPOSAL_MOVES,
            history=ProposalTransition,
            by=by,
            proposal=proposal,
        )
        order = order_open(
            buyer=by,
            expert=proposal.expert,
            title=request.title,
            price_cents=proposal.price_cents,
            delivery_days=proposal.delivery_days,
            commission_bp=COMMISSION_CUSTOM_BP,
            requirements=request.description,
        )
        proposal.order = order
        proposal.save(update_fields=["order"])
        for other in Proposal.objects.select_for_update().filter(custom_request=request, state=ProposalState.OPEN):
            state_move(
                other, ProposalState.DECLINED, allowed=PROPOSAL_MOVES, history=ProposalTransition, by=by, proposal=other
            )
            notify(
                user=other.expert,
                kind="custom_not_chosen",
                title=lambda: _("Another proposal was chosen for “%(title)s”") % {"title": request.title},
            )
    return order


def custom_work_end_for(*, user: User) -> None:
    """An account closing (AC02): its open requests close, and the proposals on
    them and its own open proposals are declined, so no order can come of them.
    Runs inside the closure's transaction."""
    requests = CustomRequest.objects.select_for_update().filter(buyer=user, state=CustomRequestState.OPEN)
    for request in requests:
        state_move(
            request,
            CustomRequestState.CLOSED,
            allowed=CUSTOM_REQUEST_MOVES,
            history=CustomRequestTransition,
            by=user,
            reason="account closed",
            custom_request=request,
        )
    proposals = Proposal.objects.select_for_update().select_related("custom_request")
    for proposal in proposals.filter(Q(expert=user) | Q(custom_request__buyer=user), state=ProposalState.OPEN):
        state_move(
            proposal,
            ProposalState.DECLINED,
            allowed=PROPOSAL_MOVES,
            history=ProposalTransition,
            by=user,
            reason="account closed",
            proposal=proposal,
        )
        if proposal.expert_id != user.pk:
            notify(
                user=proposal.expert,
                kind="custom_not_chosen",
                title=lambda: (
                    _("The request “%(title)s” is closed") % {"title": proposal.custom_request.title}  # noqa: B023 (called at once)
                ),
            )
