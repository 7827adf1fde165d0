"""The one NinjaAPI at /api/v1: auth, error handling, and each app's router."""

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Router
from ninja.errors import AuthenticationError, HttpError, ValidationError

from microwork.core.errors import ApplicationError, TooManyRequests
from microwork.core.problems import problem_response, request_too_big_response, unreadable_request_response

from .auth import TokenAuth
from .openapi import ProblemNinjaAPI

logger = logging.getLogger(__name__)

api = ProblemNinjaAPI(
    title="Microwork API",
    version="1",
    description="Paid micro-missions and packaged expert services. Money is in integer euro cents.",
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _field(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc]
    # ninja's loc starts with where the value came from; a field may itself be
    # called "file" or "path", so only that first part is dropped.
    if parts and parts[0] in {"body", "query", "path", "form", "file", "header", "cookie"}:
        parts = parts[1:]
    # ninja nests the body under the parameter's name; keep the field itself.
    if len(parts) > 1 and parts[0] in {"data", "params", "filters", "page", "payload"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(ApplicationError)
def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    extra: dict[str, Any] = {}
    if getattr(exc, "errors", None):
        extra["errors"] = exc.errors  # type: ignore[attr-defined]
    elif (exc.status == 422 and exc.code == "invalid") or exc.field:
        extra["errors"] = [{"field": exc.field or "body", "message": exc.detail}]
    response = problem_response(status=exc.status, code=exc.code, title=str(exc.title), detail=exc.detail, **extra)
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": _field(error.get("loc", ())), "message": str(error.get("msg", "Invalid value."))}
        for error in exc.errors
    ]
    return problem_response(
        status=422,
        code="invalid",
        title="The input is not valid.",
        detail="; ".join(f"{e['field']}: {e['message']}" for e in errors),
        errors=errors,
    )


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        status=401, code="unauthenticated", title="A valid bearer token is required.", detail=str(exc)
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # ninja's word for a body it cannot parse: a refusal of the input.
        return problem_response(
            status=422,
            code="invalid",
            title="The input is not valid.",
            detail=exc.message,
            errors=[{"field": "body", "message": exc.message}],
        )
    codes = {
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        429: "too_many_requests",
    }
    code = codes.get(exc.status_code, "error")
    return problem_response(status=exc.status_code, code=code, title=exc.message)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(status=404, code="not_found", title="Not found.")


@api.exception_handler(RequestDataTooBig)
def on_request_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return request_too_big_response()


@api.exception_handler(MultiPartParserError)
@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def on_unreadable_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    return unreadable_request_response(exc)


@api.exception_handler(Exception)
def on_server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    return problem_response(status=500, code="server_error", title="Something went wrong on our side.")


def _mount() -> None:
    from microwork.accounts.api import router as accounts_router
    from microwork.accounts.api import staff_router as accounts_staff_router
    from microwork.accounts.api import tokens_router
    from microwork.billing.api import router as billing_router
    from microwork.gigs.api import router as gigs_router
    from microwork.gigs.api import staff_router as gigs_staff_router
    from microwork.ledger.api import router as ledger_router
    from microwork.missions.api import router as missions_router
    from microwork.missions.api import staff_router as missions_staff_router
    from microwork.missions.batch_api import router as batches_router
    from microwork.missions.bonus_api import router as bonuses_router
    from microwork.moderation.api import router as moderation_router
    from microwork.moderation.api import staff_router as moderation_staff_router
    from microwork.ops.api import router as ops_router
    from microwork.ops.experts_api import router as experts_router
    from microwork.ops.experts_api import staff_router as experts_staff_router
    from microwork.payouts.api import router as payouts_router
    from microwork.payouts.api import staff_router as payouts_staff_router
    from microwork.webhooks.api import router as webhooks_router

    api.add_router("/tokens", tokens_router)
    api.add_router("/", accounts_router)
    api.add_router("/", ops_router)
    api.add_router("/", experts_router)
    api.add_router("/", ledger_router)
    api.add_router("/", billing_router)
    api.add_router("/", missions_router)
    api.add_router("/", bonuses_router)
    api.add_router("/", batches_router)
    api.add_router("/staff", accounts_staff_router)
    api.add_router("/staff", experts_staff_router)
    api.add_router("/", payouts_router)
    api.add_router("/staff", missions_staff_router)
    api.add_router("/staff", payouts_staff_router)
    api.add_router("/", gigs_router)
    api.add_router("/staff", gigs_staff_router)
    api.add_router("/", moderation_router)
    api.add_router("/staff", moderation_staff_router)
    api.add_router("/", webhooks_router)

    # Last: an unknown path under /api/v1 is a problem+json 404 too, not Django's HTML page.
    fallback = Router()

    @fallback.api_operation(
        ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:unknown}", auth=None, include_in_schema=False
    )
    def unknown_path(request: HttpRequest, unknown: str) -> HttpResponse:
        raise Http404

    api.add_router("/", fallback)


_mount()
