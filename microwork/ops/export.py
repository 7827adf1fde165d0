"""The data export (AC03): what every app holds about one user, in one document.

It reads across accounts and the ledger, so it lives above both.
"""

from datetime import datetime
from typing import Any

from microwork.accounts.models import ExpertProfile, User
from microwork.accounts.selectors import document_state
from microwork.ledger.selectors import wallet_balance, wallet_postings


def user_export(user: User) -> dict[str, Any]:
    """Everything the platform holds about the user, as JSON (AC03)."""
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
                "issued_on": d.issued_on.isoformat() if d.issued_on else None,
                "created_at": _iso(d.created_at),
            }
            for d in user.documents.order_by("pk")
        ],
        "expert_profile": _expert_profile(user),
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


def _expert_profile(user: User) -> dict[str, Any] | None:
    profile = ExpertProfile.objects.filter(user=user).first()
    if profile is None:
        return None
    return {
        "status": profile.status,
        "headline": profile.headline,
        "bio": profile.bio,
        "skills": list(profile.skills or []),
        "has_photo": bool(profile.photo),
        "state": profile.state,
        "refusal_reason": profile.refusal_reason,
        "created_at": _iso(profile.created_at),
        "updated_at": _iso(profile.updated_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
