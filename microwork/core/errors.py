"""Broken business rules, each with its stable API code.

Services raise these; the API turns them into problem+json and pages show
them as form errors.
"""

from django.http import Http404
from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    status = 400
    code = "bad_request"
    title = _("The request cannot be carried out.")

    def __init__(self, detail: str | None = None, *, code: str | None = None, field: str | None = None):
        self.detail = str(detail) if detail is not None else str(self.title)
        if code is not None:
            self.code = code
        self.field = field
        super().__init__(self.detail)


class InvalidInput(ApplicationError):
    """The input itself is refused, whatever the state of things (422)."""

    status = 422
    code = "invalid"
    title = _("The input is not valid.")


class Conflict(ApplicationError):
    """Refused because of the current state of things (409)."""

    status = 409
    code = "conflict"
    title = _("The action conflicts with the current state.")


class Forbidden(ApplicationError):
    """The role or the account may not do this (403)."""

    status = 403
    code = "forbidden"
    title = _("You may not do this.")


class NotFound(ApplicationError, Http404):
    """Unknown, or another user's: never reveal which (404). Also an Http404,
    so a page that calls an access helper answers Django's own 404."""

    status = 404
    code = "not_found"
    title = _("Not found.")


class Unauthenticated(ApplicationError):
    status = 401
    code = "unauthenticated"
    title = _("Authentication is required.")


class TooManyRequests(ApplicationError):
    status = 429
    code = "too_many_requests"
    title = _("Too many requests; try again later.")


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    title = _("The balance is too low for this.")
