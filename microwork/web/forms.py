"""Page forms: they check the shape of the input; the rules live in services."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from microwork.accounts import services as account_services
from microwork.accounts.models import DocumentKind, ExpertStatus, Role
from microwork.core.errors import ApplicationError
from microwork.core.forms import ServiceErrorMixin

# Kept for the missions app until it imports `microwork.core.forms`.

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class EmailLoginForm(AuthenticationForm):
    """Signs in with the email address, whatever its case."""

    username = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()


def _email_field() -> forms.EmailField:
    return forms.EmailField(
        label=_("Email address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


def _password_field() -> forms.CharField:
    return forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not a common password."),
    )


def _display_name_field(label: "StrOrPromise | None" = None) -> forms.CharField:
    return forms.CharField(
        label=label or _("Display name"), max_length=120, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )


def _siret_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label=_("SIRET number"),
        max_length=32,
        required=required,
        help_text=_("14 digits, as on your Kbis extract or INSEE notice."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


def _terms_field(label: "StrOrPromise", refusal: "StrOrPromise") -> forms.BooleanField:
    # Not required here: the service refuses the signup (HM01, HM03), and the
    # box shows its own message, naming the document it accepts.
    return forms.BooleanField(
        label=label,
        required=False,
        widget=forms.CheckboxInput(attrs={"required": True}),
        error_messages={"required": refusal},
    )


TERMS_OF_USE_REFUSAL = _("Tick this box to accept the terms of use: we cannot open your account without it.")
TERMS_OF_SALE_REFUSAL = _("Tick this box to accept the terms of sale: we cannot open your account without it.")


class SignupChecks:
    """Every signup error in one answer: the fields Django cleaned and the raw
    values of those it refused go through the service's own checks, and each
    field gets its first error (HM01, HM03)."""

    role = ""

    def clean(self) -> dict[str, Any]:
        form: Any = self
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        values = {
            name: str(cleaned.get(name) or form.data.get(name, ""))
            for name in ("email", "password", "display_name", "phone", "siret")
            if name in form.fields
        }
        try:
            account_services.signup_input(role=self.role, accept_terms=bool(cleaned.get("accept_terms")), **values)
        except ApplicationError as exc:
            for problem in (exc, *exc.also):
                if problem.field in form.fields and problem.field not in form.errors:
                    own = form.fields[problem.field].error_messages.get("required")
                    form.add_error(problem.field, own if problem.field == "accept_terms" else problem.detail)
        return cleaned


class TaskerSignupForm(SignupChecks, ServiceErrorMixin, forms.Form):
    role = Role.TASKER
    display_name = _display_name_field(_("First name or nickname"))
    email = _email_field()
    password = _password_field()
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=32,
        help_text=_("We send a code by SMS to check it. One account per person."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    accept_terms = _terms_field(_("I accept the terms of use"), TERMS_OF_USE_REFUSAL)


class CompanySignupForm(SignupChecks, ServiceErrorMixin, forms.Form):
    role = Role.COMPANY
    display_name = _display_name_field(_("Company name shown on the platform"))
    legal_name = forms.CharField(label=_("Legal name"), max_length=200)
    siret = _siret_field(required=True)
    email = _email_field()
    password = _password_field()
    accept_terms = _terms_field(_("I accept the terms of sale"), TERMS_OF_SALE_REFUSAL)


class ExpertSignupForm(SignupChecks, ServiceErrorMixin, forms.Form):
    role = Role.EXPERT
    display_name = _display_name_field()
    legal_name = forms.CharField(label=_("Legal name"), max_length=200, required=False)
    siret = _siret_field(required=False)
    email = _email_field()
    password = _password_field()
    accept_terms = _terms_field(_("I accept the terms of sale"), TERMS_OF_SALE_REFUSAL)


class PhoneCodeForm(ServiceErrorMixin, forms.Form):
    code = forms.CharField(
        label=_("Code received by SMS"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]{6}",
                "autofocus": True,
            }
        ),
    )


class PhoneChangeForm(ServiceErrorMixin, forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )


class DocumentUploadForm(ServiceErrorMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("File (PDF, JPEG or PNG, 10 MB at most)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
    issued_on = forms.DateField(
        label=_("Date printed on the document"),
        help_text=_("Required for the attestations and the insurance: their validity runs from this date."),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    valid_until = forms.DateField(
        label=_("Valid until (if the document states it)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ExpertProfileForm(ServiceErrorMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Legal status"),
        choices=ExpertStatus.choices,
        help_text=_("Wage portage also needs a DPAE."),
    )
    headline = forms.CharField(label=_("Headline"), max_length=120, required=False)
    bio = forms.CharField(
        label=_("Presentation"), max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    skills = forms.CharField(
        label=_("Skills"),
        help_text=_("Separated by commas, 20 at most."),
        max_length=1000,
        required=False,
    )

    def clean_skills(self) -> list[str]:
        return [skill.strip() for skill in str(self.cleaned_data.get("skills") or "").split(",") if skill.strip()]


class ExpertPhotoForm(ServiceErrorMixin, forms.Form):
    file = forms.FileField(
        label=_("Photo (JPEG, PNG or WebP)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class ExpertApproveForm(ServiceErrorMixin, forms.Form):
    note = forms.CharField(label=_("Note to the expert"), max_length=500, required=False)


class DocumentApproveForm(ServiceErrorMixin, forms.Form):
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class DocumentRefuseForm(ServiceErrorMixin, forms.Form):
    reason = forms.CharField(label=_("Reason given to the expert"), max_length=500)


class LegalAcceptForm(ServiceErrorMixin, forms.Form):
    accept = forms.BooleanField(label=_("I have read and I accept these documents"))


class ClosureForm(ServiceErrorMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that closing my account is final once it takes effect"),
    )


class SecondFactorForm(ServiceErrorMixin, forms.Form):
    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]{6,7}", "autofocus": True}
        ),
    )
