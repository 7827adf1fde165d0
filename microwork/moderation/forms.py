"""The report form and staff's short forms (AC04)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from microwork.core.forms import ServiceErrorMixin

from .models import ReportReason
from .services import DETAILS_MAX


class ReportForm(ServiceErrorMixin, forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong?"),
        choices=ReportReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason.")},
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=DETAILS_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you saw, where, when: it helps our team decide."),
    )
