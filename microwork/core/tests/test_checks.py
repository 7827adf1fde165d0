"""PL01: production refuses toy rails, the sandbox gateway first of all."""

import pytest
from django.conf import settings as django_settings
from django.core.checks import run_checks

from microwork.core.checks import production_rails
from microwork.testing import REAL_RAILS, production_env, run_python

BASE_DIR = django_settings.BASE_DIR


@pytest.fixture
def production(settings):
    """A production whose every rail is real; each test breaks one."""
    settings.PRODUCTION = True
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_live_acme"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_acme"
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
    settings.TWILIO_AUTH_TOKEN = "token"
    settings.TWILIO_FROM = "+33700000000"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.EMAIL_BACKEND = "anymail.backends.brevo.EmailBackend"
    settings.ANYMAIL = {"BREVO_API_KEY": "xkeysib-acme"}
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    return settings


def ids(messages):
    return [message.id for message in messages]


def test_pl01_real_rails_pass(production):
    assert production_rails() == []


def test_pl01_development_may_use_every_toy(settings):
    settings.PRODUCTION = False
    settings.PAYMENT_GATEWAY = "sandbox"
    settings.SMS_BACKEND = "console"
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert production_rails() == []


@pytest.mark.parametrize("gateway", ["sandbox", "declining"])
def test_pl01_production_refuses_a_toy_payment_gateway(production, gateway):
    production.PAYMENT_GATEWAY = gateway
    [error] = production_rails()
    assert error.id == "microwork.E001"
    assert error.is_serious()
    assert "PAYMENT_GATEWAY" in error.msg and gateway in error.msg
    assert "stripe" in error.hint


def test_pl01_production_refuses_stripe_without_its_secrets(production):
    production.STRIPE_WEBHOOK_SECRET = ""
    [error] = production_rails()
    assert error.id == "microwork.E006"
    assert "STRIPE_WEBHOOK_SECRET" in error.msg and "STRIPE_SECRET_KEY" not in error.msg


@pytest.mark.parametrize("backend", ["console", "locmem", "microwork.notifications.sms.ConsoleBackend"])
def test_production_refuses_a_toy_sms_backend(production, backend):
    production.SMS_BACKEND = backend
    [error] = production_rails()
    assert error.id == "microwork.E002"
    assert "SMS_BACKEND" in error.msg and "twilio" in error.hint


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "anymail.backends.test.EmailBackend",
    ],
)
def test_production_refuses_a_toy_email_backend(production, backend):
    production.EMAIL_BACKEND = backend
    [error] = production_rails()
    assert error.id == "microwork.E003"
    assert "EMAIL_BACKEND" in error.msg and "anymail" in error.hint


def test_file_backends_only_warn_for_black_box_tests(production):
    production.SMS_BACKEND = "file"
    production.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    messages = production_rails()
    assert ids(messages) == ["microwork.W001", "microwork.W002"]
    assert not any(message.is_serious() for message in messages)
    assert "SMS_BACKEND" in messages[0].msg and "EMAIL_BACKEND" in messages[1].msg


@pytest.mark.parametrize("missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"])
def test_production_refuses_an_incomplete_twilio(production, missing):
    setattr(production, missing, "")
    [error] = production_rails()
    assert error.id == "microwork.E004"
    assert missing in error.msg


def test_a_twilio_messaging_service_stands_in_for_the_sender_number(production):
    production.TWILIO_FROM = ""
    production.TWILIO_MESSAGING_SERVICE_SID = "MG0123456789abcdef0123456789abcdef"
    assert production_rails() == []


def test_production_refuses_an_email_provider_without_its_key(production):
    production.ANYMAIL = {}
    [error] = production_rails()
    assert error.id == "microwork.E005"
    assert "BREVO_API_KEY" in error.msg


def test_production_refuses_an_unknown_email_provider(production):
    production.EMAIL_BACKEND = "anymail.backends.nowhere.EmailBackend"
    [error] = production_rails()
    assert error.id == "microwork.E005"
    assert "EMAIL_BACKEND" in error.msg


def test_pl01_every_toy_at_once_gives_every_error(production):
    production.PAYMENT_GATEWAY = "sandbox"
    production.SMS_BACKEND = "locmem"
    production.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert ids(production_rails()) == ["microwork.E001", "microwork.E002", "microwork.E003"]


def test_pl01_the_check_is_registered_outside_deploy_checks(production):
    production.PAYMENT_GATEWAY = "sandbox"
    assert "microwork.E001" in ids(run_checks(include_deployment_checks=False))


# --- As an operator starts it ---------------------------------------------


def test_pl01_check_deploy_fails_on_the_sandbox_gateway():
    result = run_python(
        "manage.py", "check", "--deploy", env=production_env(**{**REAL_RAILS, "PAYMENT_GATEWAY": "sandbox"})
    )
    assert result.returncode != 0
    assert "microwork.E001" in result.stderr and "PAYMENT_GATEWAY" in result.stderr


def test_pl01_check_fails_on_production_defaults_without_credentials():
    result = run_python("manage.py", "check", env=production_env())
    assert result.returncode != 0
    assert "microwork.E001" not in result.stderr  # the default is Stripe, not the sandbox
    for error in ("microwork.E004", "microwork.E005", "microwork.E006"):
        assert error in result.stderr


def test_pl01_a_wsgi_worker_refuses_to_boot_on_the_sandbox_gateway():
    result = run_python(
        "-c", "import microwork.wsgi", env=production_env(**{**REAL_RAILS, "PAYMENT_GATEWAY": "sandbox"})
    )
    assert result.returncode != 0
    assert "SystemCheckError" in result.stderr and "PAYMENT_GATEWAY" in result.stderr


def test_pl01_real_rails_pass_check_deploy_and_boot_a_worker():
    env = production_env(**REAL_RAILS)
    result = run_python("manage.py", "check", "--deploy", env=env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    booted = run_python("-c", "import microwork.wsgi; print(microwork.wsgi.application)", env=env)
    assert booted.returncode == 0, booted.stderr
    assert "WSGIHandler" in booted.stdout


def test_pl06_production_requires_redis_for_rate_limits(production):
    production.REDIS_URL = ""
    assert ids(production_rails()) == ["microwork.E007"]


def test_production_refuses_the_benchmark_views(production):
    production.BENCH = True
    assert ids(production_rails()) == ["microwork.E008"]
