from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from microwork.core.errors import NotFound

from .models import REQUIRED_DOCUMENTS, DocumentKind, DocumentState, Role, User, VerificationDocument


def expert_is_verified(user: User) -> bool:
    """An expert sells while each required document is approved and unexpired (AM13)."""
    today = timezone.localdate()
    valid_kinds = set(
        VerificationDocument.objects.filter(user=user, state=DocumentState.APPROVED)
        .exclude(valid_until__lt=today)
        .values_list("kind", flat=True)
    )
    return all(kind in valid_kinds for kind in REQUIRED_DOCUMENTS)


def verified_experts() -> QuerySet[User]:
    """The experts who may sell today, as one query to filter on (AM13):
    `expert_is_verified` for many experts at once."""
    today = timezone.localdate()
    valid = VerificationDocument.objects.filter(user=OuterRef("pk"), state=DocumentState.APPROVED).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )
    experts = User.objects.filter(role=Role.EXPERT, is_active=True)
    for kind in REQUIRED_DOCUMENTS:
        experts = experts.filter(Exists(valid.filter(kind=kind)))
    return experts


def document_state(document: VerificationDocument) -> str:
    """The state as of today: an approved document past its expiry reads expired
    even before `tick` marks it."""
    if (
        document.state == DocumentState.APPROVED
        and document.valid_until
        and document.valid_until < timezone.localdate()
    ):
        return DocumentState.EXPIRED
    return document.state


# Which of an expert's documents of one kind counts: the best state wins.
_STATE_RANK = {DocumentState.APPROVED: 0, DocumentState.PENDING: 1, DocumentState.EXPIRED: 2, DocumentState.REFUSED: 3}


def documents_overview(user: User) -> list[dict[str, Any]]:
    """The user's documents, newest first, each with its state as of today."""
    return [
        {"document": document, "state": document_state(document)}
        for document in user.documents.order_by("-created_at", "-pk")
    ]


def required_documents_status(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each required kind, the best state among the expert's documents
    (None when the expert sent none of that kind)."""
    status = []
    for kind in REQUIRED_DOCUMENTS:
        states = [item["state"] for item in documents if item["document"].kind == kind]
        best = min(states, key=lambda state: _STATE_RANK[state]) if states else None
        status.append({"kind": DocumentKind(kind).label, "state": best})
    return status


def document_for(user: User, document_id: int, *, lock: bool = False) -> VerificationDocument:
    """The document if `user` may see it (its owner, or staff); not-found otherwise."""
    documents = VerificationDocument.objects.all()
    if lock:
        documents = documents.select_for_update()
    if not user.is_staff_member:
        documents = documents.filter(user=user)
    try:
        return documents.get(pk=document_id)
    except VerificationDocument.DoesNotExist:
        raise NotFound() from None
