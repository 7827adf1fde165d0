"""Reads of webhooks, each through its owner: a company sees its own endpoints
and their deliveries; anything else is not found."""

from django.db.models import QuerySet

from microwork.accounts.models import User
from microwork.core.errors import NotFound
from microwork.core.ids import object_id

from .models import Delivery, Endpoint


def endpoints_of(user: User) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(company_id=user.pk)


def endpoint_for(user: User, endpoint_id: object) -> Endpoint:
    endpoint = endpoints_of(user).filter(pk=object_id(endpoint_id)).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


def deliveries_of(endpoint: Endpoint) -> QuerySet[Delivery]:
    return Delivery.objects.filter(endpoint=endpoint)


def delivery_for(user: User, endpoint_id: object, delivery_id: object) -> Delivery:
    delivery = deliveries_of(endpoint_for(user, endpoint_id)).filter(pk=object_id(delivery_id)).first()
    if delivery is None:
        raise NotFound()
    return delivery
