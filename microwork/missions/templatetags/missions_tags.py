from django import template

from microwork.missions.models import Mission
from microwork.missions.selectors import mission_where

register = template.Library()


@register.simple_tag
def where(mission: Mission, full: bool = False) -> str:
    """Where a mission is done, in words: the card's short form or, with `full`, the address (HM12)."""
    return mission_where(mission, full=full)
