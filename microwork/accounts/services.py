"""Every write on accounts: signup, phone verification, expert profiles and
documents, tokens."""

import secrets
from datetime import date, datetime, timedelta
from importlib import import_module

import phonenumbers
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum.fr import siret as siret_number

from microwork.core.errors import Conflict, Forbidden, InputChecks, InvalidInput, TooManyRequests, Unauthenticated
from microwork.core.ratelimit import client_ip, rate_limit_named
from microwork.core.sms import send_sms
from microwork.core.states import WrongState, state_move, state_start
from microwork.core.uploads import DOCUMENT, JPEG, PROFILE_PHOTO, image_reencoded, server_file_name, upload_check

from .legal import current, required_kinds
from .models import (
    DOCUMENT_MOVES,
    DOCUMENT_VALIDITY,
    EXPERT_PROFILE_MOVES,
    ISSUE_DATE_REQUIRED,
    ApiToken,
    Consent,
    DocumentKind,
    DocumentState,
    DocumentTransition,
    ExpertProfile,
    ExpertProfileState,
    ExpertProfileTransition,
    ExpertStatus,
    Organisation,
    PhoneCode,
    Role,
    User,
    UserSession,
    VerificationDocument,
)
from .selectors import expert_profile_missing

SIGNUP_ROLES = (Role.TASKER, Role.COMPANY, Role.EXPERT)


class EmailTaken(Conflict):
    code = "email_taken"


class PhoneTaken(Conflict):
    code = "phone_taken"


class InvalidSiret(InvalidInput):
    code = "invalid_siret"


class WeakPassword(InvalidInput):
    code = "weak_password"


class TermsNotAccepted(InvalidInput):
    code = "terms_not_accepted"


class CodeInvalid(InvalidInput):
    code = "code_invalid"


class PhoneNotVerified(Forbidden):
    code = "phone_not_verified"


class ExpertNotVerified(Forbidden):
    code = "expert_not_verified"


# Where a tasker's mobile may be from (HM01): metropolitan France, the overseas
# departments (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte) and the
# overseas collectivities (Saint-Barthélemy, Saint-Martin, Saint-Pierre-et-
# Miquelon, Nouvelle-Calédonie, Polynésie française, Wallis-et-Futuna).
FRENCH_PHONE_REGIONS = ("FR", "GP", "MQ", "GF", "RE", "YT", "BL", "MF", "PM", "NC", "PF", "WF")
_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _phone_candidates(raw: str) -> list[phonenumbers.PhoneNumber]:
    """The valid numbers `raw` may mean: written internationally, one; written
    nationally (`06…`, `0690…`), as read in metropolitan France or overseas."""
    regions = dict.fromkeys((settings.PHONE_DEFAULT_REGION, *FRENCH_PHONE_REGIONS))
    found = []
    for region in regions:
        try:
            number = phonenumbers.parse(raw, region, keep_raw_input=True)
        except phonenumbers.NumberParseException:
            return []
        if phonenumbers.is_valid_number(number):
            found.append(number)
        if number.country_code_source != phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY:
            break  # written with its country code: the region does not change it
    return found


def phone_normalise(raw: str) -> str:
    """A French mobile number (metropolitan or overseas, HM01) in E.164 form;
    French numbers may be written nationally. A landline, a foreign number or
    a number that does not exist is refused (422 `invalid` on `phone`)."""
    candidates = _phone_candidates((raw or "").strip())
    for number in candidates:
        if phonenumbers.number_type(number) in _MOBILE_TYPES and (
            phonenumbers.region_code_for_number(number) in FRENCH_PHONE_REGIONS
        ):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if any(phonenumbers.region_code_for_number(number) not in FRENCH_PHONE_REGIONS for number in candidates):
        message = _("Enter a French mobile number (metropolitan France or overseas): foreign numbers are not accepted.")
    elif candidates:
        message = _("Enter a valid mobile phone number: a landline or special number cannot receive the SMS code.")
    else:
        message = _("Enter a valid mobile phone number.")
    raise InvalidInput(message, field="phone")


