"""Staff read invoices; nobody edits or deletes one (an issued invoice never changes)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import BillingProfile, Invoice, InvoiceLine


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnly):
    list_display = ("number", "kind", "customer", "period", "issued_on", "total_cents", "vat_cents")
    list_filter = ("kind", "year")
    search_fields = ("number", "customer__email")
    inlines = [InvoiceLineInline]


@admin.register(BillingProfile)
class BillingProfileAdmin(ReadOnly):
    list_display = ("billing_name", "user", "city", "vat_number")
    search_fields = ("billing_name", "user__email", "vat_number")
