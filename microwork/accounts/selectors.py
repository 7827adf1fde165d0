import base64
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, TypedDict

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from microwork.core.errors import NotFound

from .legal import current, required_kinds
from .models import (
    REQUIRED_DOCUMENTS,
    ApiToken,
    Consent,
    DocumentKind,
    DocumentState,
    ExpertProfile,
    ExpertProfileState,
    ExpertStatus,
    User,
    UserSession,
    VerificationDocument,
    required_documents,
)


def _valid_document(kind: str) -> Exists:
    """An approved document of `kind`, unexpired today, for the profile's expert."""
    return Exists(
        VerificationDocument.objects.filter(user=OuterRef("user"), kind=kind, state=DocumentState.APPROVED).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate())
        )
    )


def verified_expert_ids(among: "QuerySet[Any] | Iterable[int] | None" = None) -> "QuerySet[ExpertProfile, int]":
    """The ids of verified experts (AM13, AM17), as one lazy query to filter with.

    An expert is verified while staff have approved the profile and each
    document the expert's status needs (`required_documents`: the DPAE only
    for wage portage) is approved and unexpired today. The answer is a
    queryset of user ids, so it runs inside the caller's query, one SQL
    statement however many rows it filters:

        Offer.objects.filter(expert_id__in=verified_expert_ids())

    `among` (user ids, or a queryset of them) narrows it down first. Time is
    the application's clock (`timezone.localdate()`), never the database's.
    """
    profiles = ExpertProfile.objects.filter(state=ExpertProfileState.APPROVED, user__is_active=True)
    if among is not None:
        profiles = profiles.filter(user_id__in=among)
    for kind in REQUIRED_DOCUMENTS:
        profiles = profiles.filter(_valid_document(kind))
    profiles = profiles.filter(~Q(status=ExpertStatus.WAGE_PORTAGE) | _valid_document(DocumentKind.DPAE))
    return profiles.values_list("user_id", flat=True)


def expert_is_verified(user: User) -> bool:
    """An expert sells while staff have approved the profile (AM17) and each
    document required for the expert's status is approved and unexpired (AM13).
    The same rule as `verified_expert_ids`, for one user."""
    if not user.is_expert or user.pk is None:
        return False
    return verified_expert_ids(among=[user.pk]).exists()


def expert_profile_state(user: User) -> str | None:
    """The state of the expert's profile ("draft" when there is none yet); None for non-experts."""
    if not user.is_expert:
        return None
    state = ExpertProfile.objects.filter(user=user).values_list("state", flat=True).first()
    return state or ExpertProfileState.DRAFT


def expert_verification_missing(user: User) -> dict[str, Any]:
    """What stands between the expert and selling: the profile's approval
    (False when it is approved) and the labels of the documents to send or renew."""
    profile = ExpertProfile.objects.filter(user=user).first()
    status = profile.status if profile else ExpertStatus.COMPANY
    today = timezone.localdate()
    valid_kinds = set(
        VerificationDocument.objects.filter(user=user, state=DocumentState.APPROVED)
        .exclude(valid_until__lt=today)
        .values_list("kind", flat=True)
    )
    return {
        "status": status,
        "profile": profile is None or profile.state != ExpertProfileState.APPROVED,
        "profile_state": profile.state if profile else ExpertProfileState.DRAFT,
        "documents": [DocumentKind(kind).label for kind in required_documents(status) if kind not in valid_kinds],
    }


def expert_profile_for(user: User, expert_id: int, *, lock: bool = False) -> ExpertProfile:
    """An expert's profile for staff; not-found for anyone else or an unknown id."""
    if not user.is_staff_member:
        raise NotFound()
    profiles = ExpertProfile.objects.select_related("user")
    if lock:
        profiles = profiles.select_for_update()
    try:
        return profiles.get(pk=expert_id, user__role="expert")
    except ExpertProfile.DoesNotExist:
        raise NotFound() from None