def siret_normalise(raw: str) -> str:
    compact = siret_number.compact(raw or "")
    if not siret_number.is_valid(compact):
        raise InvalidSiret(_("This SIRET number is not valid."), field="siret")
    return compact


def _email_check(email: str) -> None:
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(_("Enter a valid email address."), field="email") from None


def password_check(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise WeakPassword(" ".join(exc.messages), field="password") from None


def signup_input(
    *,
    role: str,
    email: str,
    password: str,
    display_name: str,
    accept_terms: bool,
    phone: str = "",
    siret: str = "",
) -> tuple[str, str, str, str]:
    """The signup's input checked field by field, every refusal told at once
    (the first answers, in this order); (email, display name, E.164 phone,
    SIRET) cleaned. The signup form asks it too, to show all its errors."""
    if role not in SIGNUP_ROLES:
        raise InvalidInput(_("Choose tasker, company or expert."), field="role")
    checks = InputChecks()
    if not accept_terms:
        checks.problems.append(TermsNotAccepted(_("You must accept the terms to sign up."), field="accept_terms"))
    email = User.objects.normalize_email(email.strip()).lower()
    checks.check(lambda: _email_check(email))
    display_name = display_name.strip()
    if not display_name:
        checks.problems.append(InvalidInput(_("A display name is required."), field="display_name"))
    e164 = ""
    if role == Role.TASKER and not phone:
        checks.problems.append(InvalidInput(_("Taskers sign up with a mobile phone number."), field="phone"))
    elif phone:
        e164 = checks.check(lambda: phone_normalise(phone)) or ""
    siret_clean = ""
    if role == Role.COMPANY and not siret:
        checks.problems.append(InvalidSiret(_("Companies sign up with their SIRET number."), field="siret"))
    elif siret:
        siret_clean = checks.check(lambda: siret_normalise(siret)) or ""
    candidate = User(email=email, display_name=display_name, role=role)
    checks.check(lambda: password_check(password, candidate))
    checks.done()
    return email, display_name, e164, siret_clean


def user_signup(
    *,
    role: str,
    email: str,
    password: str,
    display_name: str,
    accept_terms: bool,
    phone: str = "",
    siret: str = "",
    legal_name: str = "",
    ip: str | None = None,
) -> User:
    """Create a tasker, company or expert account (HM01, HM03, AC01); the
    accepted terms are recorded as consents to the versions in force (AC03)."""
    email, display_name, e164, siret_clean = signup_input(
        role=role,
        email=email,
        password=password,
        display_name=display_name,
        accept_terms=accept_terms,
        phone=phone,
        siret=siret,
    )
    # Counted once the input holds: typing mistakes cost nothing; each
    # account a tasker opens sends an SMS, so an address opens only so many.
    rate_limit_named("signup_ip", ip, message=_("Too many accounts were opened from here; try again later."))
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise EmailTaken(_("An account already uses this email address."), field="email")
        if e164 and User.objects.filter(phone=e164, phone_verified_at__isnull=False).exists():
            raise PhoneTaken(_("This phone number already backs another account."), field="phone")
        now = timezone.now()
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email,
                    password,
                    display_name=display_name,
                    role=role,
                    phone=e164,
                    terms_version=settings.TERMS_VERSION,
                    terms_accepted_at=now,
                )
        except IntegrityError:
            raise EmailTaken(_("An account already uses this email address."), field="email") from None
        if siret_clean:
            Organisation.objects.create(user=user, siret=siret_clean, legal_name=legal_name.strip()[:200])
        consents_record(user=user, kinds=required_kinds(role), ip=ip)
        if user.is_expert:
            expert_profile_create(user=user)
    if user.is_tasker:
        transaction.on_commit(lambda: phone_code_send(user=user, ip=ip))
    return user


