"""Labels the packaged-services pages show."""

from django import template
from django.utils.translation import pgettext_lazy

from microwork.gigs.models import OrderState

register = template.Library()

#: An order's state as the pages say it (feminine in French: "la commande").
ORDER_STATE_LABELS = {
    OrderState.ACTIVE: pgettext_lazy("order state", "Ordered, not started"),
    OrderState.IN_PROGRESS: pgettext_lazy("order state", "In progress"),
    OrderState.DELIVERED: pgettext_lazy("order state", "Delivered"),
    OrderState.COMPLETED: pgettext_lazy("order state", "Completed"),
    OrderState.DISPUTED: pgettext_lazy("order state", "Disputed"),
    OrderState.RESOLVED: pgettext_lazy("order state", "Resolved"),
    OrderState.CANCELLED: pgettext_lazy("order state", "Cancelled"),
}


@register.filter
def order_state(value: str) -> str:
    """An order's state as people read it ("in_progress" → "In progress")."""
    label = ORDER_STATE_LABELS.get(value)  # type: ignore[call-overload]
    return str(label) if label is not None else str(dict(OrderState.choices).get(value, value))
