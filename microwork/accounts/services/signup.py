"""Signing up (roles, email, password, SIRET), phone numbers and their
SMS codes, the errors every account rule answers, and consents (AC03)."""

import secrets
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.fr import siret as siret_number

from microwork.core.errors import Conflict, Forbidden, InputChecks, InvalidInput, TooManyRequests, required_text
from microwork.core.ratelimit import rate_limit_named
from microwork.core.sms import send_sms

from ..legal import current, required_kinds
from ..models import (
    Consent,
    Organisation,
    PhoneCode,
    Role,
    User,
)
from .experts import expert_profile_create

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
    display_name = (
        checks.check(lambda: required_text(display_name, _("A display name is required."), field="display_name")) or ""
    )
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


def phone_codes_purge() -> int:
    """Forget codes that expired over a day ago."""
    deleted, _detail = PhoneCode.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted


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
