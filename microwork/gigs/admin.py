from django.contrib import admin

from microwork.core.admin import NoAdd, NoChange

from .models import CustomRequest, Offer, Order, OrderMessage


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("title", "expert", "kind", "category", "price_cents", "state")
    list_filter = ("state", "kind", "category")
    search_fields = ("title",)
    readonly_fields = ("state", "search_text")


@admin.register(Order)
class OrderAdmin(NoAdd, NoChange, admin.ModelAdmin):
    """Read-only: an order's status and money move only through its services."""

    list_display = ("pk", "title", "buyer", "expert", "total_cents", "state", "created_at")
    list_filter = ("state",)


@admin.register(OrderMessage)
class OrderMessageAdmin(admin.ModelAdmin):
    list_display = ("pk", "order", "author", "kind", "contact_flagged", "created_at")
    list_filter = ("kind", "contact_flagged")


@admin.register(CustomRequest)
class CustomRequestAdmin(admin.ModelAdmin):
    list_display = ("title", "buyer", "budget_cents", "deadline", "state")
    list_filter = ("state",)
