from django import forms
from django.utils.translation import gettext_lazy as _

from microwork.core.forms import ServiceErrorMixin


class ContactForm(ServiceErrorMixin, forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=120)
    email = forms.EmailField(label=_("Email address"), max_length=254)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
