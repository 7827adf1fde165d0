"""Top-up and refund forms: amounts in euros in, cents out."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from microwork.core.forms import EurosField, OnceForm, ServiceErrorMixin


class EurosForm(ServiceErrorMixin, forms.Form):
    amount = EurosField(label=_("Amount in euros"), placeholder="50,00")

    def amount_cents(self) -> int:
        return int(self.cleaned_data["amount"])


class TopupForm(OnceForm, EurosForm):
    """Posting the same form twice charges once (the repeat replays the first top-up)."""


class RefundForm(OnceForm, EurosForm):
    """A double click refunds once (the repeat is refused on the form)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shown on the same page as the top-up form: its own ids, for its own labels.
        kwargs.setdefault("auto_id", "refund_%s")
        super().__init__(*args, **kwargs)
