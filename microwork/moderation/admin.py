"""Read-only views of trust and safety: reports, suspensions and contact
messages change only through their services (the staff pages and the API)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AbuseReport, ContactMessage, Suspension


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AbuseReport)
class AbuseReportAdmin(ReadOnly):
    list_display = ("pk", "target_type", "target_id", "reason", "reporter", "subject", "state", "created_at")
    list_filter = ("state", "target_type", "reason")


@admin.register(Suspension)
class SuspensionAdmin(ReadOnly):
    list_display = ("pk", "user", "reason", "created_by", "created_at", "lifted_at")
    search_fields = ("user__email",)


@admin.register(ContactMessage)
class ContactMessageAdmin(ReadOnly):
    list_display = ("pk", "email", "subject", "state", "created_at")
    list_filter = ("state",)
    search_fields = ("email", "subject")
