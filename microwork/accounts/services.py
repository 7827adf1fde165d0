"""Every write on accounts: signup, phone verification, documents, tokens."""

import secrets
from datetime import date, timedelta

import phonenumbers
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.fr import siret as siret_number

from microwork.core.errors import Conflict, Forbidden, InvalidInput, TooManyRequests
from microwork.core.sms import send_sms
from microwork.core.states import state_move
from microwork.core.uploads import JPEG, PDF, PNG, upload_content_type

from .models import (
    DOCUMENT_MOVES,
    DOCUMENT_VALIDITY,
    ApiToken,
    DocumentKind,
    DocumentState,
    DocumentTransition,
    Organisation,
    PhoneCode,
    Role,
    User,
    VerificationDocument,
)

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


def phone_normalise(raw: str) -> str:
    """The number in E.164 form; French numbers may be written nationally."""
    try:
        number = phonenumbers.parse(raw, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidInput(_("Enter a valid mobile phone number."), field="phone") from None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidInput(_("Enter a valid mobile phone number."), field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def siret_normalise(raw: str) -> str:
    compact = siret_number.compact(raw or "")
    if not siret_number.is_valid(compact):
        raise InvalidSiret(_("This SIRET number is not valid."), field="siret")
    return compact


def password_check(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise WeakPassword(" ".join(exc.messages), field="password") from None


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
) -> User:
    """Create a tasker, company or expert account (HM01, HM03, AC01)."""
    if role not in SIGNUP_ROLES:
        raise InvalidInput(_("Choose tasker, company or expert."), field="role")
    if not accept_terms:
        raise TermsNotAccepted(_("You must accept the terms to sign up."), field="accept_terms")
    email = User.objects.normalize_email(email.strip()).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(_("Enter a valid email address."), field="email") from None
    display_name = display_name.strip()
    if not display_name:
        raise InvalidInput(_("A display name is required."), field="display_name")
    e164 = ""
    if role == Role.TASKER:
        if not phone:
            raise InvalidInput(_("Taskers sign up with a mobile phone number."), field="phone")
        e164 = phone_normalise(phone)
    elif phone:
        e164 = phone_normalise(phone)
    siret_clean = ""
    if role == Role.COMPANY or siret:
        if not siret:
            raise InvalidSiret(_("Companies sign up with their SIRET number."), field="siret")
        siret_clean = siret_normalise(siret)
    candidate = User(email=email, display_name=display_name, role=role)
    password_check(password, candidate)

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
    if user.is_tasker:
        transaction.on_commit(lambda: phone_code_send(user=user))
    return user


def phone_code_send(*, user: User) -> PhoneCode:
    """Send a fresh 6-digit code to the user's number, throttled."""
    if not user.phone:
        raise InvalidInput(_("Add a mobile phone number first."), field="phone")
    if user.phone_verified:
        raise Conflict(_("This phone number is already verified."), code="phone_already_verified")
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        recent = PhoneCode.objects.filter(user=user, created_at__gte=now - timedelta(hours=1)).order_by("-created_at")
        last = recent.first()
        if last and last.created_at > now - timedelta(seconds=settings.PHONE_CODE_RESEND_SECONDS):
            raise TooManyRequests(_("A code was just sent; wait a minute before asking again."))
        if recent.count() >= settings.PHONE_CODE_MAX_PER_HOUR:
            raise TooManyRequests(_("Too many codes were sent; try again in an hour."))
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
    *, user: User, kind: str, upload: UploadedFile, valid_until: date | None = None
) -> VerificationDocument:
    if not user.is_expert:
        raise Forbidden(_("Only experts upload verification documents."))
    if kind not in DocumentKind.values:
        raise InvalidInput(_("Unknown document kind."), field="kind")
    if upload.size is None or upload.size == 0:
        raise InvalidInput(_("The file is empty."), field="file")
    if upload.size > settings.DOCUMENT_MAX_BYTES:
        raise InvalidInput(_("The file is larger than 10 MB."), field="file")
    content_type = upload_content_type(upload, accept=(PDF, JPEG, PNG), refusal=_("Upload a PDF, JPEG or PNG file."))
    if valid_until is not None and valid_until < timezone.localdate():
        raise InvalidInput(_("This document has already expired."), field="valid_until")
    with transaction.atomic():
        return VerificationDocument.objects.create(
            user=user, kind=kind, file=upload, content_type=content_type, stated_valid_until=valid_until
        )


def document_longest_validity(document: VerificationDocument, today: date) -> date | None:
    period = DOCUMENT_VALIDITY[document.kind]
    limits = [d for d in (document.stated_valid_until, today + period if period else None) if d is not None]
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


def phone_codes_purge() -> int:
    """Forget codes that expired over a day ago."""
    deleted, _detail = PhoneCode.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted


# --- API tokens -----------------------------------------------------------


def token_create(*, user: User) -> str:
    """A new bearer token; the clear key is returned once and never stored."""
    if not user.is_active:
        raise Forbidden(_("This account is closed."))
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_hash=ApiToken.hash(key), prefix=key[:8])
    return key


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def user_by_token(key: str) -> tuple[User, ApiToken] | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    return token.user, token
