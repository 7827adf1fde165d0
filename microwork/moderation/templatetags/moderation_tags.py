from typing import Any

from django import template

from microwork.moderation.selectors import active_suspension

register = template.Library()


@register.inclusion_tag("moderation/_suspension_notice.html")
def suspension_notice(user: Any) -> dict[str, Any]:
    """The suspension in force and its reason, where the user looks first (AC04)."""
    return {"suspension": active_suspension(user) if getattr(user, "is_authenticated", False) else None}