def phone_code_send(*, user: User, ip: str | None = None) -> PhoneCode:
    """Send a fresh 6-digit code to the user's number, throttled per account
    (one a minute, PHONE_CODE_MAX_PER_HOUR an hour) and per address."""
    if not user.phone:
        raise InvalidInput(_("Add a mobile phone number first."), field="phone")
    if user.phone_verified:
        raise Conflict(_("This phone number is already verified."), code="phone_already_verified")
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        recent = PhoneCode.objects.filter(user=user, created_at__gte=now - timedelta(hours=1)).order_by("-created_at")
        last = recent.first()
        resend_at = last.created_at + timedelta(seconds=settings.PHONE_CODE_RESEND_SECONDS) if last else now
        if resend_at > now:
            raise TooManyRequests(
                _("A code was just sent; wait a minute before asking again."),
                retry_after=(resend_at - now).total_seconds(),
            )
        if recent.count() >= settings.PHONE_CODE_MAX_PER_HOUR:
            oldest = recent.last()
            free_at = oldest.created_at + timedelta(hours=1) if oldest else now
            raise TooManyRequests(
                _("Too many codes were sent; try again in an hour."),
                retry_after=(free_at - now).total_seconds(),
            )
        if ip:
            rate_limit_named("sms_ip", ip, message=_("Too many codes were sent from here; try again later."))
        code = f"{secrets.randbelow(1_000_000):06d}"
        phone_code = PhoneCode.objects.create(
            user=user,
            phone=user.phone,
            code_hash=PhoneCode.hash(code),
            created_at=now,
            expires_at=now + timedelta(minutes=settings.PHONE_CODE_TTL_MINUTES),
        )
        body = _("Your Microwork code: %(code)s. It expires in %(minutes)s minutes.") % {
            "code": code,
            "minutes": settings.PHONE_CODE_TTL_MINUTES,
        }
        phone = user.phone
        transaction.on_commit(lambda: send_sms(phone, body))
    return phone_code


