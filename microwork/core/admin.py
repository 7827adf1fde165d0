"""What staff may do in Django's admin, one mixin per refusal: most records
change only through their services (the staff pages and the API), so the
admin shows them without letting anyone add, edit or delete them there.

Mixed in before `admin.ModelAdmin` or an inline; the methods take `obj` for
either (an inline's `has_add_permission` receives the parent)."""

from typing import Any

from django.http import HttpRequest


class NoAdd:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NoChange:
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NoDelete:
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnly(NoAdd, NoChange, NoDelete):
    """Shown, never added, edited or deleted in the admin."""
