"""The JSON shapes of packaged services: what the API reads, checked at the
edge, and what it answers (API.md, "Packaged services")."""

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import StrictInt

from microwork.core.schemas import TextIn

from . import services
from .models import (
    OfferCategory,
    OfferKind,
    OrderState,
)

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