def expert_profile_public(expert_id: int) -> ExpertProfile:
    """An approved profile, as anyone may read it; not-found otherwise (AM17)."""
    try:
        return ExpertProfile.objects.select_related("user").get(
            pk=expert_id, state=ExpertProfileState.APPROVED, user__is_active=True, user__role="expert"
        )
    except ExpertProfile.DoesNotExist:
        raise NotFound() from None


def expert_photo_profile(viewer: Any, expert_id: int) -> ExpertProfile | None:
    """The profile whose photo `viewer` may see: any approved expert's; before
    approval, only the expert's own and to staff (AM17). None otherwise."""
    profile = ExpertProfile.objects.filter(pk=expert_id, user__role="expert").first()
    if profile is None or not profile.photo:
        return None
    own_or_staff = isinstance(viewer, User) and (viewer.pk == profile.pk or viewer.is_staff_member)
    if profile.state != ExpertProfileState.APPROVED and not own_or_staff:
        return None
    return profile


def documents_pending() -> "QuerySet[VerificationDocument]":
    """Documents waiting for staff, the oldest first (AM13)."""
    return (
        VerificationDocument.objects.filter(state=DocumentState.PENDING)
        .select_related("user")
        .order_by("created_at", "pk")
    )


def expert_review_queue(state: str = ExpertProfileState.PENDING) -> "QuerySet[ExpertProfile]":
    """Expert profiles in `state`, oldest state change first: for pending, the
    longest-waiting submission first (AM17)."""
    return (
        ExpertProfile.objects.filter(state=state, user__role="expert")
        .select_related("user")
        .order_by("state_changed_at", "pk")
    )


def expert_documents_by_kind(user_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """For staff reviewing profiles: each expert's required documents and their
    best state today, in one query for every expert listed."""
    documents: dict[int, list[dict[str, Any]]] = {pk: [] for pk in user_ids}
    for document in VerificationDocument.objects.filter(user_id__in=user_ids).order_by("-created_at", "-pk"):
        documents[document.user_id].append({"document": document, "state": document_state(document)})
    return documents


def verified_experts() -> QuerySet[User]:
    """The experts who may sell today, as users to filter or list (see `verified_expert_ids`)."""
    return User.objects.filter(pk__in=verified_expert_ids())


def document_state(document: VerificationDocument) -> str:
    """The state as of today: an approved document past its expiry reads expired
    even before `tick` marks it."""
    if (
        document.state == DocumentState.APPROVED
        and document.valid_until
        and document.valid_until < timezone.localdate()
    ):
        return DocumentState.EXPIRED
    return document.state


# Which of an expert's documents of one kind counts: the best state wins.
_STATE_RANK = {DocumentState.APPROVED: 0, DocumentState.PENDING: 1, DocumentState.EXPIRED: 2, DocumentState.REFUSED: 3}


def documents_overview(user: User) -> list[dict[str, Any]]:
    """The user's documents, newest first, each with its state as of today."""
    return [
        {"document": document, "state": document_state(document)}
        for document in user.documents.order_by("-created_at", "-pk")
    ]


def required_documents_status(
    documents: list[dict[str, Any]], expert_status: str = ExpertStatus.COMPANY
) -> list[dict[str, Any]]:
    """For each kind the expert's status requires, the best state among the
    expert's documents (None when the expert sent none of that kind)."""
    status = []
    for kind in required_documents(expert_status):
        states = [item["state"] for item in documents if item["document"].kind == kind]
        best = min(states, key=lambda state: _STATE_RANK[state]) if states else None
        status.append({"kind": DocumentKind(kind).label, "state": best})
    return status


class ExpertReview(TypedDict):
    """A profile as staff review it (AM17): its documents, what its status
    requires of them, and whether the expert may sell."""

    profile: ExpertProfile
    documents: list[dict[str, Any]]
    required: list[dict[str, Any]]
    verified: bool
    needs_dpae: bool


def experts_for_review(profiles: list[ExpertProfile]) -> list[ExpertReview]:
    """Each profile with what staff weigh, in two queries for the whole list."""
    ids = [profile.pk for profile in profiles]
    documents = expert_documents_by_kind(ids)
    verified = set(verified_expert_ids(among=ids))
    return [
        ExpertReview(
            profile=profile,
            documents=documents[profile.pk],
            required=required_documents_status(documents[profile.pk], profile.status),
            verified=profile.pk in verified,
            needs_dpae=DocumentKind.DPAE in required_documents(profile.status),
        )
        for profile in profiles
    ]


def document_for(user: User, document_id: int, *, lock: bool = False) -> VerificationDocument:
    """The document if `user` may see it (its owner, or staff); not-found otherwise."""
    documents = VerificationDocument.objects.all()
    if lock:
        documents = documents.select_for_update()
    if not user.is_staff_member:
        documents = documents.filter(user=user)
    try:
        return documents.get(pk=document_id)
    except VerificationDocument.DoesNotExist:
        raise NotFound() from None


#: How long before a document's expiry the expert is told to renew it.
EXPIRY_WARNING = timedelta(days=14)


def documents_expiring_soon() -> list[int]:
    """Approved documents expiring within EXPIRY_WARNING whose expert has not
    been told yet, and which no later approved document of the kind replaces."""
    today = timezone.localdate()
    replaced = VerificationDocument.objects.filter(
        user=OuterRef("user"), kind=OuterRef("kind"), state=DocumentState.APPROVED
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gt=OuterRef("valid_until")))
    due = VerificationDocument.objects.filter(
        state=DocumentState.APPROVED,
        valid_until__gte=today,
        valid_until__lte=today + EXPIRY_WARNING,
        expiry_warned_at__isnull=True,
    ).exclude(Exists(replaced))
    return list(due.order_by("pk").values_list("pk", flat=True))


