"""The data export (AC03): what every app holds about one user, in one document.

It reads across every app, so it lives above them all. It holds the user's
own data only: of anyone else it names at most their display name (the
other party of an order, the company of a mission), never an email address
or a phone number.

An export of more than `EXPORT_INLINE_MAX_ROWS` rows is built in the
background (`ops.tasks.export_build`) into private storage, and the user gets
an emailed link to a page that serves it to them alone, signed and expiring
(`EXPORT_LINK_MAX_AGE_SECONDS`).
"""

import json
import os
import secrets
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Q
from django.urls import reverse

from microwork.accounts.models import ClosureRequest, Consent, ExpertProfile, User
from microwork.accounts.selectors import document_state
from microwork.billing import selectors as billing_selectors
from microwork.gigs.models import CustomRequest, Offer, Order, OrderMessage
from microwork.ledger.models import Posting
from microwork.ledger.selectors import refunds_of, topups_of, wallet_balance
from microwork.missions.bonus_selectors import bonuses_given_or_received
from microwork.missions.models import Batch, Claim, Mission
from microwork.moderation.selectors import abuse_reports_filed_by
from microwork.notifications.models import Notice
from microwork.payouts.models import Method, Payout, PayoutAccount
from microwork.webhooks.selectors import endpoints_of as webhook_endpoints_of

EXPORT_SIGNING_SALT = "microwork.ops.export"


def export_storage() -> FileSystemStorage:
    """Where large exports wait for their owner: outside MEDIA_ROOT, never served statically."""
    return FileSystemStorage(location=settings.EXPORT_ROOT, base_url=None)


def export_row_count(user: User) -> int:
    """About how many rows the export holds: what decides whether it is built in the background."""
    return (
        Posting.objects.filter(account__owner=user).count()
        + Claim.objects.filter(tasker=user).count()
        + Mission.objects.filter(company=user).count()
        + OrderMessage.objects.filter(Q(order__buyer=user) | Q(order__expert=user)).count()
        + Notice.objects.filter(user=user).count()
    )


