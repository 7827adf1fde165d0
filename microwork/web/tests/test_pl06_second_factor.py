"""PL06: staff reach their pages and the admin only with a second factor (a
TOTP app, django-otp); anyone changing their password ends their other
sessions and API tokens."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from microwork import testing
from microwork.testing import shot
from microwork.web.admin_site import StaffAdminSite

SECOND_FACTOR = reverse("web:second_factor")


def _password_only(user) -> Client:
    """Signed in through the sign-in page with the password alone."""
    client = Client()
    answer = client.post(reverse("web:login"), {"username": user.email, "password": testing.PASSWORD})
    assert answer.status_code == 302
    return client


def _code_for_secret(secret: str) -> str:
    """What an authenticator app shows for the key typed by hand."""
    import base64

    raw = secret.replace(" ", "")
    key = base64.b32decode(raw + "=" * (-len(raw) % 8))
    return f"{TOTP(key).token():06d}"


def test_pl06_staff_needs_second_factor(staff, alice):
    client = _password_only(staff)
    # every staff page and the admin send an unverified session to the second factor
    for path in (reverse("web:staff_documents"), reverse("web:dashboard"), "/admin/", "/admin/accounts/user/"):
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer["Location"].startswith(SECOND_FACTOR), path
        assert f"next={path.replace('/', '%2F')}" in answer["Location"]
    # a POST does nothing but the same redirect; htmx is told where to go
    assert client.post(reverse("web:staff_documents")).status_code == 302
    htmx = client.get(reverse("web:staff_documents"), HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"].startswith(SECOND_FACTOR)
    # the API's bearer tokens are not sessions: staff's token works as before
    assert testing.api_as(staff).get("/staff/review-queue").status_code == 200
    # a tasker signed in with a password is not asked anything
    assert _password_only(alice).get(reverse("web:dashboard")).status_code == 200


def test_pl06_staff_enrol_an_app_at_first_sign_in_then_type_its_codes(staff):
    client = _password_only(staff)
    page = client.get(f"{SECOND_FACTOR}?next=/admin/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and 'data-testid="totp-qr"' in html
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    device = TOTPDevice.objects.get(user=staff)
    assert not device.confirmed
    # a wrong code is refused on the form and changes nothing
    wrong = client.post(SECOND_FACTOR, {"code": "000000" if _code_for_secret(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and "has-error" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    # guessing is slowed down: right after a wrong code, even the right one waits
    assert client.post(SECOND_FACTOR, {"code": _code_for_secret(secret)}).status_code == 200
    # a few seconds later, the code the app shows for that key sets it up and verifies the session
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        answer = client.post(SECOND_FACTOR, {"code": _code_for_secret(secret), "next": "/admin/"})
        assert answer.status_code == 302 and answer["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("web:staff_documents")).status_code == 200
    # the next sign-in asks for a code, without a QR code; a code is never taken twice
    again = _password_only(staff)
    html = again.get(SECOND_FACTOR).content.decode()
    assert "totp-qr" not in html and "totp-secret" not in html
    used = _code_for_secret(secret)
    assert again.post(SECOND_FACTOR, {"code": used}).status_code == 200
    assert again.get(reverse("web:staff_documents")).status_code == 302
    device.refresh_from_db()
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        assert again.post(SECOND_FACTOR, {"code": testing.totp_code(device)}).status_code == 302
    assert again.get(reverse("web:staff_documents")).status_code == 200


def test_pl06_second_factor_never_sends_elsewhere(staff):
    client = _password_only(staff)
    client.get(SECOND_FACTOR)
    device = TOTPDevice.objects.get(user=staff)
    answer = client.post(SECOND_FACTOR, {"code": testing.totp_code(device), "next": "https://evil.example/"})
    assert answer.status_code == 302 and answer["Location"] == reverse("web:dashboard")


def test_pl06_admin_site_refuses_a_session_without_second_factor(staff):
    request = RequestFactory().get("/admin/")
    request.user = staff  # no django-otp verification on this request
    assert not StaffAdminSite().has_permission(request)
    request.user.is_verified = lambda: True
    assert StaffAdminSite().has_permission(request)


def test_pl06_password_change_ends_other_sessions_and_tokens(alice):
    laptop = _password_only(alice)
    phone = _password_only(alice)
    api = testing.api_as(alice)
    assert api.get("/me").status_code == 200
    url = reverse("web:password_change")
    assert "mot-de-passe" in laptop.get(reverse("web:security")).content.decode()
    # a wrong current password changes nothing
    wrong = laptop.post(
        url, {"old_password": "nope", "new_password1": "a-new-Passw0rd!", "new_password2": "a-new-Passw0rd!"}
    )
    assert wrong.status_code == 200 and "has-error" in wrong.content.decode()
    assert phone.get(reverse("web:dashboard")).status_code == 200
    assert api.get("/me").status_code == 200
    # the right one: this browser stays, the others and the tokens end
    answer = laptop.post(
        url, {"old_password": testing.PASSWORD, "new_password1": "a-new-Passw0rd!", "new_password2": "a-new-Passw0rd!"}
    )
    assert answer.status_code == 302 and answer["Location"] == reverse("web:security")
    assert laptop.get(reverse("web:dashboard")).status_code == 200
    assert phone.get(reverse("web:dashboard")).status_code == 302
    assert api.get("/me").status_code == 401
    # the security page still lists this browser, under its new session key
    assert list(alice.web_sessions.values_list("session_key", flat=True)) == [laptop.session.session_key]
    alice.refresh_from_db()
    assert alice.check_password("a-new-Passw0rd!")


@pytest.mark.browser
def test_pl06_staff_enrol_their_app_in_a_browser(page, live_server, staff):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse e-mail").fill(staff.email)
    page.get_by_label("Mot de passe").fill(testing.PASSWORD)
    page.locator("main").get_by_role("button", name="Connexion").click()
    # the password alone leads to the second factor, with a QR code and the key
    expect(page.get_by_role("heading", name="Deuxième facteur")).to_be_visible()
    expect(page.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    shot(page, "pl06-second-factor")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label(re.compile("Code à 6 chiffres")).fill(_code_for_secret(secret))
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_role("heading", name=re.compile("^Bonjour"))).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("authentification est configurée")
    page.goto(f"{live_server.url}/admin/")
    expect(
        page.get_by_role("heading", name=re.compile("Administration|Site administration|administration"))
    ).to_be_visible()
