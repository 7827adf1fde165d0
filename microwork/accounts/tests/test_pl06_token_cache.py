"""PL06 with the tokens' lookups kept in the shared cache (issue 12,
accounts/services/tokens.py): a kept token costs no query, and whatever ends
or changes a token or its user is seen at the very next request, as without
the cache. Real commits here: the kept lookups are forgotten once a write commits."""

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from microwork import testing
from microwork.accounts.models import ApiToken
from microwork.accounts.services import token_revoke, user_credentials_changed, user_language_set
from microwork.accounts.services.tokens import token_cached, token_keep, token_stamp

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kept(settings: Any) -> None:
    settings.API_TOKEN_CACHE_SECONDS = 300


def _queries(api: testing.ApiClient) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/me").status_code == 200
    return len(queries.captured_queries)


def test_pl06_token_cache_a_kept_token_costs_no_query(alice, settings):
    api = testing.api_as(alice)
    settings.API_TOKEN_CACHE_SECONDS = 0
    without = _queries(api)
    settings.API_TOKEN_CACHE_SECONDS = 300
    assert _queries(api) == without  # the first call keeps it
    assert _queries(api) == without - 1


def test_pl06_token_cache_revoked_token_ends_at_once(alice, bob, kept):
    api, other = testing.api_as(alice), testing.api_as(alice)
    assert other.get("/me").status_code == 200  # kept
    other_id = next(item["id"] for item in api.get("/me/tokens").json() if not item["current"])
    assert api.delete(f"/me/tokens/{other_id}").status_code == 204
    assert other.get("/me").status_code == 401
    assert api.get("/me").status_code == 200
    # revoked by the service itself
    token_revoke(token=ApiToken.objects.get(user=alice, revoked_at__isnull=True))
    assert api.get("/me").status_code == 401


def test_pl06_token_cache_credentials_change_and_closure_end_it(alice, bob, kept):
    api = testing.api_as(alice)
    assert api.get("/me").status_code == 200
    user_credentials_changed(user=alice)
    assert api.get("/me").status_code == 401
    # a closed account (its row saved, its tokens left as they were)
    bobs = testing.api_as(bob)
    assert bobs.get("/me").status_code == 200
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    assert bobs.get("/me").status_code == 401


def test_pl06_token_cache_a_changed_user_is_seen_at_once(alice, kept):
    api = testing.api_as(alice)
    assert api.get("/me").json()["display_name"] != "Alice Renamed"
    alice.display_name = "Alice Renamed"
    alice.save(update_fields=["display_name"])
    assert api.get("/me").json()["display_name"] == "Alice Renamed"
    # a change written without a save (an UPDATE of one column)
    user_language_set(user=alice, language="en" if alice.language != "en" else "fr")
    assert token_cached(ApiToken.objects.get(user=alice).key_hash)[0] is None


def test_pl06_token_cache_expiry_is_checked_at_each_request(alice, kept):
    api = testing.api_as(alice)
    assert api.get("/me").status_code == 200
    token = ApiToken.objects.get(user=alice)
    assert token_cached(token.key_hash)[0] is not None
    with time_machine.travel(token.expires_at + timedelta(seconds=1)):
        assert api.get("/me").status_code == 401


def test_pl06_token_cache_a_lookup_older_than_a_write_is_never_believed(alice, kept):
    api = testing.api_as(alice)
    token = ApiToken.objects.get(user=alice)
    # a lookup reads its stamp, then the database...
    stamp = token_stamp(token.key_hash)
    read = ApiToken.objects.select_related("user").get(pk=token.pk)
    # ...a revocation commits meanwhile...
    token_revoke(token=token)
    # ...and the lookup keeps what it read: no later request believes it
    token_keep(read, stamp)
    assert token_cached(token.key_hash)[0] is None
    assert api.get("/me").status_code == 401


def test_pl06_token_cache_down_the_database_answers(alice, kept):
    api = testing.api_as(alice)
    with mock.patch.object(cache, "get_many", side_effect=ConnectionError("down")):
        assert api.get("/me").status_code == 200
    with mock.patch.object(cache, "delete_many", side_effect=ConnectionError("down")):
        alice.display_name = "Still saved"
        alice.save(update_fields=["display_name"])
    alice.refresh_from_db()
    assert alice.display_name == "Still saved"


def test_pl06_token_cache_keeps_no_password_hash(alice, kept):
    api = testing.api_as(alice)
    assert api.get("/me").status_code == 200
    token = token_cached(ApiToken.objects.get(user=alice).key_hash)[0]
    assert token is not None and token.user.pk == alice.pk
    assert "password" not in token.user.__dict__
    # read from the database when asked for, never from the cache
    assert token.user.password == alice.password
