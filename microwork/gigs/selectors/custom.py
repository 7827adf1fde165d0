"""Custom orders (AM15): who sees a request and its proposals, and which
proposals may be accepted now."""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet

from microwork.accounts.models import User
from microwork.core.errors import NotFound
from microwork.core.ids import parse_id
from microwork.core.states import state_allows

from ..models import (
    CUSTOM_REQUEST_MOVES,
    PROPOSAL_MOVES,
    CustomRequest,
    CustomRequestState,
    Invitation,
    Proposal,
    ProposalState,
)


def custom_requests_visible_to(user: User) -> QuerySet[CustomRequest]:
    """A buyer's own requests; the requests an expert was invited to; all, for staff."""
    requests = CustomRequest.objects.all()
    if user.is_staff_member:
        return requests
    invited = Exists(Invitation.objects.filter(custom_request=OuterRef("pk"), expert=user))
    return requests.filter(Q(buyer=user) | invited)


def custom_request_for(user: User, request_id: object) -> CustomRequest:
    pk = parse_id(request_id)
    found = custom_requests_visible_to(user).filter(pk=pk).first() if pk else None
    if found is None:
        raise NotFound()
    return found


def custom_request_orderable(found: CustomRequest) -> bool:
    """Whether a proposal may still become the request's order: while the
    table lets the request move to `ordered`, experts are invited and propose."""
    return state_allows(found, CustomRequestState.ORDERED, allowed=CUSTOM_REQUEST_MOVES)


def custom_request_role(found: CustomRequest, user: User) -> str | None:
    """ "buyer" for the request's buyer, "expert" for an invited expert, else None (staff included)."""
    if found.buyer_id == user.pk:
        return "buyer"
    if invitation_of(found, user) is not None:
        return "expert"
    return None


def invitation_of(found: CustomRequest, user: User) -> Invitation | None:
    """The user's invitation to propose on the request, if any."""
    return Invitation.objects.filter(custom_request=found, expert=user).first()


def proposals_visible_to(found: CustomRequest, user: User) -> QuerySet[Proposal]:
    """The request's proposals `user` may see, oldest first: all for its buyer
    and staff; an invited expert's own only."""
    proposals = found.proposals.order_by("pk")
    if not (user.is_staff_member or found.buyer_id == user.pk):
        proposals = proposals.filter(expert=user)
    return proposals


def proposals_acceptable(found: CustomRequest, proposals: Iterable[Proposal]) -> set[int]:
    """Ids of the proposals the buyer may accept now: the tables let the
    request become ordered and the proposal accepted."""
    if not custom_request_orderable(found):
        return set()
    return {p.pk for p in proposals if state_allows(p, ProposalState.ACCEPTED, allowed=PROPOSAL_MOVES)}


def proposal_for(user: User, proposal_id: object) -> Proposal:
    """A proposal its buyer, its expert or staff may see."""
    pk = parse_id(proposal_id)
    proposals = Proposal.objects.select_related("custom_request", "expert")
    if not user.is_staff_member:
        proposals = proposals.filter(Q(custom_request__buyer=user) | Q(expert=user))
    proposal = proposals.filter(pk=pk).first() if pk else None
    if proposal is None:
        raise NotFound()
    return proposal
