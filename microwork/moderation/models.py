"""Trust and safety (SPEC AC04, HM18): abuse reports, account suspensions
and the contact messages staff read in one inbox.

Reports and contact messages change state only through their transition
tables (`core.states`), each move kept in its history model. A suspension is
a row of its own, lifted by dating it: the user's account is not touched.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from microwork.core.models import Transition


class TargetType(models.TextChoices):
    MISSION = "mission", _("Mission")
    OFFER = "offer", _("Offer")
    ORDER = "order", _("Order")
    MESSAGE = "message", _("Message")
    USER = "user", _("User")


class ReportReason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    FRAUD = "fraud", _("Fraud or scam")
    INAPPROPRIATE = "inappropriate", _("Inappropriate or offensive content")
    OFF_PLATFORM_CONTACT = "off_platform_contact", _("Asks to deal outside the platform")
    ILLEGAL = "illegal", _("Illegal content or activity")
    OTHER = "other", _("Something else")


class ReportState(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Dismissed")
    ACTIONED = "actioned", _("Actioned")


REPORT_MOVES: dict[str, set[str]] = {
    "": {ReportState.OPEN},
    ReportState.OPEN: {ReportState.DISMISSED, ReportState.ACTIONED},
}


class AbuseReport(models.Model):
    """A user's report of a mission, an offer, an order, a message or a user (AC04).

    `subject` is the account whose conduct is reported (the mission's company,
    the offer's expert, the message's author...), so staff may suspend it from
    the report; `target_label` keeps what the reporter saw, as a title."""

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="abuse_reports_filed")
    target_type = models.CharField(max_length=16, choices=TargetType.choices)
    target_id = models.PositiveBigIntegerField()
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="abuse_reports_about"
    )
    target_label = models.CharField(max_length=200, blank=True, default="")
    reason = models.CharField(max_length=32, choices=ReportReason.choices)
    details = models.TextField(blank=True, default="")
    state = models.CharField(max_length=16, choices=ReportState.choices, default=ReportState.OPEN)
    created_at = models.DateTimeField(db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("abuse report")
        verbose_name_plural = _("abuse reports")
        constraints = [
            # One open report per reporter and target: a repeat answers the open one.
            models.UniqueConstraint(
                fields=["reporter", "target_type", "target_id"],
                condition=Q(state="open"),
                name="trust_one_open_report_per_target",
            ),
        ]
        indexes = [models.Index(fields=["state", "id"], name="trust_report_state_idx")]

    def __str__(self) -> str:
        return f"{self.target_type} {self.target_id}: {self.reason} ({self.state})"


class AbuseReportTransition(Transition):
    report = models.ForeignKey(AbuseReport, on_delete=models.CASCADE, related_name="transitions")


class Suspension(models.Model):
    """An account suspended by staff (AC04): it keeps its money and may read,
    but may not claim, post, sell or buy until the suspension is lifted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suspensions")
    reason = models.CharField(max_length=500)
    report = models.ForeignKey(AbuseReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(lifted_at__isnull=True), name="trust_one_active_suspension"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {'lifted' if self.lifted_at else 'active'}"


class ContactState(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


CONTACT_MOVES: dict[str, set[str]] = {
    "": {ContactState.OPEN},
    ContactState.OPEN: {ContactState.ANSWERED, ContactState.CLOSED},
    ContactState.ANSWERED: {ContactState.CLOSED},
}


class ContactMessage(models.Model):
    """A message from the contact form (HM18), kept before the sender is
    thanked, whether or not a staff account exists to be told."""

    email = models.EmailField()
    name = models.CharField(max_length=120, blank=True, default="")
    subject = models.CharField(max_length=200)
    message = models.TextField()
    state = models.CharField(max_length=16, choices=ContactState.choices, default=ContactState.OPEN)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("contact message")
        verbose_name_plural = _("contact messages")
        indexes = [models.Index(fields=["state", "id"], name="trust_contact_state_idx")]

    def __str__(self) -> str:
        return f"{self.email}: {self.subject}"


class ContactMessageTransition(Transition):
    contact = models.ForeignKey(ContactMessage, on_delete=models.CASCADE, related_name="transitions")
