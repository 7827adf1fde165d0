"""Staff read invoices; nobody edits or deletes one (an issued invoice never changes)."""

from django.contrib import admin

from microwork.core.admin import NoAdd, NoChange, ReadOnly

from .models import BillingProfile, Invoice, InvoiceLine


class InvoiceLineInline(NoAdd, NoChange, admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("number", "kind", "customer", "period", "issued_on", "total_cents", "vat_cents")
    list_filter = ("kind", "year")
    search_fields = ("number", "customer__email")
    inlines = [InvoiceLineInline]


@admin.register(BillingProfile)
class BillingProfileAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("billing_name", "user", "city", "vat_number")
    search_fields = ("billing_name", "user__email", "vat_number")
