"""The JSON shapes of packaged services: what the API reads, checked at the
edge, and what it answers (API.md, "Packaged services")."""

from datetime import date, datetime
from typing import Any

from django.urls import reverse
from ninja import Field, Schema
from pydantic import StrictInt

from microwork.core.schemas import TextIn

from . import services
from .models import (
    Cancellation,
    CustomRequest,
    Invitation,
    Offer,
    OfferCategory,
    OfferKind,
    Order,
    OrderMessage,
    OrderState,
    Proposal,
)
from .selectors import ExpertRecord, order_first_delivery_late, order_ip_statement, order_open_cancellation

Cents = StrictInt


class ExtraIn(Schema):
    name: str = Field(max_length=120)
    price_cents: Cents = Field(ge=1, le=10**9)
    extra_days: int = Field(0, ge=0, le=365)


class OfferIn(TextIn):
    kind: OfferKind
    title: str = Field(max_length=120)
    category: OfferCategory
    description: str = Field(max_length=20_000)
    price_cents: Cents = Field(ge=1, le=10**9)
    delivery_days: int = Field(ge=1, le=365)
    keywords: list[str] = Field(default_factory=list, max_length=50)
    extras: list[ExtraIn] | None = Field(None, max_length=20)
    opening_message: str | None = Field(None, max_length=5_000)
    ip_note: str | None = Field(None, max_length=5_000)
    video_url: str | None = Field(None, max_length=500)

    def fields(self) -> services.OfferFields:
        return services.OfferFields(
            kind=self.kind,
            title=self.title,
            category=self.category,
            description=self.description,
            price_cents=self.price_cents,
            delivery_days=self.delivery_days,
            keywords=tuple(self.keywords),
            extras=tuple(
                services.ExtraIn(name=e.name, price_cents=e.price_cents, extra_days=e.extra_days)
                for e in self.extras or []
            ),
            opening_message=self.opening_message or "",
            ip_note=self.ip_note or "",
            video_url=self.video_url or "",
        )


class OfferFilters(Schema):
    q: str | None = Field(None, max_length=200)
    category: OfferCategory | None = None
    kind: OfferKind | None = None
    max_price_cents: int | None = Field(None, ge=0, le=10**9)


class ExtraOut(Schema):
    index: int
    name: str
    price_cents: int
    extra_days: int


class ExpertOut(Schema):
    id: str
    display_name: str
    rating: float | None
    reviews_count: int
    completed_orders: int
    cancellations: int


class OfferOut(Schema):
    id: str
    expert_id: str
    expert: ExpertOut
    kind: str
    title: str
    category: str
    description: str
    price_cents: int
    delivery_days: int
    keywords: list[str]
    extras: list[ExtraOut]
    opening_message: str
    ip_note: str
    video_url: str
    images: list[dict[str, str]]
    state: str
    rating: float | None
    reviews_count: int
    cancellations: int
    created_at: datetime


class OfferPage(Schema):
    items: list[OfferOut]
    next_cursor: str | None


class OrderIn(TextIn):
    extras: list[int] | None = Field(None, max_length=20)
    requirements: str | None = Field(None, max_length=10_000)


class OrderTransitionOut(Schema):
    from_state: str
    to_state: str
    by_id: str | None
    reason: str
    at: datetime


class OrderOut(Schema):
    id: str
    offer_id: str | None
    buyer_id: str
    expert_id: str
    title: str
    kind: str
    price_cents: int
    extras: list[dict[str, Any]]
    total_cents: int
    commission_bp: int
    delivery_days: int
    requirements: str
    intellectual_property: str
    state: str
    started_at: datetime | None
    due_at: datetime | None
    first_delivered_at: datetime | None
    late: bool
    completed_at: datetime | None
    rating: int | None
    review: str
    buyer_refund_cents: int | None
    cancellation_request: dict[str, Any] | None
    created_at: datetime
    history: list[OrderTransitionOut]


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class OrderFilters(Schema):
    state: OrderState | None = None
    role: str | None = Field(None, pattern="^(buyer|expert)$")


class MessageIn(TextIn):
    body: str = Field("", max_length=5_000)


class DeliveryIn(TextIn):
    message: str = Field(max_length=5_000)


class RevisionIn(TextIn):
    instructions: str = Field(max_length=5_000)


class AcceptIn(TextIn):
    rating: StrictInt = Field(ge=1, le=5)
    review: str | None = Field(None, max_length=5_000)


class OrderReasonIn(TextIn):
    reason: str = Field(max_length=1_000)


class OptionalReasonIn(TextIn):
    reason: str | None = Field(None, max_length=1_000)


class ResolveIn(TextIn):
    buyer_refund_cents: Cents = Field(ge=0, le=10**9)
    reason: str | None = Field(None, max_length=1_000)


class EvaluationIn(TextIn):
    comment: str = Field(max_length=1_000)


class FileOut(Schema):
    id: str
    name: str
    content_type: str
    size: int
    url: str


class MessageOut(Schema):
    id: str
    order_id: str
    author_id: str | None
    kind: str
    body: str
    files: list[FileOut]
    contact_flagged: bool
    warning: str | None
    created_at: datetime


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class CancellationOut(Schema):
    id: str
    order_id: str
    by_id: str
    reason: str
    state: str
    evaluation: str
    created_at: datetime


class CustomRequestIn(TextIn):
    title: str = Field(max_length=120)
    description: str = Field(max_length=20_000)
    budget_cents: Cents = Field(ge=1, le=10**9)
    deadline: date
    category: OfferCategory | None = None


class CustomRequestOut(Schema):
    id: str
    buyer_id: str
    title: str
    description: str
    category: str
    budget_cents: int
    deadline: date
    state: str
    created_at: datetime


class CustomRequestPage(Schema):
    items: list[CustomRequestOut]
    next_cursor: str | None


class InvitationsIn(Schema):
    expert_ids: list[str] = Field(min_length=1, max_length=20)


class InvitationOut(Schema):
    id: str
    custom_request_id: str
    expert_id: str
    created_at: datetime


class InvitationsOut(Schema):
    items: list[InvitationOut]


class ProposalIn(TextIn):
    price_cents: Cents = Field(ge=1, le=10**9)
    delivery_days: int = Field(ge=1, le=365)
    message: str | None = Field(None, max_length=5_000)


class ProposalOut(Schema):
    id: str
    custom_request_id: str
    expert_id: str
    price_cents: int
    delivery_days: int
    message: str
    state: str
    order_id: str | None
    created_at: datetime


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
    open_request = order_open_cancellation(order) if order.state in ("in_progress", "delivered") else None
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
        "history": [
            {
                "from_state": t.from_state,
                "to_state": t.to_state,
                "by_id": str(t.by_id) if t.by_id else None,
                "reason": t.reason,
                "at": t.at,
            }
            for t in (order.transitions.order_by("pk") if history else [])
        ],
    }
