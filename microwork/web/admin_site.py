"""Django's admin, for staff whose session passed the second factor (PL06)."""

from django.contrib import admin
from django.http import HttpRequest

from microwork.accounts.models import User
from microwork.accounts.selectors import second_factor_needed

from .middleware import verified


class StaffAdminSite(admin.AdminSite):
    """The admin answers only a session verified with a second factor; the
    middleware sends an unverified staff member to the page that asks for it."""

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return (
            super().has_permission(request)
            and isinstance(user, User)
            and not second_factor_needed(user, verified=verified(user))
        )
