"""Reads on template batches (MW04): who sees which, their progress, their results."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, F, Q, QuerySet, Sum

from microwork.accounts.models import User
from microwork.core.errors import NotFound
from microwork.core.ids import object_id
from microwork.core.states import state_allows

from .models import BATCH_MOVES, Batch, BatchState, Claim, ClaimState, Mission, MissionState

REJECTED = (ClaimState.REJECTED, ClaimState.DISPUTED, ClaimState.SETTLED)
REPORTED = (ClaimState.SUBMITTED, ClaimState.APPROVED, *REJECTED)


# --- What may happen now: answered from the batch's transition table -------


def batch_can_submit(batch: Batch) -> bool:
    """A draft, or one sent back with changes asked, can go to review."""
    return state_allows(batch, BatchState.PENDING_REVIEW, allowed=BATCH_MOVES)


def batch_can_withdraw(batch: Batch) -> bool:
    """Any batch not yet done or withdrawn."""
    return state_allows(batch, BatchState.CLOSED, allowed=BATCH_MOVES)


def batch_can_review(batch: Batch) -> bool:
    """Staff publish it, or send it back, while it waits for review."""
    return state_allows(batch, BatchState.PUBLISHED, allowed=BATCH_MOVES)


def batches_visible_to(user: User | AnonymousUser) -> QuerySet[Batch]:
    """Staff see every batch; a company its own; anyone else none."""
    if not user.is_authenticated:
        return Batch.objects.none()
    if user.is_staff_member:
        return Batch.objects.all()
    if user.is_company:
        return Batch.objects.filter(company=user)
    return Batch.objects.none()


def batch_for(user: User | AnonymousUser, batch_id: object) -> Batch:
    """The batch if `user` may see it; not-found otherwise, never forbidden."""
    try:
        return batches_visible_to(user).select_related("company").get(pk=object_id(batch_id))
    except Batch.DoesNotExist:
        raise NotFound() from None


def batches_pending_review() -> QuerySet[Batch]:
    """What staff review, oldest first: each batch once, however many items it has."""
    return Batch.objects.filter(state=BatchState.PENDING_REVIEW).select_related("company").order_by("submitted_at")


def batch_progress(batch: Batch) -> dict[str, int]:
    """Items: how many, released to taskers, open (published with a free
    place), done (closed or expired); reports: waiting for review, approved,
    rejected; and what all the items cost (`cost_cents`)."""
    items = Mission.objects.filter(batch=batch).aggregate(
        released=Count("pk", filter=Q(batch_wave__lte=batch.waves_released)),
        open=Count("pk", filter=Q(state=MissionState.PUBLISHED, places_free__gt=0)),
        done=Count("pk", filter=Q(state__in=(MissionState.CLOSED, MissionState.EXPIRED))),
        cost_cents=Sum(F("places") * (F("reward_cents") + F("fee_cents") + F("vat_cents"))),
    )
    reports = Claim.objects.filter(mission__batch=batch).aggregate(
        submitted=Count("pk", filter=Q(state=ClaimState.SUBMITTED)),
        approved=Count("pk", filter=Q(state=ClaimState.APPROVED)),
        rejected=Count("pk", filter=Q(state__in=REJECTED)),
    )
    return {"items": batch.items, **items, **reports, "cost_cents": items["cost_cents"] or 0}


def batch_missions(batch: Batch) -> QuerySet[Mission]:
    return Mission.objects.filter(batch=batch).order_by("batch_item", "pk")


def batch_results(batch: Batch) -> QuerySet[Claim]:
    """Every report on the batch's items, item by item: what its results file lists."""
    return (
        Claim.objects.filter(mission__batch=batch, state__in=REPORTED)
        .select_related("mission")
        .prefetch_related("files")
        .order_by("mission__batch_item", "submitted_at", "pk")
    )


def batch_preview(batch: Batch, *, limit: int = 3) -> list[Mission]:
    """The first items as taskers will read them: what staff check."""
    return list(batch_missions(batch)[:limit])
