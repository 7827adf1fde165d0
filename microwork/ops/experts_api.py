"""The API of experts' profiles and their review (AM13, AM17). Here, above
notifications, because submitting and reviewing a profile tells people."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile

from microwork.accounts import selectors as accounts
from microwork.accounts import services as account_services
from microwork.accounts.models import DocumentKind, ExpertProfile, ExpertProfileState, ExpertStatus, required_documents
from microwork.accounts.roles import current_user, require_role
from microwork.core.ids import object_id
from microwork.core.pagination import PageParams, keyset_page_by_time
from microwork.core.schemas import Text, one_of

from . import experts

router = Router(tags=["experts"])
staff_router = Router(tags=["staff"])

ProfileStateName: Any = one_of(ExpertProfileState)
StatusName: Any = one_of(ExpertStatus)


class RequiredDocumentOut(Schema):
    kind: str
    state: str | None


class ExpertProfileOut(Schema):
    id: str
    display_name: str
    email: str
    status: str
    headline: str
    bio: str
    skills: list[str]
    photo_url: str | None
    state: str
    state_changed_at: datetime
    refusal_reason: str
    review_note: str
    verified: bool
    required_documents: list[RequiredDocumentOut]


class ExpertPage(Schema):
    items: list[ExpertProfileOut]
    next_cursor: str | None


class ExpertPublicOut(Schema):
    id: str
    display_name: str
    headline: str
    bio: str
    skills: list[str]
    photo_url: str | None


class ProfileIn(Schema):
    status: StatusName
    headline: Text = Field("", max_length=120)
    bio: Text = Field("", max_length=3000)
    skills: list[Text] = Field(default_factory=list, max_length=20)


class ExpertApproveIn(Schema):
    note: Text | None = Field(None, max_length=500)


class ExpertRefuseIn(Schema):
    reason: Text = Field(min_length=1, max_length=500)


def photo_url(profile: ExpertProfile) -> str | None:
    if not profile.photo:
        return None
    return f"{reverse('web:expert_photo', args=[profile.pk])}?v={int(profile.updated_at.timestamp())}"


def expert_out(
    profile: ExpertProfile, *, verified: bool, documents: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    if documents is None:
        documents = accounts.documents_overview(profile.user)
    status_by_label = accounts.required_documents_status(documents, profile.status)
    kinds = required_documents(profile.status)
    return {
        "id": str(profile.pk),
        "display_name": profile.user.display_name,
        "email": profile.user.email,
        "status": profile.status,
        "headline": profile.headline,
        "bio": profile.bio,
        "skills": list(profile.skills or []),
        "photo_url": photo_url(profile),
        "state": profile.state,
        "state_changed_at": profile.state_changed_at,
        "refusal_reason": profile.refusal_reason,
        "review_note": profile.review_note,
        "verified": verified,
        "required_documents": [
            {"kind": DocumentKind(kind).value, "state": item["state"]}
            for kind, item in zip(kinds, status_by_label, strict=True)
        ],
    }


def _own_out(user: Any) -> dict[str, Any]:
    profile = account_services.expert_profile_of(user)
    return expert_out(profile, verified=accounts.expert_is_verified(user))


# --- The expert's own profile ------------------------------------------------


@router.get("/me/expert-profile", response=ExpertProfileOut)
def my_profile(request: HttpRequest) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "expert")
    return _own_out(user)


@router.put("/me/expert-profile", response=ExpertProfileOut)
def my_profile_update(request: HttpRequest, data: ProfileIn) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "expert")
    experts.expert_profile_update(
        user=user, status=data.status, headline=data.headline, bio=data.bio, skills=list(data.skills)
    )
    return _own_out(user)


@router.post("/me/expert-profile/photo", response=ExpertProfileOut)
def my_profile_photo(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "expert")
    experts.expert_profile_photo_set(user=user, upload=file)
    return _own_out(user)


@router.post("/me/expert-profile/submit", response=ExpertProfileOut)
def my_profile_submit(request: HttpRequest) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "expert")
    experts.expert_profile_submit(user=user)
    return _own_out(user)


@router.get("/experts/{expert_id}", auth=None, response=ExpertPublicOut)
def expert_public(request: HttpRequest, expert_id: str) -> dict[str, Any]:
    profile = accounts.expert_profile_public(object_id(expert_id))
    return {
        "id": str(profile.pk),
        "display_name": profile.user.display_name,
        "headline": profile.headline,
        "bio": profile.bio,
        "skills": list(profile.skills or []),
        "photo_url": photo_url(profile),
    }


# --- Staff (AM17) ------------------------------------------------------------


@staff_router.get("/experts", response=ExpertPage)
def staff_expert_list(
    request: HttpRequest, page: Query[PageParams], state: ProfileStateName = "pending"
) -> dict[str, Any]:
    """Profiles in `state`, the longest-waiting first (AM17)."""
    require_role(current_user(request), "staff")

    def serialize(shown: list[ExpertProfile]) -> list[dict[str, Any]]:
        return [
            expert_out(row["profile"], verified=row["verified"], documents=row["documents"])
            for row in accounts.experts_for_review(shown)
        ]

    return keyset_page_by_time(
        accounts.expert_review_queue(state),
        field="state_changed_at",
        limit=page.limit,
        cursor=page.cursor,
        serialize=serialize,
    )


@staff_router.post("/experts/{expert_id}/approve", response=ExpertProfileOut)
def staff_expert_approve(request: HttpRequest, expert_id: str, data: ExpertApproveIn | None = None) -> dict[str, Any]:
    staff = current_user(request)
    require_role(staff, "staff")
    profile = accounts.expert_profile_for(staff, object_id(expert_id))
    profile = experts.expert_profile_approve(profile=profile, by=staff, note=(data.note or "") if data else "")
    return expert_out(profile, verified=accounts.expert_is_verified(profile.user))


@staff_router.post("/experts/{expert_id}/refuse", response=ExpertProfileOut)
def staff_expert_refuse(request: HttpRequest, expert_id: str, data: ExpertRefuseIn) -> dict[str, Any]:
    staff = current_user(request)
    require_role(staff, "staff")
    profile = accounts.expert_profile_for(staff, object_id(expert_id))
    profile = experts.expert_profile_refuse(profile=profile, by=staff, reason=data.reason)
    return expert_out(profile, verified=accounts.expert_is_verified(profile.user))
