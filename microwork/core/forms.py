"""What every page form shares."""

from typing import Any

from .errors import ApplicationError


class ServiceErrorMixin:
    """Shows an `ApplicationError` from a service on the field it names."""

    def add_service_error(self, exc: ApplicationError, *, aliases: dict[str, str] | None = None) -> None:
        field = (aliases or {}).get(exc.field or "", exc.field)
        form: Any = self
        form.add_error(field if field in form.fields else None, exc.detail)
