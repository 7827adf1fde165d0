"""The JSON shapes of webhooks."""

import json
from datetime import datetime
from typing import Any

from ninja import Field, Schema

from microwork.core.schemas import TextIn

from .models import Attempt, Delivery, Endpoint


class EndpointIn(TextIn):
    url: str = Field(max_length=500)
    events: list[str] = Field(min_length=1, max_length=10)
    description: str | None = Field(None, max_length=200)


class EndpointOut(Schema):
    id: str
    url: str
    events: list[str]
    description: str
    created_at: datetime
    # Only on the answer that creates the endpoint: it is never shown again.
    secret: str | None = None


class EndpointPage(Schema):
    items: list[EndpointOut]
    next_cursor: str | None


class AttemptOut(Schema):
    at: datetime
    status_code: int | None
    error: str
    duration_ms: int


class DeliveryOut(Schema):
    id: str
    endpoint_id: str
    event_type: str
    message_id: str
    state: str
    attempts: int
    last_status_code: int | None
    last_error: str
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    body: Any = None
    tries: list[AttemptOut] | None = None


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


def endpoint_out(endpoint: Endpoint, *, secret: bool = False) -> dict[str, Any]:
    return {
        "id": str(endpoint.pk),
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "created_at": endpoint.created_at,
        "secret": endpoint.secret if secret else None,
    }


def _attempt_out(attempt: Attempt) -> dict[str, Any]:
    return {
        "at": attempt.at,
        "status_code": attempt.status_code,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
    }


def delivery_out(delivery: Delivery, *, detail: bool = False) -> dict[str, Any]:
    return {
        "id": str(delivery.pk),
        "endpoint_id": str(delivery.endpoint_id),
        "event_type": delivery.event_type,
        "message_id": delivery.message_id,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "last_attempt_at": delivery.last_attempt_at,
        "next_attempt_at": delivery.next_attempt_at,
        "delivered_at": delivery.delivered_at,
        "created_at": delivery.created_at,
        "body": json.loads(delivery.body) if detail else None,
        "tries": [_attempt_out(a) for a in delivery.tries.order_by("pk")] if detail else None,
    }
