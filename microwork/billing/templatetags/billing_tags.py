"""Pages that lead to a charge ask for the billing details its invoice needs (PL02)."""

from typing import Any

from django import template

from microwork.billing import selectors

register = template.Library()


@register.inclusion_tag("billing/_profile_prompt.html", takes_context=True)
def billing_prompt(context: dict[str, Any]) -> dict[str, Any]:
    """A banner with a link to the billing details form, which brings the
    user back here, while a company or a buyer has not given them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    missing = bool(user and user.is_authenticated and selectors.billing_profile_missing(user))
    return {
        "billing_missing": missing,
        "profile": not missing,
        "before_charge": True,
        "next": request.path if request else "",
    }
