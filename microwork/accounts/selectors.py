from django.utils import timezone

from microwork.core.errors import NotFound

from .models import REQUIRED_DOCUMENTS, DocumentState, User, VerificationDocument


def expert_is_verified(user: User) -> bool:
    """An expert sells while each required document is approved and unexpired (AM13)."""
    today = timezone.localdate()
    valid_kinds = set(
        VerificationDocument.objects.filter(user=user, state=DocumentState.APPROVED)
        .exclude(valid_until__lt=today)
        .values_list("kind", flat=True)
    )
    return all(kind in valid_kinds for kind in REQUIRED_DOCUMENTS)


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
