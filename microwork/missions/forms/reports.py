"""Forms of a report and its review: what the tasker sends, how the company
approves, rejects or adds a bonus and how staff settle. They check the shape
of the input; the rules live in services."""

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from microwork.core.forms import ServiceErrorMixin

from .. import services
from ..models import UPLOAD_KINDS, Question, QuestionKind, RejectionReason
from .missions import euros


class ReasonForm(ServiceErrorMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class ApproveForm(ServiceErrorMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment for the tasker"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RejectForm(ServiceErrorMixin, forms.Form):
    reason_code = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *RejectionReason.choices])  # PL05
    reason = forms.CharField(
        label=_("Why is the report rejected?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SettleForm(ServiceErrorMixin, forms.Form):
    amount = euros(_("Paid to the tasker (€)"), placeholder="0,00")


class BonusForm(ServiceErrorMixin, forms.Form):
    """A bonus on an approved report: its amount, and a word for the tasker."""

    amount = euros(_("Bonus (€)"), placeholder="2,00")
    message = forms.CharField(
        label=_("Message for the tasker"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def field_name(key: str) -> str:
    return f"q_{key}"


def _started_salt(claim_id: int) -> str:
    return f"missions.report-started:{claim_id}"


def report_started_stamp(claim_id: int, now: datetime) -> str:
    """The time the report form is displayed, signed for this claim, carried
    by the page to its sending (PL04)."""
    return signing.dumps(now.timestamp(), salt=_started_salt(claim_id))


class ReportForm(ServiceErrorMixin, forms.Form):
    """The end-of-mission report: one field per question of the mission (HM13).

    It carries the time the page displayed it (`started`), signed by the
    server for this claim, and keeps it through a try refused with errors:
    the time on the form runs from the display of the form finally sent to
    its sending. A value missing, altered or signed for another claim is
    read as unknown."""

    started = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args: Any, questions: list[Question], uploaded: set[str], claim_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.claim_id = claim_id
        for question in questions:
            kind, label, required = question["kind"], question["label"], bool(question.get("required"))
            field: forms.Field
            if kind == QuestionKind.LONG_TEXT:
                field = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
            elif kind == QuestionKind.CHOICE:
                field = forms.ChoiceField(choices=[(c, c) for c in question["choices"]], widget=forms.RadioSelect)
            elif kind == QuestionKind.URL:
                field = forms.CharField(
                    max_length=2000, widget=forms.URLInput(attrs={"inputmode": "url", "placeholder": "https://"})
                )
            elif kind == QuestionKind.PHOTO:
                field = forms.FileField(
                    widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"})
                )
            elif kind == QuestionKind.FILE:
                field = forms.FileField(widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}))
            else:
                field = forms.CharField(max_length=300)
            field.label = label
            # A file sent with an earlier try stays attached: no need to send it again.
            field.required = required and not (kind in UPLOAD_KINDS and question["key"] in uploaded)
            if kind in UPLOAD_KINDS and question["key"] in uploaded:
                field.help_text = _("Already received; choose a new one to replace it.")
            self.fields[field_name(question["key"])] = field
        minimum = {"min": services.ACCOUNT_MIN_CHARS}
        if questions:
            self.fields["text"] = forms.CharField(
                label=_("Comments"), required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
            )
            if not any(q.get("required") for q in questions):
                self.fields["text"].help_text = (
                    _("If you answer no question, describe here what you did (at least %(min)s characters).") % minimum
                )
        else:
            # With nothing else to answer, the written account is the report (HM13): say so before the first try.
            self.fields["text"] = forms.CharField(
                label=_("Your account of the mission"),
                max_length=10_000,
                widget=forms.Textarea(attrs={"rows": 5}),
                help_text=_("Required: describe what you did, in at least %(min)s characters.") % minimum,
                error_messages={
                    "required": _("Describe what you did (at least %(min)s characters): this account is your report.")
                    % minimum
                },
            )
        self.fields["links"] = forms.CharField(
            label=_("Links, one per line"),
            required=False,
            max_length=20_000,
            widget=forms.Textarea(attrs={"rows": 2, "inputmode": "url"}),
        )

    def uploads(self) -> list[tuple[str, Any]]:
        return [
            (q["key"], self.cleaned_data.get(field_name(q["key"])))
            for q in self.questions
            if q["kind"] in UPLOAD_KINDS and self.cleaned_data.get(field_name(q["key"]))
        ]

    def answers(self) -> dict[str, Any]:
        return {
            q["key"]: self.cleaned_data.get(field_name(q["key"])) or ""
            for q in self.questions
            if q["kind"] not in UPLOAD_KINDS
        }

    def links(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("links", "").splitlines() if line.strip()]

    def started_at(self) -> datetime | None:
        try:
            stamp = signing.loads(self.cleaned_data.get("started") or "", salt=_started_salt(self.claim_id))
            return datetime.fromtimestamp(float(stamp), tz=UTC)
        except (signing.BadSignature, TypeError, ValueError, OverflowError):
            return None
