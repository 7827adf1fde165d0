"""The forms of the packaged-services pages. They check the shape of what is
typed; the rules stay in `services` (their refusals show on the field they
name, through `ServiceErrorMixin`)."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from microwork.core.forms import EurosField, ServiceErrorMixin

from . import services
from .models import Offer, OfferCategory, OfferKind

#: How many extra rows the offer form shows (the service allows 5).
EXTRA_ROWS = 5


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the services check their number, size and type."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.webp"}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Keywords"), required=False, max_length=200)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *OfferCategory.choices]
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *OfferKind.choices])
    max_price = EurosField(label=_("Max price (€)"), required=False, min_value=Decimal(0), placeholder="150")
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)


class OrderPlaceForm(ServiceErrorMixin, forms.Form):
    extras = forms.TypedMultipleChoiceField(
        label=_("Extras"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    requirements = forms.CharField(
        label=_("Your requirements for the expert"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the expert needs to start: names, colours, links, deadlines…"),
    )

    def __init__(self, *args: Any, offer: Offer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["extras"]
        field.choices = [(index, extra.name) for index, extra in enumerate(offer.extras.all())]


class MessageForm(ServiceErrorMixin, forms.Form):
    body = forms.CharField(
        label=_("Message"), required=False, max_length=5_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    attachments = MultipleFileField(label=_("Files (PDF or images)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "msg_%s")  # unique ids: several forms share the order page
        super().__init__(*args, **kwargs)


class DeliverForm(ServiceErrorMixin, forms.Form):
    message = forms.CharField(label=_("What you deliver"), max_length=5_000, widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(label=_("Files (PDF or images)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "deliver_%s")  # unique ids: several forms share the order page
        super().__init__(*args, **kwargs)


class RevisionForm(ServiceErrorMixin, forms.Form):
    instructions = forms.CharField(
        label=_("What should change, precisely"), max_length=5_000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "revision_%s")  # unique ids: several forms share the order page
        super().__init__(*args, **kwargs)


class AcceptForm(ServiceErrorMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Rating"), coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)], widget=forms.RadioSelect
    )
    review = forms.CharField(
        label=_("Your review"), required=False, max_length=5_000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "accept_%s")  # unique ids: several forms share the order page
        super().__init__(*args, **kwargs)


class ReasonForm(ServiceErrorMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1_000, widget=forms.Textarea(attrs={"rows": 2}))


class OptionalReasonForm(ServiceErrorMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=1_000, widget=forms.Textarea(attrs={"rows": 2})
    )


class EvaluationForm(ServiceErrorMixin, forms.Form):
    comment = forms.CharField(
        label=_("Your comment on this cancellation"), max_length=1_000, widget=forms.Textarea(attrs={"rows": 2})
    )


class OfferForm(ServiceErrorMixin, forms.Form):
    """Every field of an offer (AM01, AM02), extras as numbered rows."""

    kind = forms.ChoiceField(label=_("Kind of offer"), choices=OfferKind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    category = forms.ChoiceField(label=_("Category"), choices=OfferCategory.choices)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}))
    price = EurosField(label=_("Price, VAT included (€)"), min_value=Decimal("0.01"), placeholder="120")
    delivery_days = forms.IntegerField(label=_("Delivery time (days)"), min_value=1, max_value=365)
    keywords = forms.CharField(
        label=_("Keywords"), required=False, max_length=500, help_text=_("Separated by commas: logo, charte, print")
    )
    opening_message = forms.CharField(
        label=_("Opening message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the buyer as soon as they order."),
    )
    ip_note = forms.CharField(
        label=_("Intellectual property"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Leave empty: the buyer owns the deliverable once the order is completed."),
    )
    video_url = forms.CharField(
        label=_("Video link"),
        required=False,
        max_length=500,
        widget=forms.URLInput,
        help_text=_("YouTube, Vimeo or Dailymotion (https)"),
    )
    # A plain file field: the one upload check (core.uploads) reads the image, in the service.
    image = forms.FileField(
        label=_("Add a gallery image"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(1, EXTRA_ROWS + 1):
            self.fields[f"extra_{i}_name"] = forms.CharField(label=_("Extra %(n)s: name") % {"n": i}, required=False)
            self.fields[f"extra_{i}_price"] = EurosField(
                label=_("Extra %(n)s: price (€)") % {"n": i}, required=False, min_value=Decimal(0)
            )
            self.fields[f"extra_{i}_days"] = forms.IntegerField(
                label=_("Extra %(n)s: extra days") % {"n": i}, required=False, min_value=0, max_value=365
            )

    @staticmethod
    def initial_of(offer: Offer) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "kind": offer.kind,
            "title": offer.title,
            "category": offer.category,
            "description": offer.description,
            "price": Decimal(offer.price_cents) / 100,
            "delivery_days": offer.delivery_days,
            "keywords": ", ".join(offer.keywords),
            "opening_message": offer.opening_message,
            "ip_note": offer.ip_note,
            "video_url": offer.video_url,
        }
        for i, extra in enumerate(offer.extras.all(), start=1):
            initial[f"extra_{i}_name"] = extra.name
            initial[f"extra_{i}_price"] = Decimal(extra.price_cents) / 100
            initial[f"extra_{i}_days"] = extra.extra_days
        return initial

    def extra_rows(self) -> dict[str, list[tuple[int, list[forms.BoundField]]]]:
        """The extra rows: those filled and the first empty one are shown, the others fold away."""
        rows: dict[str, list[tuple[int, list[forms.BoundField]]]] = {"shown": [], "folded": []}
        blank_shown = False
        for i in range(1, EXTRA_ROWS + 1):
            fields = [self[f"extra_{i}_{part}"] for part in ("name", "price", "days")]
            filled = any(field.value() not in (None, "") or field.errors for field in fields)
            rows["shown" if filled or not blank_shown else "folded"].append((i, fields))
            blank_shown = blank_shown or not filled
        return rows

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(1, EXTRA_ROWS + 1):
            name = (data.get(f"extra_{i}_name") or "").strip()
            price = data.get(f"extra_{i}_price")
            if (price is not None or data.get(f"extra_{i}_days")) and not name:
                self.add_error(f"extra_{i}_name", _("Name this extra, or clear its price."))
            elif name and price is None:
                self.add_error(f"extra_{i}_price", _("Give this extra a price."))
        return data

    def fields_in(self) -> services.OfferFields:
        """What the service takes, from the cleaned data."""
        data = self.cleaned_data
        extras = tuple(
            services.ExtraIn(
                name=data[f"extra_{i}_name"].strip(),
                price_cents=data[f"extra_{i}_price"],
                extra_days=data.get(f"extra_{i}_days") or 0,
            )
            for i in range(1, EXTRA_ROWS + 1)
            if (data.get(f"extra_{i}_name") or "").strip()
        )
        return services.OfferFields(
            kind=data["kind"],
            title=data["title"],
            category=data["category"],
            description=data["description"],
            price_cents=data["price"],
            delivery_days=data["delivery_days"],
            keywords=tuple(k for k in (data.get("keywords") or "").split(",") if k.strip()),
            extras=extras,
            opening_message=data.get("opening_message") or "",
            ip_note=data.get("ip_note") or "",
            video_url=data.get("video_url") or "",
        )


#: Where a service's field names land on the offer form.
OFFER_ALIASES = {"price_cents": "price", "file": "image", "extras": "extra_1_name"}
