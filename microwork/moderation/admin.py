"""Read-only views of trust and safety: reports, suspensions and contact
messages change only through their services (the staff pages and the API)."""

from django.contrib import admin

from microwork.core.admin import ReadOnly

from .models import AbuseReport, ContactMessage, Suspension


@admin.register(AbuseReport)
class AbuseReportAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("pk", "target_type", "target_id", "reason", "reporter", "subject", "state", "created_at")
    list_filter = ("state", "target_type", "reason")


@admin.register(Suspension)
class SuspensionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("pk", "user", "reason", "created_by", "created_at", "lifted_at")
    search_fields = ("user__email",)


@admin.register(ContactMessage)
class ContactMessageAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("pk", "email", "subject", "state", "created_at")
    list_filter = ("state",)
    search_fields = ("email", "subject")
