import hashlib
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from microwork.core.models import Transition
from microwork.core.uploads import server_file_name


class Role(models.TextChoices):
    TASKER = "tasker", _("Tasker")
    COMPANY = "company", _("Company")
    EXPERT = "expert", _("Expert")
    STAFF = "staff", _("Staff")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("role", Role.STAFF)
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("display_name", "Staff")
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=120)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.TASKER)
    # E.164 ("+33612345678"); a verified number backs one account only (HM02).
    phone = models.CharField(max_length=20, blank=True, default="", db_index=True)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    terms_version = models.CharField(max_length=32, blank=True, default="")
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # The language the user reads the site in (as last seen on the pages): what
    # their notices and emails are written in, whoever causes them.
    language = models.CharField(_("language"), max_length=8, blank=True, default="")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(phone_verified_at__isnull=False),
                name="accounts_verified_phone_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def phone_verified(self) -> bool:
        return self.phone_verified_at is not None

    @property
    def is_tasker(self) -> bool:
        return self.role == Role.TASKER

    @property
    def is_company(self) -> bool:
        return self.role == Role.COMPANY

    @property
    def is_expert(self) -> bool:
        return self.role == Role.EXPERT

    @property
    def is_staff_member(self) -> bool:
        return self.role == Role.STAFF or self.is_staff


class Organisation(models.Model):
    """The registered business behind a company or expert account (HM03)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="organisation")
    siret = models.CharField(max_length=14, db_index=True)
    legal_name = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return f"{self.legal_name or self.user.display_name} ({self.siret})"


class PhoneCode(models.Model):
    """A verification code sent by SMS; only its hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="phone_codes")
    phone = models.CharField(max_length=20)
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code for {self.phone} ({self.created_at:%Y-%m-%d %H:%M})"

    @staticmethod
    def hash(code: str) -> str:
        return hashlib.sha256(f"{settings.SECRET_KEY}:{code}".encode()).hexdigest()


class DocumentKind(models.TextChoices):
    KBIS = "kbis", _("Kbis extract or CFE certificate")
    BANK_DETAILS = "bank_details", _("Bank details")
    VIGILANCE = "vigilance", _("Attestation de vigilance (URSSAF)")
    TAX_COMPLIANCE = "tax_compliance", _("Tax compliance certificate")
    LIABILITY_INSURANCE = "liability_insurance", _("Professional liability insurance")
    DPAE = "dpae", _("DPAE (wage portage)")


#: How long an approved document stays valid (AM13); None: until replaced.
DOCUMENT_VALIDITY: dict[str, timedelta | None] = {
    DocumentKind.KBIS: None,
    DocumentKind.BANK_DETAILS: None,
    DocumentKind.VIGILANCE: timedelta(days=183),
    DocumentKind.TAX_COMPLIANCE: timedelta(days=183),
    DocumentKind.LIABILITY_INSURANCE: timedelta(days=365),
    DocumentKind.DPAE: None,
}

#: An expert may sell while each of these has an approved, unexpired document
#: (and the DPAE for wage portage: see `required_documents`).
REQUIRED_DOCUMENTS = (
    DocumentKind.KBIS,
    DocumentKind.BANK_DETAILS,
    DocumentKind.VIGILANCE,
    DocumentKind.TAX_COMPLIANCE,
    DocumentKind.LIABILITY_INSURANCE,
)

#: Kinds whose validity runs from the document's own issue date, which the
#: expert must then state on upload (AM13).
ISSUE_DATE_REQUIRED = (DocumentKind.VIGILANCE, DocumentKind.TAX_COMPLIANCE, DocumentKind.LIABILITY_INSURANCE)


class ExpertStatus(models.TextChoices):
    """The legal frame an expert sells under (AM13)."""

    COMPANY = "company", _("Company")
    MICRO_ENTREPRENEUR = "micro_entrepreneur", _("Micro-entrepreneur")
    WAGE_PORTAGE = "wage_portage", _("Wage portage")


def required_documents(status: str) -> tuple[str, ...]:
    """The document kinds an expert of this status needs: the DPAE only for wage portage (AM13)."""
    if status == ExpertStatus.WAGE_PORTAGE:
        return (*REQUIRED_DOCUMENTS, DocumentKind.DPAE)
    return REQUIRED_DOCUMENTS


