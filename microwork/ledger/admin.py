"""A read-only window on the ledger: entries and postings are append-only
(database triggers refuse updates and deletes) and only services write them."""

from django.contrib import admin

from microwork.core.admin import ReadOnly

from .models import Account, Entry, PaymentEvent, Posting, Refund, RefundPart, Topup


@admin.register(Account)
class AccountAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "kind", "owner", "ref", "balance_cents", "currency", "created_at")
    list_filter = ("kind",)
    search_fields = ("owner__email", "ref")
    list_select_related = ("owner",)


class PostingInline(ReadOnly, admin.TabularInline):
    model = Posting
    fields = ("account", "amount_cents")
    readonly_fields = ("account", "amount_cents")
    extra = 0


@admin.register(Entry)
class EntryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "kind", "ref", "memo", "created_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("ref", "idempotency_key", "memo")
    date_hierarchy = "created_at"
    inlines = (PostingInline,)


@admin.register(Topup)
class TopupAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "user", "amount_cents", "state", "gateway", "provider_ref", "created_at")
    list_filter = ("state", "gateway")
    search_fields = ("user__email", "provider_ref")
    list_select_related = ("user",)


class RefundPartInline(ReadOnly, admin.TabularInline):
    model = RefundPart
    fields = ("topup", "amount_cents", "state", "provider_ref", "failure_reason")
    readonly_fields = fields
    extra = 0


@admin.register(Refund)
class RefundAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "user", "amount_cents", "refunded_cents", "state", "created_at")
    list_filter = ("state",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    inlines = (RefundPartInline,)


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "provider", "type", "event_id", "outcome", "received_at")
    list_filter = ("provider", "type")
    search_fields = ("event_id",)
