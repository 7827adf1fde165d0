from typing import Any

from django import template

from microwork.notifications import selectors

register = template.Library()

BELL_SIZE = 5


@register.simple_tag
def bell_for(user: Any) -> dict[str, Any]:
    """The unread count and the latest notices, for the bell in the header."""
    if not getattr(user, "is_authenticated", False):
        return {"unread": 0, "recent": []}
    return {"unread": selectors.notices_unread_count(user), "recent": list(selectors.notices_recent(user, BELL_SIZE))}
