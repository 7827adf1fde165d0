"""Speaking to the platform as a user does: the JSON API, the pages'
test client (signed in, past a second factor, in English), and calls
released together in threads."""

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from microwork.accounts.models import User
from microwork.accounts.services import token_create


@dataclass
class ApiClient:
    """Speaks to /api/v1 as one user (or anonymously), JSON in and out."""

    client: Client
    token: str | None = None

    def _headers(self, idempotency_key: str | None) -> dict[str, Any]:
        headers: dict[str, Any] = {}
        if self.token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        if idempotency_key:
            headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        return headers

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, **self._headers(None))

    def post(self, path: str, body: Any = None, *, key: str | None = None, raw: str | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(f"/api/v1{path}", data, content_type="application/json", **self._headers(key))

    def put(self, path: str, body: Any = None) -> Any:
        data = json.dumps(body if body is not None else {})
        return self.client.put(f"/api/v1{path}", data, content_type="application/json", **self._headers(None))

    def upload(self, path: str, data: dict[str, Any], *, key: str | None = None) -> Any:
        return self.client.post(f"/api/v1{path}", data, **self._headers(key))

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/v1{path}", **self._headers(None))


def api_as(user: User | None) -> ApiClient:
    return ApiClient(client=Client(), token=token_create(user=user) if user else None)


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread and database connection, all released
    at once by a barrier; returns each call's result, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = calls[index]()
        except BaseException as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def signed_in(client: Client, user: User) -> Client:
    """The test client, signed in as `user`; staff also passed their second
    factor (PL06), as they would have before reaching any page."""
    client.force_login(user)
    if user.is_staff_member:
        second_factor_passed(client, user)
    return client


def totp_device(user: User) -> TOTPDevice:
    """The staff member's confirmed authenticator app, set up if missing."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def second_factor_passed(client: Client, user: User) -> None:
    """Mark the client's session as verified by the user's TOTP device, as
    django-otp does after a right code."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()


def totp_code(device: TOTPDevice) -> str:
    """The code the authenticator app shows now, or the next one when this one
    was used already (django-otp accepts one step of drift, never a code twice)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if device.last_t is not None and totp.t() <= device.last_t:
        totp.time = device.t0 + (device.last_t + 1) * device.step
    return f"{totp.token():0{device.digits}d}"


def english(client: Client) -> Client:
    """The test client, with English chosen (pages speak French by default)."""
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client
