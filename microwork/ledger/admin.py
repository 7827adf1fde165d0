"""A read-only window on the ledger: entries and postings are append-only
(database triggers refuse updates and deletes) and only services write them."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Account, Entry, Posting, Topup


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
