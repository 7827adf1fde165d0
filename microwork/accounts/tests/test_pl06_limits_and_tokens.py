"""PL06: sign-in lockouts and rate limits (429 with Retry-After), tokens that
expire, are listed and revoked, and end with a password reset."""

from datetime import timedelta

import time_machine
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from microwork import testing
from microwork.accounts.models import ApiToken, UserSession

WRONG = "not-the-password"


def _token_call(client: Client, email: str, password: str):
    return client.post("/api/v1/tokens", {"email": email, "password": password}, content_type="application/json")


def test_pl06_api_sign_in_locked_out_after_wrong_passwords(alice):
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        answer = _token_call(client, "alice@example.fr", WRONG)
        assert answer.status_code == 401
        assert answer["WWW-Authenticate"] == "Bearer"
    locked = _token_call(client, "alice@example.fr", WRONG)
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/problem+json"
    assert locked.json()["code"] == "too_many_requests"
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    # the right password is refused too while the lockout lasts ...
    assert _token_call(client, "ALICE@example.fr", testing.PASSWORD).status_code == 429
    # ... and works again once it is over
    cache.clear()
    assert _token_call(client, "alice@example.fr", testing.PASSWORD).status_code == 201


def test_pl06_api_sign_in_lockout_expires(alice):
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _token_call(client, "alice@example.fr", WRONG)
    assert _token_call(client, "alice@example.fr", testing.PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=5)):
        assert _token_call(client, "alice@example.fr", testing.PASSWORD).status_code == 201


def test_pl06_sign_in_page_locked_out_with_a_french_page(alice):
    client = Client()
    url = reverse("web:login")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        page = client.post(url, {"username": "alice@example.fr", "password": WRONG})
        assert page.status_code == 200
    page = client.post(url, {"username": "alice@example.fr", "password": WRONG})
    assert page.status_code == 429
    assert int(page["Retry-After"]) > 0
    assert "Trop de tentatives" in page.content.decode()
    page = client.post(url, {"username": "alice@example.fr", "password": testing.PASSWORD})
    assert page.status_code == 429
    cache.clear()
    page = client.post(url, {"username": "alice@example.fr", "password": testing.PASSWORD})
    assert page.status_code == 302


def test_pl06_admin_login_locked_out(staff):
    client = Client()
    url = "/admin/login/?next=/admin/"
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, {"username": staff.email, "password": WRONG}).status_code == 200
    page = client.post(url, {"username": staff.email, "password": WRONG})
    assert page.status_code == 429
    assert "Retry-After" in page


def test_pl06_token_creation_limited_per_email(alice):
    client = Client()
    limit, _window = settings.RATE_LIMITS["token_email"]
    # another address each time: the lockout never applies, the per-email limit does
    for attempt in range(limit):
        answer = client.post(
            "/api/v1/tokens",
            {"email": "alice@example.fr", "password": testing.PASSWORD},
            content_type="application/json",
            REMOTE_ADDR=f"10.0.0.{attempt + 1}",
        )
        assert answer.status_code == 201
    answer = client.post(
        "/api/v1/tokens",
        {"email": "alice@example.fr", "password": testing.PASSWORD},
        content_type="application/json",
        REMOTE_ADDR="10.0.1.1",
    )
    assert answer.status_code == 429
    assert int(answer["Retry-After"]) > 0


def _signup(client: Client, n: int):
    return client.post(
        "/api/v1/accounts",
        {
            "role": "company",
            "email": f"company{n}@example.fr",
            "password": testing.PASSWORD,
            "display_name": f"Company {n}",
            "siret": testing.ACME_SIRET,
            "accept_terms": True,
        },
        content_type="application/json",
    )


def test_pl06_signup_limited_per_address(db):
    client = Client()
    limit, _window = settings.RATE_LIMITS["signup_ip"]
    for n in range(limit):
        assert _signup(client, n).status_code == 201
    answer = _signup(client, limit)
    assert answer.status_code == 429
    assert answer.json()["code"] == "too_many_requests"
    assert int(answer["Retry-After"]) > 0


