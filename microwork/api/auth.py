"""Bearer tokens: looked up by the SHA-256 of the key, never by hashing a password."""

from typing import Any, cast

from django.http import HttpRequest
from ninja.security import HttpBearer

from microwork.accounts.models import User
from microwork.accounts.services import user_by_token

# Kept here for the missions app until it imports `microwork.accounts.roles`.

_CACHE_ATTR = "_microwork_bearer"


def bearer_user(request: HttpRequest) -> User | None:
    """The user behind the request's bearer token, looked up once per request."""
    if not hasattr(request, _CACHE_ATTR):
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        found = user_by_token(key.strip()) if scheme.lower() == "bearer" and key.strip() else None
        setattr(request, _CACHE_ATTR, found)
    found = getattr(request, _CACHE_ATTR)
    if found is None:
        return None
    user, token = found
    request.api_token = token  # type: ignore[attr-defined]
    return cast(User, user)


def idempotency_scope(request: HttpRequest) -> str:
    """Whose idempotency keys a request's key is compared with (IDEMPOTENCY_SCOPE)."""
    user = bearer_user(request)
    return f"user:{user.pk}" if user is not None else "anonymous"


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return bearer_user(request)
