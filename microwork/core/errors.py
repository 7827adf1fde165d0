"""Broken business rules, each with its stable API code.

Services raise these; the API turns them into problem+json and pages show
them as form errors.
"""

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.http import Http404
from django.utils.translation import gettext_lazy as _

T = TypeVar("T")


class ApplicationError(Exception):
    """A problem: its HTTP status, stable code and title; a subclass names its
    own in its class line, `class Gone(ApplicationError, status=410, code="gone")`."""

    status = 400
    code = "bad_request"
    title = _("The request cannot be carried out.")

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None, title: Any = None) -> None:
        super().__init_subclass__()
        for name, value in (("status", status), ("code", code), ("title", title)):
            if value is not None:
                setattr(cls, name, value)

    def __init__(self, detail: str | None = None, *, code: str | None = None, field: str | None = None):
        self.detail = str(detail) if detail is not None else str(self.title)
        if code is not None:
            self.code = code
        self.field = field
        #: Other input errors found with this one, so a person fixes them all at once.
        self.also: list[ApplicationError] = []
        super().__init__(self.detail)


class InputChecks:
    """Runs the input checks of one request and keeps every refusal, so a form
    shows all its errors in one answer; `done()` raises the first (its status
    and code answer the request), carrying the others and the `errors` list."""

    def __init__(self) -> None:
        self.problems: list[ApplicationError] = []

    def check(self, step: Callable[[], T]) -> T | None:
        try:
            return step()
        except ApplicationError as exc:
            self.problems.append(exc)
            return None

    def done(self) -> None:
        if not self.problems:
            return
        first, *others = self.problems
        first.also = others
        if others:
            first.errors = [  # type: ignore[attr-defined]
                {"field": problem.field or "body", "message": problem.detail} for problem in self.problems
            ]
        raise first


class InvalidInput(ApplicationError, status=422, code="invalid", title=_("The input is not valid.")):
    """The input itself is refused, whatever the state of things (422)."""


class Conflict(ApplicationError, status=409, code="conflict", title=_("The action conflicts with the current state.")):
    """Refused because of the current state of things (409)."""


class Forbidden(ApplicationError, status=403, code="forbidden", title=_("You may not do this.")):
    """The role or the account may not do this (403)."""


class NotFound(ApplicationError, Http404, status=404, code="not_found", title=_("Not found.")):
    """Unknown, or another user's: never reveal which (404). Also an Http404,
    so a page that calls an access helper answers Django's own 404."""


class Unauthenticated(ApplicationError, status=401, code="unauthenticated", title=_("Authentication is required.")):
    pass


class TooManyRequests(
    ApplicationError, status=429, code="too_many_requests", title=_("Too many requests; try again later.")
):
    """A rate limit (429); `retry_after` is the seconds to wait (the API's Retry-After)."""

    def __init__(self, detail: str | None = None, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(detail, **kwargs)
        self.retry_after = max(1, int(retry_after + 0.999)) if retry_after is not None else 60


class InsufficientFunds(Conflict, code="insufficient_funds", title=_("The balance is too low for this.")):
    pass


def required_text(text: str | None, message: Any, *, field: str = "reason") -> str:
    """`text` without its surrounding blanks; an empty one is refused with
    `message`, on `field` (a reason given to a refusal, a failure, a dispute)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(message, field=field)
    return text


def numbered(number: int, errors: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """A file's row's errors as the answer lists them: field "row 2: reward_cents"."""
    return [{"field": f"row {number}: {error['field']}", "message": error["message"]} for error in errors]


def by_row(errors: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """Errors named "row 3: value" as a page's table shows them: row, column and message."""
    rows = []
    for error in errors:
        match = re.match(r"row (\d+): (.*)", error.get("field", ""))
        rows.append(
            {
                "row": match.group(1) if match else "",
                "field": match.group(2) if match else error.get("field", ""),
                "message": error["message"],
            }
        )
    return rows
