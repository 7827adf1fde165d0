"""Forms of a mission's life on the pages: filters, the mission and its
questions, the template batch, a claim. They check the shape of the input;
the rules live in services."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from microwork.core.errors import ApplicationError
from microwork.core.forms import EurosField, ServiceErrorMixin

from .. import services
from ..models import Category, Question, QuestionKind


def euros(label: Any, *, required: bool = True, placeholder: str = "3,00", **extra: Any) -> EurosField:
    """An amount in euros; cleaned to integer cents."""
    return EurosField(label=label, required=required, placeholder=placeholder, **extra)


class MissionFilterForm(forms.Form):
    """The tasker's filters on the open missions (HM12, HM17)."""

    q = forms.CharField(
        label=_("Keywords"), required=False, max_length=200, widget=forms.TextInput(attrs={"type": "search"})
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *Category.choices]
    )
    min_reward = euros(_("Minimum reward (€)"), required=False, placeholder="2,00")
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    cursor = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)

    def near(self) -> tuple[float, float] | None:
        lat, lon = self.cleaned_data.get("lat"), self.cleaned_data.get("lon")
        if lat is None or lon is None:
            return None
        return lat, lon

    def min_reward_cents(self) -> int | None:
        amount: int | None = self.cleaned_data.get("min_reward")
        return amount


#: The units a duration is typed in on the pages: a task of seconds is stated in seconds (MW02).
DURATION_UNITS = (("minutes", _("minutes")), ("seconds", _("seconds")))
UNIT_SECONDS = {"minutes": 60, "seconds": 1}


