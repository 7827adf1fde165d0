"""Idempotent POSTs on the API (header `Idempotency-Key`).

The first request with a key commits the key's row on its own, marked as
running, then runs the view outside any transaction of ours (the services
own theirs, and a payment provider is never called inside one), then stores
the answer in the row. A repeat finds the row: it replays the stored answer,
or, while the first is still running, waits for it and then replays it. A
server error deletes the row, so a retry runs afresh.
"""

import hashlib
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import IdempotencyRecord
from .problems import (
    UNREADABLE_REQUEST_ERRORS,
    problem_response,
    request_too_big_response,
    unreadable_request_response,
)

REPLAY_WINDOW = timedelta(hours=24)
# How long a repeat waits for the first request with its key to finish.
WAIT_FOR_FIRST_SECONDS = 30.0
WAIT_STEP_SECONDS = 0.05
API_PREFIX = "/api/"
# Answers never stored: a new bearer token is kept hashed only, never in clear.
NOT_STORED = ("/api/v1/tokens",)


def _scope(request: HttpRequest) -> str:
    # Who is asking is the API's business (its bearer tokens); core only
    # receives the answer, through the function named in the settings.
    scope_of: Callable[[HttpRequest], str] = import_string(settings.IDEMPOTENCY_SCOPE)
    return scope_of(request)


def _fingerprint(request: HttpRequest, body: bytes) -> str:
    """What makes two requests the same: the path and the content. A form
    upload is compared field by field and file by file, not byte by byte: a
    client retrying it picks a new multipart boundary."""
    digest = hashlib.sha256(request.path.encode() + b"\n")
    if request.content_type == "multipart/form-data":
        for name, values in sorted(request.POST.lists()):
            digest.update(f"field:{name}={values!r}\n".encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                content = hashlib.sha256()
                for chunk in upload.chunks():
                    content.update(chunk)
                upload.seek(0)
                digest.update(f"file:{name}:{upload.name}:{content.hexdigest()}\n".encode())
    else:
        digest.update(body)
    return digest.hexdigest()


def key_first_use(*, scope: str, key: str) -> bool:
    """Record `key` as used within `scope`; False when it already was.

    For a page form's one-time token: called inside the caller's transaction,
    the record stays only if the caller's work commits, so a refused request
    may be sent again with the same token.
    """
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(scope=scope, key=key, fingerprint="", created_at=timezone.now())
    except IntegrityError:
        return False
    return True


def key_remember(*, scope: str, key: str, result: str) -> None:
    """Keep what the first use of `key` made (an id), in the same transaction
    as that work, for `key_result` to hand to a repeat."""
    IdempotencyRecord.objects.filter(scope=scope, key=key).update(body=result.encode())


def key_result(*, scope: str, key: str) -> str | None:
    """What the first use of `key` made, once its work committed; None before."""
    body = IdempotencyRecord.objects.filter(scope=scope, key=key).values_list("body", flat=True).first()
    return bytes(body).decode() if body else None


def page_scope(user_id: int) -> str:
    """The scope of a signed-in user's page-form tokens."""
    return f"page:user:{user_id}"


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if (
            request.method != "POST"
            or not key
            or not request.path.startswith(API_PREFIX)
            or request.path.rstrip("/") in NOT_STORED
        ):
            return self.get_response(request)
        if len(key) > 255:
            return problem_response(
                status=422,
                code="invalid",
                title="The input is not valid.",
                errors=[{"field": "Idempotency-Key", "message": "At most 255 characters."}],
            )
        try:
            # A form upload is read as Django streams it (files to disk past
            # FILE_UPLOAD_MAX_MEMORY_SIZE), never whole into memory.
            body = b"" if request.content_type == "multipart/form-data" else request.body
            fingerprint = _fingerprint(request, body)
        except RequestDataTooBig:
            return request_too_big_response()
        except UNREADABLE_REQUEST_ERRORS as exc:
            return unreadable_request_response(exc)
        scope = _scope(request)
        now = timezone.now()
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.filter(scope=scope, key=key, created_at__lt=now - REPLAY_WINDOW).delete()
                record = IdempotencyRecord.objects.create(scope=scope, key=key, fingerprint=fingerprint, created_at=now)
        except IntegrityError:
            return self._replay(scope, key, fingerprint)
        try:
            response = self.get_response(request)
        except BaseException:
            record.delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            record.delete()
            return response
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "")
        record.body = response.content
        record.save(update_fields=["status_code", "content_type", "body"])
        return response

    def _replay(self, scope: str, key: str, fingerprint: str) -> HttpResponse:
        deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
        record = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        while record is not None and record.status_code is None and record.fingerprint == fingerprint:
            if time.monotonic() > deadline:
                break
            time.sleep(WAIT_STEP_SECONDS)
            record = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if record is None:
            # The first request failed and let go of the key: this one may try again.
            return problem_response(
                status=409, code="request_in_progress", title="The first request with this key failed; retry it."
            )
        if record.fingerprint != fingerprint:
            return problem_response(
                status=422,
                code="idempotency_key_reused",
                title="This Idempotency-Key was used with another request.",
                errors=[{"field": "Idempotency-Key", "message": "This key was used with another request."}],
            )
        if record.status_code is None:
            return problem_response(
                status=409, code="request_in_progress", title="The first request with this key is still running."
            )
        response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
        response["Idempotent-Replayed"] = "true"
        return response
