from django import forms
from django.utils.translation import gettext_lazy as _

from microwork.core.forms import ServiceErrorMixin


class BillingProfileForm(ServiceErrorMixin, forms.Form):
    billing_name = forms.CharField(label=_("Billing name"), max_length=200)
    address_line1 = forms.CharField(label=_("Address"), max_length=200)
    address_line2 = forms.CharField(label=_("Address (continued)"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=16)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.CharField(label=_("Country (two-letter code)"), max_length=2, initial="FR")
    vat_number = forms.CharField(
        label=_("Intra-community VAT number"), max_length=30, required=False, help_text=_("For example FR40303265045.")
    )
    siret = forms.CharField(label=_("SIRET"), max_length=20, required=False)


class TaxDetailsForm(ServiceErrorMixin, forms.Form):
    tin = forms.CharField(
        label=_("Tax identification number"),
        max_length=30,
        help_text=_("In France, your tax number (NIF): 13 digits, on your income tax notice."),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    address_line1 = forms.CharField(label=_("Address"), max_length=200)
    address_line2 = forms.CharField(label=_("Address (continued)"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=16)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.CharField(label=_("Country of residence (two-letter code)"), max_length=2, initial="FR")
