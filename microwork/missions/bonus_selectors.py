"""Reads of bonuses: who sees which (a tasker the bonuses received, a company
those it gave, staff all)."""

from django.db.models import Q, QuerySet

from microwork.accounts.models import User

from .models import Bonus, Claim


def bonuses_visible_to(user: User) -> QuerySet[Bonus]:
    bonuses = Bonus.objects.select_related("claim", "claim__mission")
    if user.is_staff_member:
        return bonuses
    if user.is_company:
        return bonuses.filter(claim__mission__company=user)
    return bonuses.filter(claim__tasker=user)


def bonuses_of(claim: Claim) -> list[Bonus]:
    return list(claim.bonuses.order_by("pk"))


def bonuses_given_or_received(user: User) -> QuerySet[Bonus]:
    """The user's own bonuses, whatever the role (the data export, AC03)."""
    return Bonus.objects.filter(Q(claim__tasker=user) | Q(claim__mission__company=user))
