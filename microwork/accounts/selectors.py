from datetime import datetime
from typing import Any

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


def user_export(user: User) -> dict[str, Any]:
    """Everything the platform holds about the user, as JSON (AC03)."""
    from microwork.ledger.selectors import wallet_balance, wallet_postings

    organisation = getattr(user, "organisation", None)
    balance = wallet_balance(user)
    return {
        "account": {
            "id": str(user.pk),
            "role": user.role,
            "email": user.email,
            "display_name": user.display_name,
            "phone": user.phone or None,
            "phone_verified_at": _iso(user.phone_verified_at),
            "terms_version": user.terms_version,
            "terms_accepted_at": _iso(user.terms_accepted_at),
            "created_at": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "organisation": {"siret": organisation.siret, "legal_name": organisation.legal_name} if organisation else None,
        "documents": [
            {
                "id": str(d.pk),
                "kind": d.kind,
                "state": document_state(d),
                "valid_until": d.valid_until.isoformat() if d.valid_until else None,
                "created_at": _iso(d.created_at),
            }
            for d in user.documents.order_by("pk")
        ],
        "wallet": {"available_cents": balance.available_cents, "pending_cents": balance.pending_cents},
        "ledger": [
            {
                "entry_id": str(p.entry_id),
                "kind": p.entry.kind,
                "amount_cents": p.amount_cents,
                "memo": p.entry.memo,
                "created_at": _iso(p.entry.created_at),
            }
            for p in wallet_postings(user)
        ],
        "api_tokens": [
            {"prefix": t.prefix, "created_at": _iso(t.created_at), "revoked_at": _iso(t.revoked_at)}
            for t in user.api_tokens.order_by("pk")
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
