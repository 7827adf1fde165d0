"""Asks a signed-in user to accept a new version of the legal documents (AC03)."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode

from microwork.accounts.legal import versions_signature
from microwork.accounts.models import User
from microwork.accounts.selectors import consents_missing, second_factor_needed
from microwork.accounts.services import session_seen, user_language_set

#: The session remembers the versions it found accepted, until one changes.
CONSENT_SESSION_KEY = "legal_versions_accepted"

#: Paths a user who has not accepted yet may still reach: the documents
#: themselves, signing out, the language switch, and what is not a page.
OPEN_PREFIXES = (
    "/api/",
    "/admin/",
    "/static/",
    "/media/",
    "/i18n/",
    "/deconnexion/",
    "/conditions-utilisation/",
    "/conditions-vente/",
    "/confidentialite/",
    "/mentions-legales/",
    "/conditions/accepter/",
)


#: Paths staff may reach before their second factor: the page that asks for
#: it, signing out, the language switch, and what is not a page.
SECOND_FACTOR_OPEN_PREFIXES = ("/api/", "/static/", "/i18n/", "/deconnexion/", "/securite/deuxieme-facteur/")


def verified(user: Any) -> bool:
    """Whether django-otp verified this session with a device."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


class StaffSecondFactorMiddleware:
    """A staff member signed in with a password alone reaches no page, the
    admin included, until the session is verified with a code from their
    authenticator app (PL06); a first sign-in enrols the app. Runs after
    django-otp's middleware, which tells whether the session is verified."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            isinstance(user, User)
            and not request.path.startswith(SECOND_FACTOR_OPEN_PREFIXES)
            and second_factor_needed(user, verified=verified(user))
        ):
            next_path = request.get_full_path() if request.method in ("GET", "HEAD") else ""
            url = reverse("web:second_factor")
            if next_path:
                url = f"{url}?{urlencode({'next': next_path})}"
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
        return self.get_response(request)


class LegalConsentMiddleware:
    """A page view (GET) by a signed-in user who has not accepted the versions
    in force of the documents their role needs goes to the acceptance page
    first. API requests are never held back; the check is remembered in the
    session until a version changes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            request.method in ("GET", "HEAD")
            and isinstance(user, User)
            and not request.path.startswith(OPEN_PREFIXES)
            and not request.headers.get("HX-Request")
        ):
            signature = versions_signature(user.role)
            if signature and request.session.get(CONSENT_SESSION_KEY) != signature:
                if consents_missing(user):
                    url = reverse("web:legal_accept")
                    return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
                request.session[CONSENT_SESSION_KEY] = signature
        return self.get_response(request)


#: The session remembers when its last view was noted, so most views write nothing.
SEEN_SESSION_KEY = "session_seen_at"


class SessionRecordMiddleware:
    """Notes a signed-in browser's last view on its UserSession, at most once
    a minute (PL06: the security page lists it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if isinstance(user, User) and session is not None and session.session_key:
            seen = session.get(SEEN_SESSION_KEY)
            last_seen = parse_datetime(seen) if isinstance(seen, str) else None
            now = timezone.now()
            if last_seen is None or (now - last_seen).total_seconds() >= 60:
                session_seen(session_key=session.session_key, last_seen=last_seen)
                session[SEEN_SESSION_KEY] = now.isoformat()
        return self.get_response(request)


class LanguageRecordMiddleware:
    """Remembers the language a signed-in person reads the pages in, so that
    what the platform sends them later is written in it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(request, "LANGUAGE_CODE", "")
        if isinstance(user, User) and language and user.language != language:
            user_language_set(user=user, language=language)
        return self.get_response(request)