class DocumentState(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    EXPIRED = "expired", _("Expired")


DOCUMENT_MOVES: dict[str, set[str]] = {
    "": {DocumentState.PENDING},
    DocumentState.PENDING: {DocumentState.APPROVED, DocumentState.REFUSED},
    DocumentState.APPROVED: {DocumentState.EXPIRED},
}


def document_path(instance: "VerificationDocument", filename: str) -> str:
    # The name is the server's: the one the expert's device gave is neither trusted nor kept.
    return (
        f"documents/{instance.user_id}/{timezone.now():%Y%m}/{instance.kind}-{server_file_name(instance.content_type)}"
    )


class VerificationDocument(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    file = models.FileField(upload_to=document_path)
    content_type = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=DocumentState.choices, default=DocumentState.PENDING)
    # The document's own date, stated by the expert; its validity runs from it (AM13).
    issued_on = models.DateField(null=True, blank=True)
    # The expiry the expert states on upload; staff may confirm or shorten it.
    stated_valid_until = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    refusal_reason = models.CharField(max_length=500, blank=True, default="")
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When the expert was told this document expires soon (once per document).
    expiry_warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("verification document")
        verbose_name_plural = _("verification documents")
        indexes = [models.Index(fields=["user", "kind", "state"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.user})"

    def is_valid_on(self, day: date) -> bool:
        return self.state == DocumentState.APPROVED and (self.valid_until is None or self.valid_until >= day)


class DocumentTransition(Transition):
    """Who approved, refused or expired a document, and when (AM13)."""

    document = models.ForeignKey(VerificationDocument, on_delete=models.CASCADE, related_name="transitions")

    def __str__(self) -> str:
        return f"{self.document_id}: {self.from_state} → {self.to_state}"


class ExpertProfileState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


#: Staff hand-pick experts (AM17). An approved or refused profile goes back to
#: review when the expert changes it (an edit of an approved profile is its
#: resubmission: nothing public changes unreviewed).
EXPERT_PROFILE_MOVES: dict[str, set[str]] = {
    "": {ExpertProfileState.DRAFT},
    ExpertProfileState.DRAFT: {ExpertProfileState.PENDING},
    ExpertProfileState.PENDING: {ExpertProfileState.APPROVED, ExpertProfileState.REFUSED},
    ExpertProfileState.APPROVED: {ExpertProfileState.PENDING},
    ExpertProfileState.REFUSED: {ExpertProfileState.PENDING},
}


def expert_photo_path(instance: "ExpertProfile", filename: str) -> str:
    # `filename` is already a server-chosen name (core.uploads.server_file_name).
    return f"experts/{instance.user_id}/{filename}"


class ExpertProfile(models.Model):
    """What an expert shows buyers, checked by staff before the first sale (AM13, AM17)."""

    user = models.OneToOneField(User, primary_key=True, on_delete=models.CASCADE, related_name="expert_profile")
    status = models.CharField(max_length=24, choices=ExpertStatus.choices, default=ExpertStatus.COMPANY)
    headline = models.CharField(max_length=120, blank=True, default="")
    bio = models.TextField(blank=True, default="")
    skills = models.JSONField(default=list, blank=True)
    photo = models.FileField(upload_to=expert_photo_path, blank=True, default="")
    state = models.CharField(
        max_length=16, choices=ExpertProfileState.choices, default=ExpertProfileState.DRAFT, db_index=True
    )
    # When the state last changed: for a pending profile, when it was submitted.
    state_changed_at = models.DateTimeField(default=timezone.now)
    refusal_reason = models.CharField(max_length=500, blank=True, default="")
    review_note = models.CharField(max_length=500, blank=True, default="")
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state", "state_changed_at", "user"], name="accounts_expert_queue_idx")]

    def __str__(self) -> str:
        return f"{self.user} ({self.state})"


class ExpertProfileTransition(Transition):
    """Who submitted, approved or refused an expert's profile, and when (AM17)."""

    profile = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="transitions")


def token_expiry() -> "datetime":
    """When a token made now expires (settings.API_TOKEN_TTL_DAYS, PL06)."""
    return timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS)


class ApiToken(models.Model):
    """A bearer token for the API; only its SHA-256 is stored, looked up by index."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=token_expiry)
    # Written at most once a minute (accounts.services.sessions.LAST_USE_GRANULARITY).
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class UserSession(models.Model):
    """A signed-in browser (PL06): recorded at sign-in, so its owner can see
    it and end it. The session itself lives in Django's session store."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="web_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Written at most once a minute (web.middleware.SessionRecordMiddleware).
    last_seen = models.DateTimeField(default=timezone.now)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"session of {self.user} since {self.created_at:%Y-%m-%d %H:%M}"


# --- Account closure (AC02) -------------------------------------------------


class ClosureState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


#: A request waits for its date; the user may cancel it until `tick` starts
#: applying it; once applied, the closure is final (AC02).
CLOSURE_MOVES: dict[str, set[str]] = {
    "": {ClosureState.REQUESTED},
    ClosureState.REQUESTED: {ClosureState.CLOSED, ClosureState.CANCELLED},
}


class ClosureRequest(models.Model):
    """A user's request to close their account, applied by `tick` once
    `effective_at` has come and no work or money is open (AC02)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="closure_requests")
    state = models.CharField(max_length=16, choices=ClosureState.choices, default=ClosureState.REQUESTED)
    requested_at = models.DateTimeField()
    effective_at = models.DateTimeField(db_index=True)
    # Set when `tick` passed the last check and the account was locked: from
    # then on the closure can no longer be cancelled, only finished.
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Why the last attempt had to wait (stable codes, see ops.closure).
    blocked_reasons = models.JSONField(default=list, blank=True)
    # What happened to the money: payout and refund asked, and what stays held.
    outcome = models.JSONField(default=dict, blank=True)
    held_cents = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("account closure request")
        verbose_name_plural = _("account closure requests")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(state="requested"), name="accounts_one_open_closure_request"
            ),
        ]
        indexes = [models.Index(fields=["state", "effective_at"], name="accounts_closure_due_idx")]

    def __str__(self) -> str:
        return f"closure of {self.user_id} ({self.state})"


class ClosureTransition(Transition):
    closure = models.ForeignKey(ClosureRequest, on_delete=models.CASCADE, related_name="transitions")


# --- Consent to the legal documents (AC03) ---------------------------------


class LegalKind(models.TextChoices):
    TERMS_OF_USE = "terms_of_use", _("Terms of use")
    TERMS_OF_SALE = "terms_of_sale", _("Terms of sale")
    PRIVACY = "privacy", _("Privacy policy")
    LEGAL_NOTICE = "legal_notice", _("Legal notice")


class Consent(models.Model):
    """One acceptance of one version of a legal document, kept as proof (AC03)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=24, choices=LegalKind.choices)
    version = models.CharField(max_length=32)
    accepted_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "version"], name="accounts_consent_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.kind} {self.version}"
