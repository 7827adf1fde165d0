"""Expert profiles (AM13, AM17): written, submitted, approved or refused by staff."""

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.core.errors import Conflict, Forbidden, InvalidInput, required_text
from microwork.core.states import state_move, state_require, state_start
from microwork.core.uploads import JPEG, PROFILE_PHOTO, image_reencoded, server_file_name

from ..models import (
    EXPERT_PROFILE_MOVES,
    ExpertProfile,
    ExpertProfileState,
    ExpertProfileTransition,
    ExpertStatus,
    User,
)
from ..roles import require_role
from ..selectors import expert_profile_missing

# --- Expert profiles (AM13, AM17) ------------------------------------------

HEADLINE_MAX = 120
BIO_MAX = 3000
SKILLS_MAX = 20
SKILL_MAX = 40


class ProfileIncomplete(Conflict):
    code = "profile_incomplete"


def expert_profile_create(*, user: User) -> ExpertProfile:
    """The expert's profile, as a draft under the company status."""
    profile = ExpertProfile(user=user, status=ExpertStatus.COMPANY, state=ExpertProfileState.DRAFT)
    profile.save(force_insert=True)
    state_start(profile, allowed=EXPERT_PROFILE_MOVES, history=ExpertProfileTransition, by=user, profile=profile)
    return profile


def expert_profile_of(user: User) -> ExpertProfile:
    """The expert's own profile (created on first use for an expert without one)."""
    require_role(user, "expert", message=_("Only experts have an expert profile."))
    profile = ExpertProfile.objects.filter(user=user).first()
    if profile is None:
        with transaction.atomic():
            User.objects.select_for_update().get(pk=user.pk)
            profile = ExpertProfile.objects.filter(user=user).first() or expert_profile_create(user=user)
    return profile


def _profile_for_edit(user: User) -> ExpertProfile:
    """The expert's profile, locked. The expert may change it in any state; a
    pending profile keeps its place in the queue, and staff approve what it
    holds when they decide."""
    expert_profile_of(user)
    return ExpertProfile.objects.select_for_update().get(user=user)


def _profile_changed(profile: ExpertProfile, *, by: User, fields: tuple[str, ...]) -> None:
    """Save an edit; an approved profile goes back to review with it (AM17)."""
    profile.updated_at = timezone.now()
    if profile.state == ExpertProfileState.APPROVED:
        profile.state_changed_at = profile.updated_at
        state_move(
            profile,
            ExpertProfileState.PENDING,
            allowed=EXPERT_PROFILE_MOVES,
            history=ExpertProfileTransition,
            by=by,
            reason="changed by the expert",
            update_fields=(*fields, "updated_at", "state_changed_at"),
            profile=profile,
        )
    else:
        profile.save(update_fields=[*fields, "updated_at"])