class DurationForm(forms.Form):
    """How long the work takes: a number, and its unit (minutes or seconds)."""

    duration = forms.IntegerField(
        label=_("Estimated duration"),
        min_value=1,
        max_value=services.MAX_MINUTES * 60,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    duration_unit = forms.ChoiceField(label=_("Unit"), choices=DURATION_UNITS, initial="minutes")

    def estimated_seconds(self) -> int | None:
        data = getattr(self, "cleaned_data", {})
        duration, unit = data.get("duration"), data.get("duration_unit") or "minutes"
        if duration is None:
            return None
        return int(duration) * UNIT_SECONDS.get(unit, 60)


def duration_initial(seconds: int) -> dict[str, Any]:
    """A stored estimate as the form shows it: in minutes when whole, in seconds otherwise."""
    if seconds % 60 == 0:
        return {"duration": seconds // 60, "duration_unit": "minutes"}
    return {"duration": seconds, "duration_unit": "seconds"}


class QualityFiltersForm(forms.Form):
    """Who may take a mission: both at 0, new taskers are welcome."""

    min_approval_percent = forms.IntegerField(
        label=_("Minimum approval rate (%)"),
        required=False,
        min_value=0,
        max_value=100,
        initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("The share of a tasker's reviewed reports that were approved. 0: no filter."),
    )
    min_approved_reports = forms.IntegerField(
        label=_("Minimum number of approved reports"),
        required=False,
        min_value=0,
        max_value=services.MAX_MIN_APPROVED_REPORTS,
        initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("0 welcomes new taskers, who have none yet."),
    )

    def quality_filters(self) -> dict[str, int]:
        data = self.cleaned_data
        return {
            "min_approval_percent": data.get("min_approval_percent") or 0,
            "min_approved_reports": data.get("min_approved_reports") or 0,
        }


class MissionForm(ServiceErrorMixin, QualityFiltersForm, DurationForm):
    """A mission's fields (HM06-HM10, HM12); questions come in a formset beside it."""

    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    instructions = forms.CharField(
        label=_("Instructions"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("Precise and complete: taskers read them before taking the mission."),
    )
    reward = euros(
        _("Reward per place (€)"),
        help_text=_("At least the minimum wage for the duration, at most 100 €."),
    )
    places = forms.IntegerField(
        label=_("Number of places"),
        min_value=1,
        max_value=services.MAX_PLACES,
        initial=1,
        help_text=_("How many different taskers do it, each once."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    ends_at = forms.DateTimeField(
        label=_("End date"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
    )
    address = forms.CharField(
        label=_("Address of the place"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("e.g. 8 boulevard du Port, Amiens")}),
        help_text=_("Leave it empty for a mission done from anywhere."),
    )
    # Filled by the page from the chosen suggestion; otherwise the server looks the address up.
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    radius_km = forms.FloatField(
        label=_("Radius (km)"),
        required=False,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "3"}),
        help_text=_("Taskers take the mission from within this distance of the address."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        address = " ".join((data.get("address") or "").split())
        has_position = data.get("lat") is not None and data.get("lon") is not None
        if not address and not has_position:
            if data.get("radius_km") is not None:
                self.add_error("address", _("Give the address the radius is measured from."))
            return data
        if data.get("radius_km") is None and "radius_km" not in self.errors:
            self.add_error("radius_km", _("Give the radius around the address, in km."))
        if address and not has_position:
            # The browser could not ask the address service: ask it from here (HM12).
            try:
                place = services.address_geocode(address=address)
            except ApplicationError as exc:
                self.add_error("address", exc.detail)
            else:
                data.update(address=place.label, lat=place.lat, lon=place.lon)
        return data

    def location(self) -> services.Location | None:
        data = self.cleaned_data
        if data.get("lat") is None or data.get("lon") is None:
            return None
        return services.Location(
            lat=data["lat"], lon=data["lon"], radius_km=data["radius_km"], address=data.get("address") or ""
        )

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "category": data["category"],
            "instructions": data["instructions"],
            "estimated_seconds": self.estimated_seconds(),
            "reward_cents": data["reward"],
            "places": data["places"],
            "ends_at": data.get("ends_at"),
            "location": self.location(),
            **self.quality_filters(),
        }


class QuestionForm(forms.Form):
    """One question of the report; a row left without a label is ignored."""

    key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    label = forms.CharField(label=_("Question"), required=False, max_length=300)
    kind = forms.ChoiceField(label=_("Answer type"), choices=QuestionKind.choices, initial=QuestionKind.SHORT_TEXT)
    choices = forms.CharField(
        label=_("Choices, one per line"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)

    def question(self) -> services.QuestionInput | None:
        data = self.cleaned_data
        if not data.get("label", "").strip():
            return None
        return {
            "key": data.get("key") or None,
            "label": data["label"].strip(),
            "kind": data["kind"],
            "required": bool(data.get("required")),
            "choices": [line.strip() for line in data.get("choices", "").splitlines() if line.strip()],
        }


#: The form offers ten question slots: two open, the others behind "add questions" (the API takes up to MAX_QUESTIONS).
PAGE_QUESTIONS = 10
QuestionFormSet = forms.formset_factory(
    QuestionForm, extra=PAGE_QUESTIONS, max_num=max(PAGE_QUESTIONS, services.MAX_QUESTIONS), absolute_max=40
)


def question_slots(formset: Any) -> tuple[list[tuple[int, Any]], list[tuple[int, Any]]]:
    """The question forms to show open (the first two, and any filled in or in
    error) and those behind "add more questions", each with its number."""
    shown: list[tuple[int, Any]] = []
    more: list[tuple[int, Any]] = []
    for number, qform in enumerate(formset, start=1):
        filled = bool(qform.initial.get("label")) or (qform.is_bound and qform.has_changed()) or bool(qform.errors)
        (shown if number <= 2 or filled else more).append((number, qform))
    return shown, more[: max(0, PAGE_QUESTIONS - len(shown))]


def question_initial(questions: list[Question]) -> list[dict[str, Any]]:
    return [
        {
            "key": q["key"],
            "label": q["label"],
            "kind": q["kind"],
            "required": q.get("required", True),
            "choices": "\n".join(q.get("choices") or []),
        }
        for q in questions
    ]


class PriceForm(DurationForm):
    """What the live cost needs; anything missing just shows no price yet."""

    reward = euros("", required=False)
    places = forms.IntegerField(required=False, min_value=1, max_value=services.MAX_PLACES)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["duration"].required = False
        self.fields["duration_unit"].required = False


class BatchTemplateForm(ServiceErrorMixin, QualityFiltersForm, DurationForm):
    """A template batch on the pages (MW04): the template's fields, waves, and the items file."""

    title = forms.CharField(
        label=_("Title"), max_length=200, help_text=_("May name a column, e.g. “Label photo ${photo_id}”.")
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    instructions = forms.CharField(
        label=_("Instructions"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("Write ${column} where each item's value goes, e.g. ${image_url}; $$ for a dollar sign."),
    )
    reward = euros(_("Reward per place (€)"), help_text=_("At least the minimum wage for the duration."))
    places = forms.IntegerField(
        label=_("Places per item"),
        min_value=1,
        max_value=services.MAX_PLACES,
        initial=1,
        help_text=_("How many different taskers do each item."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    wave_size = forms.IntegerField(
        label=_("Items per wave"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Leave it empty to publish every item at once."),
    )
    wave_minutes = forms.IntegerField(
        label=_("Minutes between waves"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("The next wave comes after this time, or as soon as the last is done."),
    )
    items = forms.FileField(
        label=_("Items (CSV, UTF-8, 5 MB at most)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=_("One column per variable, one row per item; an MTurk file with Input.* columns works as is."),
    )

    def template(self, questions: list[services.QuestionInput]) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "category": data["category"],
            "instructions": data["instructions"],
            "estimated_seconds": self.estimated_seconds(),
            "reward_cents": data["reward"],
            "places": data["places"],
            "questions": questions,
            # As the API takes them: a rate from 0 to 1.
            "min_approval_rate": (data.get("min_approval_percent") or 0) / 100,
            "min_approved_reports": data.get("min_approved_reports") or 0,
        }


class ClaimForm(forms.Form):
    """Where the tasker stands when taking a mission tied to a place, as the
    browser gave it (HM12); `geo` says the tasker declined to share it."""

    lat = forms.FloatField(required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180)
    geo = forms.CharField(required=False, max_length=20)

    def position(self) -> tuple[float, float] | None:
        lat, lon = self.cleaned_data.get("lat"), self.cleaned_data.get("lon")
        return (lat, lon) if lat is not None and lon is not None else None

    def position_refused(self) -> bool:
        return self.position() is None and self.cleaned_data.get("geo") in {"refused", "unavailable"}


class BatchForm(ServiceErrorMixin, forms.Form):
    file = forms.FileField(
        label=_("CSV file (UTF-8, 2 MB at most)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
