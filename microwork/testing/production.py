"""The production profile, as an operator starts it."""

import os
import secrets
import subprocess
import sys

from django.conf import settings

#: Settings that leak from the test run into a child process: each production
#: test names its own rails.
RAIL_PREFIXES = ("DJANGO_", "MICROWORK_", "PAYMENT_", "STRIPE_", "SMS_", "EMAIL_", "TWILIO_", "ANYMAIL_", "DEBUG")
#: Every rail real: a production that must pass its checks.
REAL_RAILS = {
    "PAYMENT_GATEWAY": "stripe",
    "STRIPE_SECRET_KEY": "sk_live_acme",
    "STRIPE_WEBHOOK_SECRET": "whsec_acme",
    "SMS_BACKEND": "twilio",
    "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_FROM": "+33700000000",
    "EMAIL_BACKEND": "anymail",
    "ANYMAIL_PROVIDER": "brevo",
    "ANYMAIL_API_KEY": "xkeysib-acme",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def production_env(**overrides: str) -> dict[str, str]:
    """The test run's environment without its own rail or Django settings
    (the test run allows unsafe async, which `check --deploy` refuses), in
    the production profile, with `overrides`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(RAIL_PREFIXES)}
    env.pop("DATABASE_URL", None)
    env.update(
        MICROWORK_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64)[:50],
        ALLOWED_HOSTS="microwork.fr",
        **overrides,
    )
    return env


def run_python(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """`python *args` in the project's folder, as an operator would run it."""
    return subprocess.run(  # noqa: S603 - the interpreter running the tests, with fixed arguments
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
