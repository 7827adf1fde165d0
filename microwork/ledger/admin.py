"""A read-only window on the ledger: entries and postings are append-only
(database triggers refuse updates and deletes) and only services write them."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Account, Entry, PaymentEvent, Posting, Refund, RefundPart, Topup


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "owner", "ref", "balance_cents", "currency", "created_at")
    list_filter = ("kind",)
    search_fields = ("owner__email", "ref")
    list_select_related = ("owner",)


class PostingInline(ReadOnlyMixin, admin.TabularInline):
    model = Posting
    fields = ("account", "amount_cents")
    readonly_fields = ("account", "amount_cents")
    extra = 0


@admin.register(Entry)
class EntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "ref", "memo", "created_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("ref", "idempotency_key", "memo")
    date_hierarchy = "created_at"
    inlines = (PostingInline,)


@admin.register(Topup)
class TopupAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "user", "amount_cents", "state", "gateway", "provider_ref", "created_at")
    list_filter = ("state", "gateway")
    search_fields = ("user__email", "provider_ref")
    list_select_related = ("user",)


class RefundPartInline(ReadOnlyMixin, admin.TabularInline):
    model = RefundPart
    fields = ("topup", "amount_cents", "state", "provider_ref", "failure_reason")
    readonly_fields = fields
    extra = 0


@admin.register(Refund)
class RefundAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "user", "amount_cents", "refunded_cents", "state", "created_at")
    list_filter = ("state",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    inlines = (RefundPartInline,)


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "provider", "type", "event_id", "outcome", "received_at")
    list_filter = ("provider", "type")
    search_fields = ("event_id",)