def test_pl06_signup_page_limited_with_a_form_error(db):
    client = Client()
    limit, _window = settings.RATE_LIMITS["signup_ip"]
    for n in range(limit):
        _signup(client, n)
    page = client.post(
        reverse("web:signup_company"),
        {
            "email": "late@example.fr",
            "password": testing.PASSWORD,
            "display_name": "Late",
            "legal_name": "Late SAS",
            "siret": testing.ACME_SIRET,
            "accept_terms": "on",
        },
    )
    assert page.status_code == 200
    assert "Trop de comptes" in page.content.decode()


def test_pl06_password_reset_limited(alice):
    client = Client()
    limit, _window = settings.RATE_LIMITS["password_reset_email"]
    url = reverse("web:password_reset")
    for _attempt in range(limit):
        assert client.post(url, {"email": "alice@example.fr"}).status_code == 302
    page = client.post(url, {"email": "alice@example.fr"})
    assert page.status_code == 429
    assert int(page["Retry-After"]) > 0
    assert "Trop de demandes" in page.content.decode()
    assert len(mail.outbox) == limit


def test_pl06_sms_code_limit_sends_retry_after(charlie):
    api = testing.api_as(charlie)
    assert api.post("/me/phone/code").status_code == 202
    again = api.post("/me/phone/code")
    assert again.status_code == 429
    assert 0 < int(again["Retry-After"]) <= settings.PHONE_CODE_RESEND_SECONDS


# --- Tokens (PL06) -----------------------------------------------------------


def test_pl06_401_has_www_authenticate(db):
    answer = Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer nope")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "Bearer"
    assert Client().get("/api/v1/me")["WWW-Authenticate"] == "Bearer"


def test_pl06_token_expires(alice, settings):
    from microwork import settings as project_settings

    assert project_settings.API_TOKEN_TTL_DAYS == 90  # the default, outside the tests
    settings.API_TOKEN_TTL_DAYS = 90
    api = testing.api_as(alice)
    token = ApiToken.objects.get(user=alice)
    assert token.expires_at - timezone.now() > timedelta(days=settings.API_TOKEN_TTL_DAYS - 1)
    assert api.get("/me").status_code == 200
    with time_machine.travel(token.expires_at + timedelta(seconds=1)):
        answer = api.get("/me")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "Bearer"


def test_pl06_token_last_use_written_once_a_minute(alice):
    api = testing.api_as(alice)
    first = ApiToken.objects.get(user=alice).last_used_at
    assert first is not None  # signing in for it was its first use
    api.get("/me")
    assert ApiToken.objects.get(user=alice).last_used_at == first
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        api.get("/me")
    assert ApiToken.objects.get(user=alice).last_used_at > first


def test_pl06_tokens_listed_and_revoked(alice, bob):
    api = testing.api_as(alice)
    other = testing.api_as(alice)
    bobs = testing.api_as(bob)
    listed = api.get("/me/tokens")
    assert listed.status_code == 200
    items = listed.json()
    assert len(items) == 2
    assert [item["current"] for item in items].count(True) == 1
    assert all("token" not in item and "key_hash" not in item for item in items)
    other_id = next(item["id"] for item in items if not item["current"])
    # bob cannot see nor revoke alice's token
    assert bobs.delete(f"/me/tokens/{other_id}").status_code == 404
    assert other.get("/me").status_code == 200
    assert api.delete(f"/me/tokens/{other_id}").status_code == 204
    assert other.get("/me").status_code == 401
    assert [item["id"] for item in api.get("/me/tokens").json()] != [other_id]
    assert len(api.get("/me/tokens").json()) == 1


def test_pl06_token_revoked_by_password_reset(alice):
    api = testing.api_as(alice)
    browser = testing.signed_in(Client(), alice)
    assert UserSession.objects.filter(user=alice).count() == 1
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    token = default_token_generator.make_token(alice)
    client = Client()
    page = client.get(reverse("web:password_reset_confirm", args=[uid, token]), follow=True)
    assert page.status_code == 200
    new = "another-long-passphrase-42"
    page = client.post(page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert page.status_code == 302
    assert api.get("/me").status_code == 401
    assert UserSession.objects.filter(user=alice).count() == 0
    assert browser.get(reverse("web:dashboard")).status_code == 302
    assert _token_call(Client(), "alice@example.fr", new).status_code == 201