def phone_verify(*, user: User, code: str) -> User:
    """Check the latest code; a verified number then backs this account only (HM02)."""
    code = (code or "").strip()
    now = timezone.now()
    wrong = False
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.phone_verified:
            return user
        latest = (
            PhoneCode.objects.select_for_update()
            .filter(user=user, phone=user.phone, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if latest is None or latest.expires_at <= now or latest.attempts >= settings.PHONE_CODE_MAX_ATTEMPTS:
            raise CodeInvalid(_("This code has expired or was tried too often; ask for a new one."), field="code")
        if not secrets.compare_digest(latest.code_hash, PhoneCode.hash(code)):
            # Counted in a transaction that commits, so the limit holds.
            PhoneCode.objects.filter(pk=latest.pk).update(attempts=F("attempts") + 1)
            wrong = True
        else:
            if User.objects.filter(phone=user.phone, phone_verified_at__isnull=False).exclude(pk=user.pk).exists():
                raise PhoneTaken(_("This phone number already backs another account."), field="phone")
            latest.used_at = now
            latest.save(update_fields=["used_at"])
            user.phone_verified_at = now
            try:
                with transaction.atomic():
                    user.save(update_fields=["phone_verified_at"])
            except IntegrityError:
                raise PhoneTaken(_("This phone number already backs another account."), field="phone") from None
    if wrong:
        raise CodeInvalid(_("This code is not the one we sent."), field="code")
    return user


def phone_change(*, user: User, phone: str) -> User:
    if user.phone_verified:
        raise Conflict(_("A verified phone number cannot be changed here."), code="phone_already_verified")
    e164 = phone_normalise(phone)
    if User.objects.filter(phone=e164, phone_verified_at__isnull=False).exclude(pk=user.pk).exists():
        raise PhoneTaken(_("This phone number already backs another account."), field="phone")
    user.phone = e164
    user.save(update_fields=["phone"])
    return user


# --- Expert verification documents (AM13) --------------------------------


def document_upload(
    *,
    user: User,
    kind: str,
    upload: UploadedFile,
    valid_until: date | None = None,
    issued_on: date | None = None,
) -> VerificationDocument:
    """A document for staff to check. Its validity runs from `issued_on`, the
    date the document itself bears (required where AM13 limits the validity)."""
    if not user.is_expert:
        raise Forbidden(_("Only experts upload verification documents."))
    if kind not in DocumentKind.values:
        raise InvalidInput(_("Unknown document kind."), field="kind")
    checked = upload_check(upload, DOCUMENT)
    today = timezone.localdate()
    if valid_until is not None and valid_until < today:
        raise InvalidInput(_("This document has already expired."), field="valid_until")
    if issued_on is None and kind in ISSUE_DATE_REQUIRED:
        raise InvalidInput(_("Give the date printed on the document."), field="issued_on")
    if issued_on is not None:
        if issued_on > today:
            raise InvalidInput(_("The issue date cannot be in the future."), field="issued_on")
        period = DOCUMENT_VALIDITY[kind]
        if period is not None and issued_on + period < today:
            raise InvalidInput(
                _("This document is too old: it was valid until %(date)s.")
                % {"date": (issued_on + period).isoformat()},
                field="issued_on",
            )
    # Only the expert and staff ever see a document: it is kept as sent, under
    # a name the server chooses (models.document_path).
    with transaction.atomic():
        return VerificationDocument.objects.create(
            user=user,
            kind=kind,
            file=upload,
            content_type=checked.content_type,
            stated_valid_until=valid_until,
            issued_on=issued_on,
        )


def document_longest_validity(document: VerificationDocument, today: date) -> date | None:
    """The last day the document may be valid (AM13): its period counted from
    the date it bears (`issued_on`; from `today` for a document sent before
    experts stated that date), and never past the expiry the expert stated.
    The document is valid on that day and expired the day after."""
    period = DOCUMENT_VALIDITY[document.kind]
    start = document.issued_on or today
    limits = [d for d in (document.stated_valid_until, start + period if period else None) if d is not None]
    return min(limits) if limits else None


def document_approve(
    *, document: VerificationDocument, by: User, valid_until: date | None = None
) -> VerificationDocument:
    """Approve a document until its expiry: at most what AM13 allows."""
    if not by.is_staff_member:
        raise Forbidden()
    today = timezone.localdate()
    with transaction.atomic():
        document = VerificationDocument.objects.select_for_update().get(pk=document.pk)
        if document.state != DocumentState.PENDING:
            raise Conflict(_("Only a pending document can be approved."), code="document_not_pending")
        longest = document_longest_validity(document, today)
        if longest is not None and longest < today:
            raise Conflict(
                _("This document expired on %(date)s; ask the expert for a newer one.") % {"date": longest.isoformat()},
                code="document_expired",
            )
        if valid_until is not None:
            if valid_until < today:
                raise InvalidInput(_("The expiry date is in the past."), field="valid_until")
            if longest is not None and valid_until > longest:
                raise InvalidInput(
                    _("This document can be valid until %(date)s at the latest.") % {"date": longest.isoformat()},
                    field="valid_until",
                )
        document.valid_until = valid_until or longest
        document.reviewed_by = by
        document.reviewed_at = timezone.now()
        state_move(
            document,
            DocumentState.APPROVED,
            allowed=DOCUMENT_MOVES,
            history=DocumentTransition,
            by=by,
            update_fields=("valid_until", "reviewed_by", "reviewed_at"),
            document=document,
        )
    return document


def document_refuse(*, document: VerificationDocument, by: User, reason: str) -> VerificationDocument:
    if not by.is_staff_member:
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the expert a reason."), field="reason")
    with transaction.atomic():
        document = VerificationDocument.objects.select_for_update().get(pk=document.pk)
        if document.state != DocumentState.PENDING:
            raise Conflict(_("Only a pending document can be refused."), code="document_not_pending")
        document.refusal_reason = reason[:500]
        document.reviewed_by = by
        document.reviewed_at = timezone.now()
        state_move(
            document,
            DocumentState.REFUSED,
            allowed=DOCUMENT_MOVES,
            history=DocumentTransition,
            by=by,
            reason=reason,
            update_fields=("refusal_reason", "reviewed_by", "reviewed_at"),
            document=document,
        )
    return document


def documents_expire() -> int:
    """Mark approved documents past their expiry as expired; returns how many."""
    today = timezone.localdate()
    due = VerificationDocument.objects.filter(state=DocumentState.APPROVED, valid_until__lt=today)
    count = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            document = VerificationDocument.objects.select_for_update().get(pk=pk)
            if document.state == DocumentState.APPROVED and document.valid_until and document.valid_until < today:
                state_move(
                    document,
                    DocumentState.EXPIRED,
                    allowed=DOCUMENT_MOVES,
                    history=DocumentTransition,
                    reason="validity ended",
                    document=document,
                )
                count += 1
    return count


def document_expiry_warning_mark(*, document_id: int) -> VerificationDocument | None:
    """Remember that the expert is being told the document expires soon; None
    when someone already did (the caller sends the notice in the same transaction)."""
    with transaction.atomic():
        document = VerificationDocument.objects.select_for_update().select_related("user").get(pk=document_id)
        if document.expiry_warned_at is not None or document.state != DocumentState.APPROVED:
            return None
        document.expiry_warned_at = timezone.now()
        document.save(update_fields=["expiry_warned_at"])
    return document


def phone_codes_purge() -> int:
    """Forget codes that expired over a day ago."""
    deleted, _detail = PhoneCode.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted


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
    if not user.is_expert:
        raise Forbidden(_("Only experts have an expert profile."))
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
        if profile.state == ExpertProfileState.PENDING:
            raise WrongState(_("Your profile is already waiting for review."))
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
    if not by.is_staff_member:
        raise Forbidden()
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
    if not by.is_staff_member:
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the expert a reason."), field="reason")
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


# --- Signing in, API tokens and web sessions (PL06) ------------------------

#: A token's or a session's last use is written at most this often.
LAST_USE_GRANULARITY = timedelta(minutes=1)


def token_sign_in(*, request: HttpRequest, email: str, password: str) -> str:
    """A new token for the right email and password (POST /tokens). Calls are
    limited per address and per email; wrong passwords lock the (address,
    email) pair out for a while (django-axes, through `authenticate`)."""
    email = (email or "").strip().lower()
    too_many = _("Too many sign-in attempts; try again later.")
    rate_limit_named("token_ip", client_ip(request), message=too_many)
    rate_limit_named("token_email", email, message=too_many)
    user = authenticate(request, username=email, password=password)
    if getattr(request, "axes_locked_out", False):
        raise TooManyRequests(
            _("Too many wrong passwords; try again in a few minutes."),
            retry_after=settings.AXES_COOLOFF_TIME.total_seconds(),
        )
    if not isinstance(user, User):
        raise Unauthenticated(_("Wrong email or password."), code="invalid_credentials")
    return token_create(user=user)


def token_create(*, user: User) -> str:
    """A new bearer token; the clear key is returned once and never stored.
    It expires after settings.API_TOKEN_TTL_DAYS."""
    if not user.is_active:
        raise Forbidden(_("This account is closed."))
    key = secrets.token_urlsafe(32)
    # Signing in for it is its first use: the first calls then write nothing.
    now = timezone.now()
    ApiToken.objects.create(user=user, key_hash=ApiToken.hash(key), prefix=key[:8], created_at=now, last_used_at=now)
    return key


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def user_by_token(key: str) -> tuple[User, ApiToken] | None:
    """The user behind a live token (not revoked, not expired, account open);
    its last use is noted at most once a minute, in one small UPDATE."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash(key), revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or token.last_used_at <= now - LAST_USE_GRANULARITY:
        token.last_used_at = now
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language the user reads the site in, for their notices and emails."""
    if language in dict(settings.LANGUAGES) and user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


def session_record(*, user: User, session_key: str, user_agent: str = "", ip: str | None = None) -> UserSession:
    """A browser has just signed in: remember it, for its owner to see and end."""
    now = timezone.now()
    record, _created = UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user": user, "created_at": now, "last_seen": now, "user_agent": user_agent[:300], "ip": ip or None},
    )
    return record


def session_seen(*, session_key: str, last_seen: "datetime | None") -> None:
    """Note a signed-in page view; written at most once a minute."""
    now = timezone.now()
    if last_seen is None or last_seen <= now - LAST_USE_GRANULARITY:
        UserSession.objects.filter(session_key=session_key).update(last_seen=now)


def session_forget(*, session_key: str) -> None:
    """The browser signed out: its session is gone already."""
    UserSession.objects.filter(session_key=session_key).delete()


def session_end(*, session: UserSession) -> None:
    """End a signed-in browser: its session leaves the store, so its next
    request is signed out."""
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
    SessionStore(session_key=session.session_key).delete()
    UserSession.objects.filter(pk=session.pk).delete()


def user_credentials_changed(*, user: User, keep_session_key: str | None = None) -> None:
    """The password changed (or was reset): every API token and every web
    session ends, but the session that made the change (`keep_session_key`)."""
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    for session in UserSession.objects.filter(user=user).exclude(session_key=keep_session_key or ""):
        session_end(session=session)


def password_changed(*, user: User, session_key_before: str, session_key_now: str) -> None:
    """The user changed their password from a signed-in page: that browser
    (whose session key Django cycled) stays signed in; every other session and
    every API token ends (PL06)."""
    UserSession.objects.filter(user=user, session_key=session_key_before).update(session_key=session_key_now)
    user_credentials_changed(user=user, keep_session_key=session_key_now)


def password_reset_allowed(*, ip: str | None, email: str) -> None:
    """Count a password reset request, per address and per email (whether
    or not an account uses it: the answer never tells)."""
    too_many = _("Too many password reset requests; try again later.")
    rate_limit_named("password_reset_ip", ip, message=too_many)
    rate_limit_named("password_reset_email", (email or "").strip().lower(), message=too_many)


# --- Staff's second factor (PL06) ------------------------------------------


def totp_device_for_enrolment(*, user: User) -> TOTPDevice:
    """The TOTP device a staff member is enrolling: a new secret until one is
    confirmed with a code."""
    if not user.is_staff_member:
        raise Forbidden()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise Conflict(_("A second factor is already set up."), code="second_factor_enrolled")
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


def totp_verify(*, user: User, code: str) -> TOTPDevice:
    """The device whose code this is: the confirmed one, or the one being
    enrolled (confirming it). django-otp refuses a code used before and slows
    down guessing after each failure."""
    code = "".join((code or "").split())
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None or not code.isdigit() or not device.verify_token(code):
        raise InvalidInput(_("This code is not right; check your app's clock and try the next one."), field="code")
    if enrolling:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return device


# --- Consents (AC03) ------------------------------------------------------


def consents_record(*, user: User, kinds: "tuple[str, ...] | list[str]", ip: str | None = None) -> list[Consent]:
    """Record that the user accepted the version in force of each document;
    accepting the same version twice keeps the first acceptance."""
    now = timezone.now()
    recorded = []
    for kind in kinds:
        consent, _created = Consent.objects.get_or_create(
            user=user, kind=kind, version=current(kind).version, defaults={"accepted_at": now, "ip": ip or None}
        )
        recorded.append(consent)
    return recorded
