"""POST /api/v1/tokens, bearer authentication and revocation."""

from unittest import mock

import pytest
from django.contrib.auth import hashers

from microwork.accounts.models import ApiToken
from microwork.api.tests.helpers import assert_problem
from microwork.testing import PASSWORD, ApiClient, api_as

pytestmark = pytest.mark.django_db


def test_token_is_issued_for_right_credentials(anon, alice):
    # when alice signs in with her email (any case) and password
    response = anon.post("/tokens", {"email": "  ALICE@example.fr ", "password": PASSWORD})
    # then she gets a token, stored only as a hash
    assert response.status_code == 201, response.content
    token = response.json()["token"]
    assert isinstance(token, str) and len(token) >= 32
    stored = ApiToken.objects.get(user=alice)
    assert stored.key_hash == ApiToken.hash(token) and token not in stored.key_hash
    # and the token works as a Bearer token
    me = ApiClient(client=anon.client, token=token).get("/me")
    assert me.status_code == 200
    assert me.json()["email"] == "alice@example.fr"
    assert me.json()["phone_verified"] is True


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "alice@example.fr", "password": "wrong-password-123"},
        {"email": "nobody@example.fr", "password": PASSWORD},
        {"email": "alice@example.fr", "password": ""},
    ],
)
def test_wrong_credentials_are_refused(anon, alice, credentials):
    response = anon.post("/tokens", credentials)
    assert_problem(response, 401, "invalid_credentials")
    assert not ApiToken.objects.exists()


def test_inactive_user_gets_no_token(anon, alice):
    # given alice's account is deactivated
    alice.is_active = False
    alice.save()
    # when she signs in with the right password
    response = anon.post("/tokens", {"email": "alice@example.fr", "password": PASSWORD})
    # then she is refused
    assert_problem(response, 401, "invalid_credentials")


def test_token_of_a_deactivated_user_stops_working(alice):
    api = api_as(alice)
    assert api.get("/me").status_code == 200
    alice.is_active = False
    alice.save()
    assert_problem(api.get("/me"), 401, "unauthenticated")


def test_revoking_the_current_token(alice):
    # given alice holds two tokens
    api = api_as(alice)
    other = api_as(alice)
    # when she revokes the first
    response = api.delete("/tokens/current")
    # then it answers 204 and the token no longer opens anything
    assert response.status_code == 204
    assert_problem(api.get("/me"), 401, "unauthenticated")
    assert_problem(api.delete("/tokens/current"), 401, "unauthenticated")
    # while her other token still works
    assert other.get("/me").status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Bearer garbage", "Basic YWxpY2U6cGFzcw==", "Token abc", "bearer  "],
)
def test_missing_or_bad_authorization_is_401_problem(anon, alice, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = anon.client.get("/api/v1/me", **extra)
    assert_problem(response, 401, "unauthenticated")


def test_bearer_scheme_is_case_insensitive(alice):
    api = api_as(alice)
    response = api.client.get("/api/v1/me", HTTP_AUTHORIZATION=f"bearer {api.token}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "payload", [{}, {"email": "alice@example.fr"}, {"password": PASSWORD}, {"email": 1, "password": 2}]
)
def test_token_request_with_missing_fields_is_422(anon, alice, payload):
    assert_problem(anon.post("/tokens", payload), 422, "invalid")


def test_token_auth_does_not_hash_a_password(alice, django_assert_max_num_queries):
    # given alice holds a token
    api = api_as(alice)

    def refuse(*args, **kwargs):
        raise AssertionError("a password was hashed on a token request")

    # when she reads /me with it, with every password hashing path booby-trapped
    with (
        mock.patch.object(hashers, "check_password", refuse),
        mock.patch.object(hashers, "make_password", refuse),
        mock.patch("django.contrib.auth.base_user.check_password", refuse),
        mock.patch("django.contrib.auth.base_user.make_password", refuse),
        mock.patch.object(hashers.MD5PasswordHasher, "verify", refuse),
        mock.patch.object(hashers.MD5PasswordHasher, "encode", refuse),
        django_assert_max_num_queries(2),
    ):
        response = api.get("/me")
    # then it answers, with one lookup of the token and its user
    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.fr"
