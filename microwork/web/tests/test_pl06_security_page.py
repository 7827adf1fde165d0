"""PL06: the security page lists the account's browsers and API tokens, and revokes them."""

from django.test import Client
from django.urls import reverse

from microwork import testing
from microwork.accounts.models import UserSession


def _sign_in(user_agent: str) -> Client:
    """Signed in through the sign-in page, as a browser does."""
    client = Client(HTTP_USER_AGENT=user_agent)
    page = client.post(reverse("web:login"), {"username": "alice@example.fr", "password": testing.PASSWORD})
    assert page.status_code == 302
    return client


def test_pl06_security_page_lists_and_revokes_sessions_and_tokens(alice, bob):
    phone = _sign_in("Firefox sur Android")
    laptop = _sign_in("Chromium sur Linux")
    api = testing.api_as(alice)
    assert "tableau-de-bord/securite/" in laptop.get(reverse("web:dashboard")).content.decode()
    page = laptop.get(reverse("web:security"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Firefox sur Android" in html and "Chromium sur Linux" in html
    assert "Ce navigateur" in html and "Révoquer" in html
    assert api.token[:8] in html and api.token not in html

    phone_session = UserSession.objects.get(user=alice, user_agent="Firefox sur Android")
    # bob cannot end alice's session
    other = testing.signed_in(Client(), bob)
    assert other.post(reverse("web:security_session_end", args=[phone_session.pk])).status_code == 404
    assert phone.get(reverse("web:dashboard")).status_code == 200
    # a GET changes nothing; the POST (with its CSRF token, as the page sends it) ends it
    assert laptop.get(reverse("web:security_session_end", args=[phone_session.pk])).status_code == 405
    assert laptop.post(reverse("web:security_session_end", args=[phone_session.pk])).status_code == 302
    assert phone.get(reverse("web:dashboard")).status_code == 302  # signed out
    assert laptop.get(reverse("web:dashboard")).status_code == 200

    token_id = alice.api_tokens.get().pk
    assert api.get("/me").status_code == 200
    assert laptop.post(reverse("web:security_token_revoke", args=[token_id])).status_code == 302
    assert api.get("/me").status_code == 401


def test_pl06_security_page_forms_carry_csrf(alice):
    client = Client(enforce_csrf_checks=True)
    testing.signed_in(client, alice)
    testing.api_as(alice)
    html = client.get(reverse("web:security")).content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    token_id = alice.api_tokens.get().pk
    assert client.post(reverse("web:security_token_revoke", args=[token_id])).status_code == 403
