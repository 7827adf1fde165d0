"""Labels the packaged-services pages show."""

from django import template

from microwork.gigs.models import order_state_label

register = template.Library()


@register.filter
def order_state(value: str) -> str:
    """An order's state as people read it ("in_progress" → "In progress")."""
    return order_state_label(value)
