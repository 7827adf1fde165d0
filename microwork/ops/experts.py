"""Experts' review (AM13, AM17) across accounts and notifications: each step
is the accounts service, then the notice it calls for, in one transaction
(the email leaves after commit)."""

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from microwork.accounts import selectors as account_selectors
from microwork.accounts import services as accounts
from microwork.accounts.models import ExpertProfile, ExpertProfileState, Role, User
from microwork.notifications.services import notify


def _staff_told_of_submission(profile: ExpertProfile) -> None:
    staff = User.objects.filter(Q(role=Role.STAFF) | Q(is_staff=True), is_active=True).order_by("pk")
    name = profile.user.display_name
    for member in staff:
        notify(
            user=member,
            kind="expert_profile_submitted",
            title=lambda: _("Expert profile to review: %(name)s") % {"name": name},
            url=reverse("web:staff_experts"),
        )


def _after_edit(profile: ExpertProfile, state_before: str) -> ExpertProfile:
    if state_before != ExpertProfileState.PENDING and profile.state == ExpertProfileState.PENDING:
        _staff_told_of_submission(profile)
    return profile


def expert_profile_update(*, user: User, status: str, headline: str, bio: str, skills: list[str]) -> ExpertProfile:
    """As `accounts.services.expert_profile_update`; staff hear of an approved profile sent back to review."""
    with transaction.atomic():
        before = accounts.expert_profile_of(user).state
        profile = accounts.expert_profile_update(user=user, status=status, headline=headline, bio=bio, skills=skills)
        return _after_edit(profile, before)


def expert_profile_photo_set(*, user: User, upload: UploadedFile) -> ExpertProfile:
    with transaction.atomic():
        before = accounts.expert_profile_of(user).state
        return _after_edit(accounts.expert_profile_photo_set(user=user, upload=upload), before)


def expert_profile_submit(*, user: User) -> ExpertProfile:
    """The expert asks to be hand-picked; every staff member gets a notice (AM17)."""
    with transaction.atomic():
        profile = accounts.expert_profile_submit(user=user)
        _staff_told_of_submission(profile)
    return profile


def expert_profile_approve(*, profile: ExpertProfile, by: User, note: str = "") -> ExpertProfile:
    """Staff approve the expert, who is told in the app and by email (AM17)."""
    with transaction.atomic():
        profile = accounts.expert_profile_approve(profile=profile, by=by, note=note)
        note_text = profile.review_note

        def body() -> str:
            approved = _("Our team approved your expert profile.")
            return f"{approved}\n\n{note_text}" if note_text else approved

        notify(
            user=profile.user,
            kind="expert_profile_approved",
            title=lambda: _("Your expert profile is approved"),
            body=body,
            url=reverse("web:expert_profile"),
            email=True,
        )
    return profile


def expert_profile_refuse(*, profile: ExpertProfile, by: User, reason: str) -> ExpertProfile:
    """Staff refuse the profile with a reason, which the expert gets in the app and by email."""
    with transaction.atomic():
        profile = accounts.expert_profile_refuse(profile=profile, by=by, reason=reason)
        notify(
            user=profile.user,
            kind="expert_profile_refused",
            title=lambda: _("Your expert profile needs changes"),
            body=profile.refusal_reason,
            url=reverse("web:expert_profile"),
            email=True,
        )
    return profile


def documents_warn_expiry() -> int:
    """Tell each expert, once per document, that it expires within 14 days (AM13)."""
    count = 0
    for document_id in account_selectors.documents_expiring_soon():
        with transaction.atomic():
            document = accounts.document_expiry_warning_mark(document_id=document_id)
            if document is None:
                continue
            assert document.valid_until is not None
            expires = document.valid_until.strftime("%d/%m/%Y")
            notify(
                user=document.user,
                kind="document_expiring",
                title=lambda: (
                    _("Your %(kind)s expires on %(date)s") % {"kind": document.get_kind_display(), "date": expires}  # noqa: B023 (called at once)
                ),
                body=lambda: _("Send a newer one before then, or your offers stop selling until it is approved."),
                url=reverse("web:dashboard") + "#documents",
                email=True,
            )
            count += 1
    return count
