"""Signing in, as django-axes and Django's signals see it (PL06)."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from microwork.core.ratelimit import client_ip

from . import services
from .models import User


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The email a sign-in attempt names, whatever its case: a lockout holds
    for `A@x.fr` and `a@x.fr` alike."""
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
    return str(raw).strip().lower()


@receiver(user_logged_in)
def _record_session(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if request is None or session is None or not session.session_key:
        return
    services.session_record(
        user=user,
        session_key=session.session_key,
        user_agent=request.headers.get("User-Agent", ""),
        ip=client_ip(request),
    )


@receiver(user_logged_out)
def _forget_session(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        services.session_forget(session_key=session.session_key)