def export_is_large(user: User) -> bool:
    return export_row_count(user) > settings.EXPORT_INLINE_MAX_ROWS


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
            "is_active": user.is_active,
        },
        "consents": [
            {"document": c.kind, "version": c.version, "accepted_at": _iso(c.accepted_at), "ip": c.ip}
            for c in Consent.objects.filter(user=user).order_by("accepted_at", "pk")
        ],
        "organisation": {"siret": organisation.siret, "legal_name": organisation.legal_name} if organisation else None,
        "documents": [
            {
                "id": str(d.pk),
                "kind": d.kind,
                "state": document_state(d),
                "file_name": _base(d.file.name),
                "valid_until": _iso(d.valid_until),
                "issued_on": _iso(d.issued_on),
                "refusal_reason": d.refusal_reason,
                "created_at": _iso(d.created_at),
            }
            for d in user.documents.order_by("pk")
        ],
        "expert_profile": _expert_profile(user),
        "wallet": {"available_cents": balance.available_cents, "pending_cents": balance.pending_cents},
        "ledger": [
            {
                "entry_id": str(p.entry_id),
                "account": p.account.kind,
                "kind": p.entry.kind,
                "amount_cents": p.amount_cents,
                "memo": p.entry.memo,
                "created_at": _iso(p.entry.created_at),
            }
            for p in Posting.objects.filter(account__owner=user)
            .select_related("entry", "account")
            .order_by("entry_id", "pk")
        ],
        "topups": [
            {
                "id": str(t.pk),
                "amount_cents": t.amount_cents,
                "state": t.state,
                "gateway": t.gateway,
                "created_at": _iso(t.created_at),
            }
            for t in topups_of(user).order_by("pk")
        ],
        "refunds": [
            {
                "id": str(r.pk),
                "amount_cents": r.amount_cents,
                "refunded_cents": r.refunded_cents,
                "state": r.state,
                "created_at": _iso(r.created_at),
            }
            for r in refunds_of(user).order_by("pk")
        ],
        "payouts": [
            {
                "id": str(p.pk),
                "method": p.method,
                "amount_cents": p.amount_cents,
                "state": p.state,
                "payout_account_id": str(p.account_id),
                "failure_reason": p.failure_reason,
                "created_at": _iso(p.created_at),
            }
            for p in Payout.objects.filter(user=user).order_by("pk")
        ],
        "payout_accounts": [_payout_account(a) for a in PayoutAccount.objects.filter(user=user).order_by("pk")],
        "billing_profile": billing_selectors.billing_profile_export(user),
        "invoices": billing_selectors.invoices_export(user),
        "tax_details": billing_selectors.tax_details_export(user),
        "missions": _missions(user),
        # Template batches (MW04): the template and its variables; each item is a mission above.
        "batches": [
            {
                "id": str(b.pk),
                "title": b.title,
                "category": b.category,
                "instructions": b.instructions,
                "questions": b.questions,
                "variables": b.variables,
                "items": b.items,
                "estimated_seconds": b.estimated_seconds,
                "reward_cents": b.reward_cents,
                "places": b.places,
                "state": b.state,
                "created_at": _iso(b.created_at),
                "published_at": _iso(b.published_at),
            }
            for b in Batch.objects.filter(company=user).order_by("pk")
        ],
        "claims": _claims(user),
        # Given by a company, received by a tasker (issue 15).
        "bonuses": [
            {
                "claim_id": str(b.claim_id),
                "amount_cents": b.amount_cents,
                "cost_cents": b.cost_cents,
                "message": b.message,
                "created_at": _iso(b.created_at),
            }
            for b in bonuses_given_or_received(user).order_by("pk")
        ],
        "webhooks": [
            {"url": e.url, "events": e.events, "description": e.description, "created_at": _iso(e.created_at)}
            for e in webhook_endpoints_of(user).order_by("pk")
        ],
        "offers": _offers(user),
        "orders": _orders(user),
        "custom_requests": [
            {
                "id": str(r.pk),
                "title": r.title,
                "description": r.description,
                "budget_cents": r.budget_cents,
                "deadline": _iso(r.deadline),
                "state": r.state,
                "created_at": _iso(r.created_at),
            }
            for r in CustomRequest.objects.filter(buyer=user).order_by("pk")
        ],
        "notices": [
            {
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "created_at": _iso(n.created_at),
                "read_at": _iso(n.read_at),
            }
            for n in Notice.objects.filter(user=user).order_by("pk")
        ],
        "abuse_reports": _abuse_reports(user),
        "closure_requests": [
            {
                "state": c.state,
                "requested_at": _iso(c.requested_at),
                "effective_at": _iso(c.effective_at),
                "closed_at": _iso(c.closed_at),
                "cancelled_at": _iso(c.cancelled_at),
            }
            for c in ClosureRequest.objects.filter(user=user).order_by("pk")
        ],
        "api_tokens": [
            {"prefix": t.prefix, "created_at": _iso(t.created_at), "revoked_at": _iso(t.revoked_at)}
            for t in user.api_tokens.order_by("pk")
        ],
    }


def _abuse_reports(user: User) -> list[dict[str, Any]]:
    """The abuse reports the user filed (AC04), never the reported party's personal data."""
    return abuse_reports_filed_by(user)


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
        "photo_file_name": _base(profile.photo.name) if profile.photo else None,
        "state": profile.state,
        "refusal_reason": profile.refusal_reason,
        "created_at": _iso(profile.created_at),
        "updated_at": _iso(profile.updated_at),
    }


def mask_iban(iban: str) -> str:
    """The country, check digits and last four characters only: "FR76 **** **** 1234"."""
    return f"{iban[:4]} **** **** {iban[-4:]}" if iban else ""


def _payout_account(account: PayoutAccount) -> dict[str, Any]:
    return {
        "id": str(account.pk),
        "method": account.method,
        "paypal_email": account.paypal_email or None,
        "iban": mask_iban(account.iban) if account.method == Method.IBAN else None,
        "holder": account.holder or None,
        "is_default": account.is_default,
        "created_at": _iso(account.created_at),
    }


def _missions(user: User) -> list[dict[str, Any]]:
    """The company's missions; of the taskers' claims only their states are counted."""
    claims_by_state: dict[int, dict[str, int]] = {}
    counted = Claim.objects.filter(mission__company=user).values("mission_id", "state").annotate(n=Count("pk"))
    for row in counted.order_by():
        claims_by_state.setdefault(row["mission_id"], {})[row["state"]] = row["n"]
    return [
        {
            "id": str(m.pk),
            "title": m.title,
            "category": m.category,
            "instructions": m.instructions,
            "state": m.state,
            "reward_cents": m.reward_cents,
            "fee_cents": m.fee_cents,
            "vat_cents": m.vat_cents,
            "places": m.places,
            "places_approved": m.places_approved,
            "questions": m.questions,
            "claims_by_state": claims_by_state.get(m.pk, {}),
            "batch_id": str(m.batch_id) if m.batch_id else None,
            "created_at": _iso(m.created_at),
            "published_at": _iso(m.published_at),
        }
        for m in Mission.objects.filter(company=user).order_by("pk")
    ]


