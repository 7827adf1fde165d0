"""People as the platform knows them: staff, companies, taskers and experts,
with their organisation, consents and documents."""

from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from microwork.accounts.legal import required_kinds
from microwork.accounts.models import (
    DocumentState,
    ExpertProfile,
    ExpertProfileState,
    ExpertStatus,
    Organisation,
    Role,
    User,
    VerificationDocument,
    required_documents,
)
from microwork.accounts.services import consents_record, document_longest_validity, expert_profile_create
from microwork.ledger.payments import topup_create
from microwork.testing.images import photo_jpeg

PASSWORD = "correct-horse-battery-staple"
ACME_SIRET = "73282932000074"
EXPERT_SIRET = "55208131766522"


def make_user(
    email: str,
    *,
    role: str = Role.TASKER,
    display_name: str = "",
    phone: str = "",
    phone_verified: bool = False,
    siret: str = "",
    **extra: Any,
) -> User:
    now = timezone.now()
    user = User.objects.create_user(
        email,
        PASSWORD,
        role=role,
        display_name=display_name or email.split("@")[0].capitalize(),
        phone=phone,
        phone_verified_at=now if phone_verified else None,
        terms_version="test",
        terms_accepted_at=now,
        **extra,
    )
    if siret:
        Organisation.objects.create(user=user, siret=siret, legal_name=user.display_name)
    # Up to date with the legal documents, as signup leaves an account (AC03).
    consents_record(user=user, kinds=required_kinds(role))
    return user


def make_staff(email: str = "staff@microwork.fr") -> User:
    return make_user(email, role=Role.STAFF, display_name="Staff", is_staff=True, is_superuser=True)


def make_company(email: str = "acme@example.fr", *, balance_cents: int = 0) -> User:
    company = make_user(email, role=Role.COMPANY, display_name="Acme", siret=ACME_SIRET)
    if balance_cents:
        topup_create(user=company, amount_cents=balance_cents)
    return company


def make_tasker(email: str, phone: str, *, verified: bool = True) -> User:
    return make_user(email, role=Role.TASKER, phone=phone, phone_verified=verified)


def make_expert(email: str = "emma@example.fr") -> User:
    """An expert as signup leaves one: a draft profile, no documents."""
    expert = make_user(email, role=Role.EXPERT, display_name="Emma", siret=EXPERT_SIRET)
    expert_profile_create(user=expert)
    return expert


def approve_expert_profile(
    expert: User, *, status: str = ExpertStatus.COMPANY, headline: str = "Consultante data"
) -> ExpertProfile:
    """Staff have hand-picked the expert (AM17): a filled-in, approved profile."""
    now = timezone.now()
    profile, _created = ExpertProfile.objects.get_or_create(user=expert)
    profile.status = status
    profile.headline = profile.headline or headline
    profile.bio = profile.bio or "Dix ans d'analyse de données pour des PME."
    profile.skills = profile.skills or ["Python", "SQL"]
    if not profile.photo:
        profile.photo.save("photo.jpg", ContentFile(photo_jpeg()), save=False)
    profile.state = ExpertProfileState.APPROVED
    profile.state_changed_at = profile.reviewed_at = now
    profile.save()
    return profile


def approve_documents(expert: User, *, status: str = ExpertStatus.COMPANY) -> list[VerificationDocument]:
    """Every document the status requires, issued today and approved for the longest AM13 allows."""
    today = timezone.localdate()
    documents = []
    for kind in required_documents(status):
        document = VerificationDocument(
            user=expert, kind=kind, content_type="application/pdf", issued_on=today, state=DocumentState.APPROVED
        )
        document.file.save(f"{kind}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        document.valid_until = document_longest_validity(document, today)
        document.reviewed_at = timezone.now()
        document.save()
        documents.append(document)
    return documents


def verified_expert(email: str = "vera@example.fr", *, status: str = ExpertStatus.COMPANY) -> User:
    """An expert who may sell (AM13, AM17): an approved profile and every required document approved."""
    expert = make_expert(email)
    approve_expert_profile(expert, status=status)
    approve_documents(expert, status=status)
    return expert


def make_verified_expert(email: str = "emma@example.fr", *, display_name: str = "Emma") -> User:
    """An expert who may sell (AM13, AM17), under a name of the test's choosing."""
    expert = verified_expert(email)
    expert.display_name = display_name
    expert.save(update_fields=["display_name"])
    return expert
