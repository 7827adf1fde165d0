"""A company's webhooks through the API: its endpoints, their deliveries, and replays."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from microwork.accounts.roles import current_user, require_role
from microwork.core.pagination import PageParams, keyset_page

from . import selectors, services
from .schemas import DeliveryOut, DeliveryPage, EndpointIn, EndpointOut, EndpointPage, delivery_out, endpoint_out

router = Router(tags=["webhooks"])


def _company(request: HttpRequest) -> Any:
    user = current_user(request)
    require_role(user, "company")
    return user


@router.get("/me/webhooks", response=EndpointPage)
def endpoint_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    endpoints = selectors.endpoints_of(_company(request))
    return keyset_page(endpoints, limit=page.limit, cursor=page.cursor, serialize=endpoint_out)


@router.post("/me/webhooks", response={201: EndpointOut})
def endpoint_create(request: HttpRequest, data: EndpointIn) -> Status[dict[str, Any]]:
    """Register an address; the answer carries its signing `secret`, shown this once."""
    endpoint = services.endpoint_create(
        company=_company(request), url=data.url, events=data.events, description=data.description or ""
    )
    return Status(201, endpoint_out(endpoint, secret=True))


@router.get("/me/webhooks/{endpoint_id}", response=EndpointOut)
def endpoint_detail(request: HttpRequest, endpoint_id: str) -> dict[str, Any]:
    return endpoint_out(selectors.endpoint_for(_company(request), endpoint_id))


@router.delete("/me/webhooks/{endpoint_id}", response={204: None})
def endpoint_delete(request: HttpRequest, endpoint_id: str) -> Status[None]:
    user = _company(request)
    services.endpoint_delete(endpoint=selectors.endpoint_for(user, endpoint_id), by=user)
    return Status(204, None)


@router.get("/me/webhooks/{endpoint_id}/deliveries", response=DeliveryPage)
def delivery_list(request: HttpRequest, endpoint_id: str, page: Query[PageParams]) -> dict[str, Any]:
    deliveries = selectors.deliveries_of(selectors.endpoint_for(_company(request), endpoint_id))
    return keyset_page(deliveries, limit=page.limit, cursor=page.cursor, serialize=delivery_out)


@router.get("/me/webhooks/{endpoint_id}/deliveries/{delivery_id}", response=DeliveryOut)
def delivery_detail(request: HttpRequest, endpoint_id: str, delivery_id: str) -> dict[str, Any]:
    """The delivery with its body and every try (time, status code, error, duration)."""
    return delivery_out(selectors.delivery_for(_company(request), endpoint_id, delivery_id), detail=True)


@router.post("/me/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay", response=DeliveryOut)
def delivery_replay(request: HttpRequest, endpoint_id: str, delivery_id: str) -> dict[str, Any]:
    """Send the message again (same webhook-id, fresh signature) → `pending`; the worker sends it."""
    user = _company(request)
    delivery = services.delivery_replay(delivery=selectors.delivery_for(user, endpoint_id, delivery_id), by=user)
    return delivery_out(delivery, detail=True)
