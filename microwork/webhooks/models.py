"""A company's webhook endpoints and the deliveries made to them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from microwork.core.models import Transition


class Endpoint(models.Model):
    """Where a company wants to hear of its events, signed with its own secret."""

    company = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    # The event types chosen (core.events.EVENT_TYPES).
    events = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True, default="")
    # "whsec_" and base64: the Standard Webhooks form. Kept to sign; shown once.
    secret = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["company", "-id"], name="webhooks_endpoint_company_idx")]

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


DELIVERY_MOVES: dict[str, set[str]] = {
    "": {DeliveryState.PENDING},
    DeliveryState.PENDING: {DeliveryState.SUCCEEDED, DeliveryState.FAILED},
    # A replay sends the same message again.
    DeliveryState.SUCCEEDED: {DeliveryState.PENDING},
    DeliveryState.FAILED: {DeliveryState.PENDING},
}


class Delivery(models.Model):
    """One event for one endpoint: the signed message, tried until it is
    answered 2xx or the tries run out."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    # The Standard Webhooks message id (header webhook-id): the same on every try.
    message_id = models.CharField(max_length=40, unique=True)
    # The body exactly as signed and sent.
    body = models.TextField()
    state = models.CharField(max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["endpoint", "-id"], name="webhooks_delivery_endpoint_idx"),
            models.Index(fields=["state", "next_attempt_at"], name="webhooks_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class DeliveryTransition(Transition):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="transitions")


class Attempt(models.Model):
    """One try of a delivery: what the endpoint answered, and how fast."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at}: {self.status_code or self.error}"
