from django.contrib import admin
from django.http import HttpRequest

from .models import CustomRequest, Offer, Order, OrderMessage


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("title", "expert", "kind", "category", "price_cents", "state")
    list_filter = ("state", "kind", "category")
    search_fields = ("title",)
    readonly_fields = ("state", "search_text")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Read-only: an order's status and money move only through its services."""

    list_display = ("pk", "title", "buyer", "expert", "total_cents", "state", "created_at")
    list_filter = ("state",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False


@admin.register(OrderMessage)
class OrderMessageAdmin(admin.ModelAdmin):
    list_display = ("pk", "order", "author", "kind", "contact_flagged", "created_at")
    list_filter = ("kind", "contact_flagged")


@admin.register(CustomRequest)
class CustomRequestAdmin(admin.ModelAdmin):
    list_display = ("title", "buyer", "budget_cents", "deadline", "state")
    list_filter = ("state",)