def _skills_clean(skills: list[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in skills:
        skill = " ".join(str(raw).split())
        if not skill:
            continue
        if len(skill) > SKILL_MAX:
            raise InvalidInput(
                _("A skill is at most %(count)s characters long.") % {"count": SKILL_MAX}, field="skills"
            )
        if skill.casefold() not in {known.casefold() for known in cleaned}:
            cleaned.append(skill)
    if len(cleaned) > SKILLS_MAX:
        raise InvalidInput(_("List at most %(count)s skills.") % {"count": SKILLS_MAX}, field="skills")
    return cleaned


def expert_profile_update(*, user: User, status: str, headline: str, bio: str, skills: list[str]) -> ExpertProfile:
    """The expert's status (which decides the documents needed, AM13) and what
    buyers read. Changing an approved profile sends it back to review."""
    if status not in ExpertStatus.values:
        raise InvalidInput(_("Choose company, micro-entrepreneur or wage portage."), field="status")
    headline = " ".join((headline or "").split())
    if len(headline) > HEADLINE_MAX:
        raise InvalidInput(
            _("The headline is at most %(count)s characters long.") % {"count": HEADLINE_MAX}, field="headline"
        )
    bio = (bio or "").strip()
    if len(bio) > BIO_MAX:
        raise InvalidInput(
            _("The presentation is at most %(count)s characters long.") % {"count": BIO_MAX}, field="bio"
        )
    cleaned_skills = _skills_clean(skills)
    with transaction.atomic():
        profile = _profile_for_edit(user)
        if (profile.status, profile.headline, profile.bio, profile.skills) == (status, headline, bio, cleaned_skills):
            return profile
        profile.status, profile.headline, profile.bio, profile.skills = status, headline, bio, cleaned_skills
        _profile_changed(profile, by=user, fields=("status", "headline", "bio", "skills"))
    return profile


def expert_profile_photo_set(*, user: User, upload: UploadedFile) -> ExpertProfile:
    """A photo for the profile: a JPEG, PNG or WebP image, re-encoded without
    its metadata and stored under a name the server chooses."""
    content = image_reencoded(upload, rule=PROFILE_PHOTO)
    with transaction.atomic():
        profile = _profile_for_edit(user)
        old = profile.photo.name if profile.photo else ""
        profile.photo.save(server_file_name(JPEG), ContentFile(content), save=False)
        _profile_changed(profile, by=user, fields=("photo",))
        if old:
            storage = profile.photo.storage
            transaction.on_commit(lambda: storage.delete(old))
    return profile


def expert_profile_submit(*, user: User) -> ExpertProfile:
    """Ask staff to hand-pick the expert (AM17)."""
    expert_profile_of(user)
    with transaction.atomic():
        profile = ExpertProfile.objects.select_for_update().get(user=user)
        state_require(
            profile,
            ExpertProfileState.PENDING,
            allowed=EXPERT_PROFILE_MOVES,
            message=_("Your profile is already waiting for review."),
        )
        missing = expert_profile_missing(profile)
        if missing:
            raise ProfileIncomplete(
                _("Before sending your profile for review, add: %(missing)s.") % {"missing": ", ".join(missing)}
            )
        profile.state_changed_at = timezone.now()
        state_move(
            profile,
            ExpertProfileState.PENDING,
            allowed=EXPERT_PROFILE_MOVES,
            history=ExpertProfileTransition,
            by=user,
            update_fields=("state_changed_at",),
            profile=profile,
        )
    return profile


def expert_profile_approve(*, profile: ExpertProfile, by: User, note: str = "") -> ExpertProfile:
    """Staff hand-pick the expert (AM17); the documents of AM13 still count."""
    require_role(by, "staff", message=Forbidden.title)
    note = (note or "").strip()
    with transaction.atomic():
        profile = ExpertProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
        now = timezone.now()
        profile.review_note = note[:500]
        profile.refusal_reason = ""
        profile.reviewed_by = by
        profile.reviewed_at = now
        profile.state_changed_at = now
        state_move(
            profile,
            ExpertProfileState.APPROVED,
            allowed=EXPERT_PROFILE_MOVES,
            history=ExpertProfileTransition,
            by=by,
            reason=note,
            update_fields=("review_note", "refusal_reason", "reviewed_by", "reviewed_at", "state_changed_at"),
            message=_("Only a profile waiting for review can be approved."),
            profile=profile,
        )
    return profile


def expert_profile_refuse(*, profile: ExpertProfile, by: User, reason: str) -> ExpertProfile:
    require_role(by, "staff", message=Forbidden.title)
    reason = required_text(reason, _("Give the expert a reason."))
    with transaction.atomic():
        profile = ExpertProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
        now = timezone.now()
        profile.refusal_reason = reason[:500]
        profile.review_note = ""
        profile.reviewed_by = by
        profile.reviewed_at = now
        profile.state_changed_at = now
        state_move(
            profile,
            ExpertProfileState.REFUSED,
            allowed=EXPERT_PROFILE_MOVES,
            history=ExpertProfileTransition,
            by=by,
            reason=reason,
            update_fields=("refusal_reason", "review_note", "reviewed_by", "reviewed_at", "state_changed_at"),
            message=_("Only a profile waiting for review can be refused."),
            profile=profile,
        )
    return profile
