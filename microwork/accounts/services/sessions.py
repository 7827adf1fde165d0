"""Signing in, API tokens, web sessions, passwords and staff's second factor (PL06)."""

import secrets
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from microwork.core.errors import Conflict, Forbidden, InvalidInput, TooManyRequests, Unauthenticated
from microwork.core.ratelimit import client_ip, rate_limit_named

from ..models import (
    ApiToken,
    User,
    UserSession,
)
from ..roles import require_role
from .tokens import token_cached, token_keep, token_stamp, tokens_forget

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
    tokens_forget(key_hashes=[token.key_hash])


def user_by_token(key: str) -> tuple[User, ApiToken] | None:
    """The user behind a live token (not revoked, not expired, account open);
    its last use is noted at most once a minute, in one small UPDATE."""
    now = timezone.now()
    key_hash = ApiToken.hash(key)
    cached, stamp = token_cached(key_hash)
    token = cached
    if token is None:
        # The stamp is read (or made) before the database: see tokens.py.
        stamp = stamp or token_stamp(key_hash)
        token = next(
            iter(
                # The password's hash stays out of the lookup (and so of the cache).
                ApiToken.objects.select_related("user")
                .defer("user__password")
                .filter(key_hash=key_hash, revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)[:1]
            ),
            None,
        )
        if token is None:
            return None
    elif token.expires_at <= now:
        return None
    if token.last_used_at is None or token.last_used_at <= now - LAST_USE_GRANULARITY:
        token.last_used_at = now
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token_keep(token, stamp)
    elif cached is None:
        token_keep(token, stamp)
    return token.user, token


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language the user reads the site in, for their notices and emails."""
    if language in dict(settings.LANGUAGES) and user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
        tokens_forget(user_id=user.pk)


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
    tokens_forget(user_id=user.pk)
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
    require_role(user, "staff", message=Forbidden.title)
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