def expert_profile_missing(profile: ExpertProfile) -> list[str]:
    """What the profile still lacks before it can be submitted."""
    missing = []
    if not profile.headline:
        missing.append(str(_("a headline")))
    if not profile.bio:
        missing.append(str(_("a presentation")))
    if not profile.photo:
        missing.append(str(_("a photo")))
    return missing


def consents_missing(user: User) -> list[str]:
    """The documents in force the user must accept and has not (AC03): empty
    for staff and for anyone up to date."""
    kinds = required_kinds(user.role)
    if not kinds:
        return []
    accepted = set(Consent.objects.filter(user=user, kind__in=kinds).values_list("kind", "version"))
    return [kind for kind in kinds if (kind, current(kind).version) not in accepted]


# --- API tokens and web sessions (PL06) -------------------------------------


def tokens_live(user: User) -> QuerySet[ApiToken]:
    """The user's tokens still usable: not revoked, not expired; newest first."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()).order_by("-pk")


def token_for(user: User, token_id: int) -> ApiToken:
    """One of the user's live tokens; another user's is not found (404)."""
    token = tokens_live(user).filter(pk=token_id).first()
    if token is None:
        raise NotFound()
    return token


def sessions_of(user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user).order_by("-last_seen", "-pk")


def session_for(user: User, session_id: int) -> UserSession:
    session = sessions_of(user).filter(pk=session_id).first()
    if session is None:
        raise NotFound()
    return session


# --- Staff's second factor (PL06) ------------------------------------------


def second_factor_needed(user: User, *, verified: bool) -> bool:
    """Staff pages and the admin need a session verified with a second factor
    (a TOTP app); the API's bearer tokens are not sessions and stay as they are."""
    return user.is_staff_member and not verified


def second_factor_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_provisioning(device: TOTPDevice) -> dict[str, str]:
    """What an authenticator app needs to add the account: the otpauth:// URL
    (shown as a QR code) and the secret in base32, grouped for typing."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return {"url": device.config_url, "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))}
