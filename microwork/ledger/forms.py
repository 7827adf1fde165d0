"""Top-up and refund forms: amounts in euros in, cents out."""

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from microwork.core.forms import EurosField, ServiceErrorMixin


class EurosForm(ServiceErrorMixin, forms.Form):
    amount = EurosField(label=_("Amount in euros"), placeholder="50,00")

    def amount_cents(self) -> int:
        return int(self.cleaned_data["amount"])


class TopupForm(EurosForm):
    # A fresh token per rendered form: posting the same form twice charges once.
    request_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("request_key", uuid.uuid4().hex)


class RefundForm(EurosForm):
    # A fresh token per rendered form: a double click refunds once.
    request_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shown on the same page as the top-up form: its own ids, for its own labels.
        kwargs.setdefault("auto_id", "refund_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("request_key", uuid.uuid4().hex)
