"""What the packaged services' API answers, built from the models: each
function gives the dict its `...Out` schema in `schemas.py` checks."""

from typing import Any

from django.urls import reverse

from microwork.core.serialisers import history_out

from .models import (
    Cancellation,
    CustomRequest,
    Invitation,
    Offer,
    Order,
    OrderMessage,
    Proposal,
)
from .selectors import ExpertRecord, order_cancellation_waiting, order_first_delivery_late, order_ip_statement


def expert_out(expert_id: int, name: str, record: ExpertRecord) -> dict[str, Any]:
    return {
        "id": str(expert_id),
        "display_name": name,
        "rating": record.rating,
        "reviews_count": record.reviews,
        "completed_orders": record.completed,
        "cancellations": record.cancellations,
    }


def offer_out(offer: Offer, record: ExpertRecord) -> dict[str, Any]:
    return {
        "id": str(offer.pk),
        "expert_id": str(offer.expert_id),
        "expert": expert_out(offer.expert_id, offer.expert.display_name, record),
        "kind": offer.kind,
        "title": offer.title,
        "category": offer.category,
        "description": offer.description,
        "price_cents": offer.price_cents,
        "delivery_days": offer.delivery_days,
        "keywords": offer.keywords,
        "extras": [
            {"index": i, "name": e.name, "price_cents": e.price_cents, "extra_days": e.extra_days}
            for i, e in enumerate(offer.extras.all())
        ],
        "opening_message": offer.opening_message,
        "ip_note": offer.ip_note,
        "video_url": offer.video_url,
        "images": [
            {
                "url": reverse("gigs:offer_image", args=[offer.pk, image.pk]),
                "thumbnail_url": reverse("gigs:offer_thumbnail", args=[offer.pk, image.pk]),
            }
            for image in offer.images.all()
        ],
        "state": offer.state,
        "rating": record.rating,
        "reviews_count": record.reviews,
        "cancellations": record.cancellations,
        "created_at": offer.created_at,
    }


def message_out(message: OrderMessage, *, warn: bool = False) -> dict[str, Any]:
    return {
        "id": str(message.pk),
        "order_id": str(message.order_id),
        "author_id": str(message.author_id) if message.author_id else None,
        "kind": message.kind,
        "body": message.body,
        "files": [
            {
                "id": str(f.pk),
                "name": f.name,
                "content_type": f.content_type,
                "size": f.size,
                "url": f"/api/v1/orders/{message.order_id}/files/{f.pk}",
            }
            for f in message.files.all()
        ],
        "contact_flagged": message.contact_flagged,
        "warning": (
            "This message seems to hold contact details; keep exchanges on the platform (they are shown to staff)."
            if warn and message.contact_flagged
            else None
        ),
        "created_at": message.created_at,
    }


def cancellation_out(cancellation: Cancellation) -> dict[str, Any]:
    return {
        "id": str(cancellation.pk),
        "order_id": str(cancellation.order_id),
        "by_id": str(cancellation.by_id),
        "reason": cancellation.reason,
        "state": cancellation.state,
        "evaluation": cancellation.evaluation,
        "created_at": cancellation.created_at,
    }


def custom_request_out(request: CustomRequest) -> dict[str, Any]:
    return {
        "id": str(request.pk),
        "buyer_id": str(request.buyer_id),
        "title": request.title,
        "description": request.description,
        "category": request.category,
        "budget_cents": request.budget_cents,
        "deadline": request.deadline,
        "state": request.state,
        "created_at": request.created_at,
    }


def invitation_out(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": str(invitation.pk),
        "custom_request_id": str(invitation.custom_request_id),
        "expert_id": str(invitation.expert_id),
        "created_at": invitation.created_at,
    }


def proposal_out(proposal: Proposal) -> dict[str, Any]:
    return {
        "id": str(proposal.pk),
        "custom_request_id": str(proposal.custom_request_id),
        "expert_id": str(proposal.expert_id),
        "price_cents": proposal.price_cents,
        "delivery_days": proposal.delivery_days,
        "message": proposal.message,
        "state": proposal.state,
        "order_id": str(proposal.order_id) if proposal.order_id else None,
        "created_at": proposal.created_at,
    }


def order_out(order: Order, *, history: bool = True) -> dict[str, Any]:
    open_request = order_cancellation_waiting(order)
    return {
        "id": str(order.pk),
        "offer_id": str(order.offer_id) if order.offer_id else None,
        "buyer_id": str(order.buyer_id),
        "expert_id": str(order.expert_id),
        "title": order.title,
        "kind": order.kind,
        "price_cents": order.price_cents,
        "extras": order.extras,
        "total_cents": order.total_cents,
        "commission_bp": order.commission_bp,
        "delivery_days": order.delivery_days,
        "requirements": order.requirements,
        "intellectual_property": order_ip_statement(order),
        "state": order.state,
        "started_at": order.started_at,
        "due_at": order.due_at,
        "first_delivered_at": order.first_delivered_at,
        "late": order_first_delivery_late(order),
        "completed_at": order.completed_at,
        "rating": order.rating,
        "review": order.review,
        "buyer_refund_cents": order.buyer_refund_cents,
        "cancellation_request": cancellation_out(open_request) if open_request else None,
        "created_at": order.created_at,
        "history": history_out(order.transitions) if history else [],
    }
