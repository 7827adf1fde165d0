"""The webhook page's form: it checks the shape; the rules live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from microwork.core.events import EVENT_TYPES
from microwork.core.forms import ServiceErrorMixin

EVENT_LABELS = {
    "report.submitted": _("A report arrives (report.submitted)"),
    "mission.full": _("A mission has no free place left (mission.full)"),
    "batch.done": _("Every item of a batch is settled (batch.done)"),
}


class EndpointForm(ServiceErrorMixin, forms.Form):
    url = forms.CharField(
        label=_("Address (URL)"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://example.fr/webhooks/microwork", "inputmode": "url"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(name, EVENT_LABELS[name]) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        initial=["report.submitted"],
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=200)
