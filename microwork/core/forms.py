"""What every page form shares."""

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.formats import number_format
from django.utils.functional import lazy

from .errors import ApplicationError


def _as_typed(example: str) -> str:
    """An example amount ("50,00") as the reader types it: 50,00 in French, 50.00 in English."""
    decimals = len(example.partition(",")[2])
    return number_format(Decimal(example.replace(",", ".")), decimal_pos=decimals)


#: Read when the page is drawn, in the reader's language (form fields are built once).
as_typed = lazy(_as_typed, str)


class ServiceErrorMixin:
    """Shows an `ApplicationError` from a service on the field it names."""

    def add_service_error(self, exc: ApplicationError, *, aliases: dict[str, str] | None = None) -> None:
        form: Any = self
        for problem in (exc, *exc.also):
            field = (aliases or {}).get(problem.field or "", problem.field)
            form.add_error(field if field in form.fields else None, problem.detail)


class OnceForm(forms.Form):
    """Carries a fresh one-time token per rendered form (hidden `request_key`),
    so that the same form posted twice (a double click) acts once.

    What a repeat does is the service's rule: it is given `once_key()`."""

    request_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("request_key", uuid.uuid4().hex)

    def once_key(self) -> str:
        """The posted token, "" when none was sent (then nothing is deduplicated)."""
        return self.cleaned_data.get("request_key") or ""


class EurosField(forms.DecimalField):
    """An amount typed in euros, cleaned to integer cents.

    Text, not number: a French keyboard writes "12,50", which a number input
    refuses. Exponents ("1e9") are refused: nobody types an amount that way,
    and Python's Decimal would read it as a billion.
    """

    def __init__(self, *, placeholder: str = "", min_value: Decimal = Decimal(0), **kwargs: Any) -> None:
        attrs = {"inputmode": "decimal", "autocomplete": "off"}
        if placeholder:
            attrs["placeholder"] = as_typed(placeholder)
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(max_digits=12, decimal_places=2, min_value=min_value, localize=True, **kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and "e" in value.lower():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def clean(self, value: Any) -> int | None:
        amount = super().clean(value)
        return None if amount is None else int((amount * 100).to_integral_value())
