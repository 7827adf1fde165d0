"""Production refuses toy rails (PL01: no money from nowhere).

The sandbox gateway accepts every charge, and console or in-memory SMS and
email deliver nothing: in production they would credit money no one paid
and swallow verification codes. These checks run with every `manage.py`
command that checks (not only `--deploy`) and when a WSGI worker loads, so a
misconfigured production refuses to start. They read settings only.
"""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection

TOY_GATEWAYS = {"sandbox", "declining"}
TOY_SMS_BACKENDS = {
    "console",
    "locmem",
    "microwork.notifications.sms.ConsoleBackend",
    "microwork.notifications.sms.LocmemBackend",
    "microwork.core.sms.ConsoleBackend",
    "microwork.core.sms.LocmemBackend",
}
FILE_SMS_BACKENDS = {"file", "microwork.notifications.sms.FileBackend", "microwork.core.sms.FileBackend"}
TOY_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "anymail.backends.console.EmailBackend",
    "anymail.backends.test.EmailBackend",
}
FILE_EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def production_rails(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not settings.PRODUCTION:
        return []
    return [*_payments(), *_sms(), *_email(), *_cache(), *_bench()]


def _bench() -> list[checks.CheckMessage]:
    if getattr(settings, "BENCH", False):
        return [
            checks.Error(
                "MICROWORK_BENCH is on in production: the benchmark's bare views would be served.",
                hint="Unset MICROWORK_BENCH: it is for `make bench` only.",
                id="microwork.E008",
            )
        ]
    return []


def _cache() -> list[checks.CheckMessage]:
    if not settings.REDIS_URL:
        return [
            checks.Error(
                "REDIS_URL is empty in production: rate limits and sign-in lockouts would count per worker.",
                hint="Set REDIS_URL (redis://host:6379/0): the cache every worker shares.",
                id="microwork.E007",
            )
        ]
    return []


def _payments() -> list[checks.CheckMessage]:
    if settings.PAYMENT_GATEWAY in TOY_GATEWAYS:
        return [
            checks.Error(
                f"PAYMENT_GATEWAY is {settings.PAYMENT_GATEWAY!r} in production: "
                "top-ups would credit money no one paid.",
                hint="Set PAYMENT_GATEWAY=stripe (the production default) with its keys.",
                id="microwork.E001",
            )
        ]
    if settings.PAYMENT_GATEWAY == "stripe":
        missing = [name for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET") if not getattr(settings, name, "")]
        if missing:
            return [
                checks.Error(
                    f"PAYMENT_GATEWAY is 'stripe' but these settings are empty: {', '.join(missing)}.",
                    hint="Copy the secret key and the webhook signing secret from the Stripe dashboard.",
                    id="microwork.E006",
                )
            ]
    return []


def _sms() -> list[checks.CheckMessage]:
    backend = settings.SMS_BACKEND
    if backend in TOY_SMS_BACKENDS:
        return [
            checks.Error(
                f"SMS_BACKEND is {backend!r} in production: text messages would never reach a phone.",
                hint="Set SMS_BACKEND=twilio (the production default) with TWILIO_* settings.",
                id="microwork.E002",
            )
        ]
    if backend in FILE_SMS_BACKENDS:
        return [
            checks.Warning(
                "SMS_BACKEND is 'file' in production: messages are written to SMS_FILE_PATH, not sent.",
                hint="Fine for black-box tests; otherwise set SMS_BACKEND=twilio.",
                id="microwork.W001",
            )
        ]
    if backend == "twilio":
        missing = [name for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not getattr(settings, name)]
        if not (settings.TWILIO_FROM or settings.TWILIO_MESSAGING_SERVICE_SID):
            missing.append("TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
        if missing:
            return [
                checks.Error(
                    f"SMS_BACKEND is 'twilio' but these settings are empty: {', '.join(missing)}.",
                    hint="Copy them from the Twilio console into the environment.",
                    id="microwork.E004",
                )
            ]
    return []


def _email() -> list[checks.CheckMessage]:
    backend = settings.EMAIL_BACKEND
    if backend in TOY_EMAIL_BACKENDS:
        return [
            checks.Error(
                f"EMAIL_BACKEND is {backend!r} in production: email would never reach an inbox.",
                hint="Set EMAIL_BACKEND=anymail (the production default) with ANYMAIL_PROVIDER "
                "and ANYMAIL_API_KEY, or EMAIL_BACKEND=smtp.",
                id="microwork.E003",
            )
        ]
    if backend == FILE_EMAIL_BACKEND:
        return [
            checks.Warning(
                "EMAIL_BACKEND is the file backend in production: email is written to EMAIL_FILE_PATH, not sent.",
                hint="Fine for black-box tests; otherwise set EMAIL_BACKEND=anymail.",
                id="microwork.W002",
            )
        ]
    # Building the backend reads its settings without sending anything, so a
    # missing provider key or an unknown provider shows now, not at the first
    # email.
    try:
        get_connection(backend)
    except (ImportError, ImproperlyConfigured) as error:
        return [
            checks.Error(
                f"EMAIL_BACKEND {backend!r} cannot start: {error}",
                hint="Check ANYMAIL_PROVIDER and ANYMAIL_API_KEY (or the SMTP settings).",
                id="microwork.E005",
            )
        ]
    return []