def _claims(user: User) -> list[dict[str, Any]]:
    claims = Claim.objects.filter(tasker=user).select_related("mission__company").prefetch_related("files")
    return [
        {
            "id": str(c.pk),
            "mission_id": str(c.mission_id),
            "mission_title": c.mission.title,
            "company": c.mission.company.display_name,
            "state": c.state,
            "claimed_at": _iso(c.claimed_at),
            "deadline_at": _iso(c.deadline_at),
            "report": {
                "answers": c.answers,
                "text": c.text,
                "links": c.links,
                "submitted_at": _iso(c.submitted_at),
                "files": [
                    {"question_key": f.question_key, "file_name": _base(f.file.name), "content_type": f.content_type}
                    for f in c.files.all()
                ],
            },
            "rating": c.rating,
            "comment": c.comment,
            "rejection_reason": c.rejection_reason,
            "dispute_reason": c.dispute_reason,
            "settled_cents": c.settled_cents,
        }
        for c in claims.order_by("pk")
    ]


def _offers(user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": str(o.pk),
            "kind": o.kind,
            "title": o.title,
            "category": o.category,
            "description": o.description,
            "price_cents": o.price_cents,
            "delivery_days": o.delivery_days,
            "state": o.state,
            "extras": [{"name": e.name, "price_cents": e.price_cents} for e in o.extras.all()],
            "created_at": _iso(o.created_at),
        }
        for o in Offer.objects.filter(expert=user).prefetch_related("extras").order_by("pk")
    ]


def _orders(user: User) -> list[dict[str, Any]]:
    """The user's own orders, as buyer or seller; the other party by display name only."""
    orders = (
        Order.objects.filter(Q(buyer=user) | Q(expert=user))
        .select_related("buyer", "expert")
        .prefetch_related("messages__files")
        .order_by("pk")
    )
    rows = []
    for order in orders:
        mine = "buyer" if order.buyer_id == user.pk else "expert"
        other = order.expert if mine == "buyer" else order.buyer
        rows.append(
            {
                "id": str(order.pk),
                "as": mine,
                "other_party": other.display_name,
                "title": order.title,
                "state": order.state,
                "price_cents": order.price_cents,
                "extras": order.extras,
                "total_cents": order.total_cents,
                "requirements": order.requirements,
                "created_at": _iso(order.created_at),
                "completed_at": _iso(order.completed_at),
                "rating": order.rating,
                "review": order.review,
                "messages": [
                    {
                        "from": "me"
                        if m.author_id == user.pk
                        else (other.display_name if m.author_id else "Microwork"),
                        "kind": m.kind,
                        "body": m.body,
                        "files": [f.name for f in m.files.all()],
                        "created_at": _iso(m.created_at),
                    }
                    for m in sorted(order.messages.all(), key=lambda m: m.pk)
                ],
            }
        )
    return rows


def _iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment else None


def _base(name: str) -> str:
    return os.path.basename(name) if name else ""


# --- Large exports, built in the background ---------------------------------


def export_render(user: User) -> bytes:
    return json.dumps(user_export(user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode()


def export_file_build(user: User) -> str:
    """Write the export into private storage; returns the signed token of its download link."""
    storage = export_storage()
    name = storage.save(f"{user.pk}/export-{secrets.token_hex(16)}.json", ContentFile(export_render(user)))
    return signing.dumps({"user": user.pk, "name": name}, salt=EXPORT_SIGNING_SALT)


def export_link(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('web:export_download', args=[token])}"


def export_file_for(user: User, token: str) -> str | None:
    """The stored file a link names, if the link is genuine, unexpired, and the user's own."""
    try:
        data = signing.loads(token, salt=EXPORT_SIGNING_SALT, max_age=settings.EXPORT_LINK_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("user") != user.pk:
        return None
    name = str(data.get("name", ""))
    if not name.startswith(f"{user.pk}/") or not export_storage().exists(name):
        return None
    return name
