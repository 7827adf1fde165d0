"""Payout page forms: they check the shape of the input; the rules live in services."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from microwork.core.forms import EurosField, OnceForm, ServiceErrorMixin

from . import selectors
from .models import Method, PayoutAccount


def _make_default_field() -> forms.BooleanField:
    return forms.BooleanField(label=_("Use it by default"), required=False)


class PaypalAccountForm(ServiceErrorMixin, forms.Form):
    method = Method.PAYPAL
    paypal_email = forms.EmailField(
        label=_("Email address of your PayPal account"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    make_default = _make_default_field()


class IbanAccountForm(ServiceErrorMixin, forms.Form):
    method = Method.IBAN
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=64,
        help_text=_("As on your bank details (RIB), spaces allowed: FR76 3000 6000 …"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    holder = forms.CharField(
        label=_("Account holder"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    make_default = _make_default_field()


class VoucherAccountForm(ServiceErrorMixin, forms.Form):
    method = Method.GIFT_VOUCHER
    make_default = _make_default_field()


ACCOUNT_FORMS: dict[str, type[forms.Form]] = {
    Method.PAYPAL: PaypalAccountForm,
    Method.IBAN: IbanAccountForm,
    Method.GIFT_VOUCHER: VoucherAccountForm,
}


class PayoutRequestForm(ServiceErrorMixin, OnceForm):
    """The same form posted twice asks once (the repeat is told so on the credits page)."""

    amount = EurosField(label=_("Amount in euros"), min_value=Decimal("0.01"))
    account = forms.ModelChoiceField(
        label=_("Paid to"), queryset=PayoutAccount.objects.none(), empty_label=None, to_field_name="pk"
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        accounts = selectors.payout_accounts_of(user)
        field: Any = self.fields["account"]
        field.queryset = accounts
        field.label_from_instance = lambda account: str(account)
        if not self.is_bound:
            default = next((a for a in accounts if a.is_default), None)
            if default is not None:
                self.initial["account"] = default.pk

    def amount_cents(self) -> int:
        return int(self.cleaned_data["amount"])


class VoucherImportForm(ServiceErrorMixin, forms.Form):
    file = forms.FileField(
        label=_("The issuer's CSV file (UTF-8, 2 MB at most)"),
        help_text=_("Columns brand, value, code, expiry: Fnac,10.00,ABCD-1234,2027-12-31"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class FailForm(ServiceErrorMixin, forms.Form):
    reason = forms.CharField(label=_("Reason given to the user"), max_length=300)
