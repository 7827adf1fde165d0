"""Idempotent POSTs on the API (header `Idempotency-Key`).

The first request with a key runs inside one transaction that starts by
inserting the key's row; the answer is stored in that row before commit. A
repeat arriving at the same moment blocks on the row's unique index until the
first commits (PostgreSQL), or waits for the write lock (SQLite), then finds
the row and replays the stored answer. A server error rolls everything back,
key included, so a retry runs afresh.
"""

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import IdempotencyRecord
from .problems import (
    UNREADABLE_REQUEST_ERRORS,
    problem_response,
    request_too_big_response,
    unreadable_request_response,
)

REPLAY_WINDOW = timedelta(hours=24)
API_PREFIX = "/api/"
# Answers never stored: a new bearer token is kept hashed only, never in clear.
NOT_STORED = ("/api/v1/tokens",)


class _ServerError(Exception):
    def __init__(self, response: HttpResponse):
        self.response = response


def _scope(request: HttpRequest) -> str:
    from microwork.api.auth import bearer_user

    user = bearer_user(request)
    return f"user:{user.pk}" if user is not None else "anonymous"


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
            body = request.body
        except RequestDataTooBig:
            return request_too_big_response()
        try:
            fingerprint = _fingerprint(request, body)
        except UNREADABLE_REQUEST_ERRORS as exc:
            return unreadable_request_response(exc)
        scope = _scope(request)
        now = timezone.now()
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.filter(scope=scope, key=key, created_at__lt=now - REPLAY_WINDOW).delete()
                try:
                    with transaction.atomic():
                        record = IdempotencyRecord.objects.create(
                            scope=scope, key=key, fingerprint=fingerprint, created_at=now
                        )
                except IntegrityError:
                    return self._replay(scope, key, fingerprint)
                response = self.get_response(request)
                if response.status_code >= 500 or getattr(response, "streaming", False):
                    raise _ServerError(response)
                record.status_code = response.status_code
                record.content_type = response.get("Content-Type", "")
                record.body = response.content
                record.save(update_fields=["status_code", "content_type", "body"])
                return response
        except _ServerError as failed:
            return failed.response

    def _replay(self, scope: str, key: str, fingerprint: str) -> HttpResponse:
        record = IdempotencyRecord.objects.get(scope=scope, key=key)
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
