"""Staff views of accounts. Accounts are created by signing up (or
`createsuperuser`) and documents are reviewed on the staff page, so most
fields here are read-only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from microwork.core.admin import NoAdd, NoChange, NoDelete, ReadOnly

from .models import ApiToken, ClosureRequest, Consent, Organisation, User, VerificationDocument


class OrganisationInline(admin.StackedInline):
    model = Organisation
    extra = 0
    can_delete = False
    readonly_fields = ("siret", "legal_name")


@admin.register(User)
class UserAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    # Accounts are closed and anonymised (AC02, AC03), never deleted here.
    list_display = (
        "email",
        "display_name",
        "role",
        "phone",
        "phone_verified_at",
        "is_active",
        "is_staff",
        "date_joined",
    )
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email", "display_name", "phone")
    ordering = ("-date_joined",)
    inlines = (OrganisationInline,)
    fields = (
        "email",
        "display_name",
        "role",
        "phone",
        "phone_verified_at",
        "terms_version",
        "terms_accepted_at",
        "date_joined",
        "last_login",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
    )
    readonly_fields = (
        "email",
        "role",
        "phone",
        "phone_verified_at",
        "terms_version",
        "terms_accepted_at",
        "date_joined",
        "last_login",
    )
    filter_horizontal = ("groups",)


@admin.register(Organisation)
class OrganisationAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    list_display = ("legal_name", "siret", "user")
    search_fields = ("legal_name", "siret", "user__email")
    readonly_fields = ("user", "siret")


@admin.register(VerificationDocument)
class VerificationDocumentAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    """Review happens on the staff page (approve or refuse through the services)."""

    list_display = ("user", "kind", "state", "valid_until", "created_at", "reviewed_by")
    list_filter = ("state", "kind")
    search_fields = ("user__email",)
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in VerificationDocument._meta.fields]


@admin.register(ApiToken)
class ApiTokenAdmin(NoAdd, NoChange, admin.ModelAdmin):
    list_display = ("prefix", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__email", "prefix")
    readonly_fields = ("user", "key_hash", "prefix", "created_at", "last_used_at", "revoked_at")


@admin.register(ClosureRequest)
class ClosureRequestAdmin(ReadOnly, admin.ModelAdmin):
    """Closures are asked by users and applied by `tick` (AC02): staff read them."""

    list_display = ("user", "state", "requested_at", "effective_at", "closed_at", "held_cents")
    list_filter = ("state",)
    search_fields = ("user__email",)
    readonly_fields = (
        "user",
        "state",
        "requested_at",
        "effective_at",
        "started_at",
        "closed_at",
        "cancelled_at",
        "blocked_reasons",
        "outcome",
        "held_cents",
    )


@admin.register(Consent)
class ConsentAdmin(ReadOnly, admin.ModelAdmin):
    """Proof of what each user accepted, and when (AC03): never edited."""

    list_display = ("user", "kind", "version", "accepted_at", "ip")
    list_filter = ("kind", "version")
    search_fields = ("user__email",)
    readonly_fields = ("user", "kind", "version", "accepted_at", "ip")
