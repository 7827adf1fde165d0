"""Staff views of accounts. Accounts are created by signing up (or
`createsuperuser`) and documents are reviewed on the staff page, so most
fields here are read-only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ApiToken, ClosureRequest, Consent, Organisation, User, VerificationDocument


class OrganisationInline(admin.StackedInline):
    model = Organisation
    extra = 0
    can_delete = False
    readonly_fields = ("siret", "legal_name")


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Accounts are closed and anonymised (AC02, AC03), never deleted here.
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("legal_name", "siret", "user")
    search_fields = ("legal_name", "siret", "user__email")
    readonly_fields = ("user", "siret")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VerificationDocument)
class VerificationDocumentAdmin(admin.ModelAdmin):
    """Review happens on the staff page (approve or refuse through the services)."""

    list_display = ("user", "kind", "state", "valid_until", "created_at", "reviewed_by")
    list_filter = ("state", "kind")
    search_fields = ("user__email",)
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in VerificationDocument._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__email", "prefix")
    readonly_fields = ("user", "key_hash", "prefix", "created_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ClosureRequest)
class ClosureRequestAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    """Proof of what each user accepted, and when (AC03): never edited."""

    list_display = ("user", "kind", "version", "accepted_at", "ip")
    list_filter = ("kind", "version")
    search_fields = ("user__email",)
    readonly_fields = ("user", "kind", "version", "accepted_at", "ip")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
