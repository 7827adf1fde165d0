"""Micro-missions and the claims taskers make on them (SPEC HM)."""

import math
from typing import TypedDict

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from microwork.core.models import Transition
from microwork.core.money import per_hour_cents
from microwork.core.uploads import server_file_name


class Category(models.TextChoices):
    PHOTO = "photo", _("Photo on location")
    PRODUCT_TEST = "product_test", _("Product test")
    WEBSITE_TEST = "website_test", _("Website test")
    DOCUMENT_CATEGORISATION = "document_categorisation", _("Document categorisation")
    WEB_RESEARCH = "web_research", _("Web research")
    SOCIAL_SHARE = "social_share", _("Social-media share")
    SURVEY = "survey", _("Survey")
    TRANSCRIPTION = "transcription", _("Transcription")
    TRANSLATION = "translation", _("Translation")
    DATA_ENTRY = "data_entry", _("Data entry")
    IMAGE_LABELLING = "image_labelling", _("Image labelling")
    REVIEW = "review", _("Review")
    OTHER = "other", _("Other")


class QuestionKind(models.TextChoices):
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    CHOICE = "choice", _("Choice (one of a list)")
    URL = "url", _("Web address")
    PHOTO = "photo", _("Photo")
    FILE = "file", _("File")


# Questions answered by an upload rather than by text.
UPLOAD_KINDS = (QuestionKind.PHOTO, QuestionKind.FILE)


class Question(TypedDict):
    """One question of a mission's report, as stored in `Mission.questions` (HM13)."""

    key: str
    label: str
    kind: str
    required: bool
    choices: list[str]


class MissionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_REVIEW = "pending_review", _("Pending review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    PUBLISHED = "published", pgettext_lazy("mission", "Published")
    CLOSED = "closed", pgettext_lazy("mission", "Closed")
    EXPIRED = "expired", pgettext_lazy("mission", "Expired")


MISSION_MOVES: dict[str, set[str]] = {
    "": {MissionState.DRAFT},
    MissionState.DRAFT: {MissionState.PENDING_REVIEW, MissionState.CLOSED},
    MissionState.CHANGES_REQUESTED: {MissionState.PENDING_REVIEW, MissionState.CLOSED},
    MissionState.PENDING_REVIEW: {
        MissionState.PUBLISHED,
        MissionState.CHANGES_REQUESTED,
        MissionState.CLOSED,
        MissionState.EXPIRED,
    },
    MissionState.PUBLISHED: {MissionState.CLOSED, MissionState.EXPIRED},
}


class BatchState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_REVIEW = "pending_review", _("Pending review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    PUBLISHED = "published", pgettext_lazy("batch", "Published")
    # Every item settled: `batch.done` was sent.
    DONE = "done", pgettext_lazy("batch", "Done")
    CLOSED = "closed", pgettext_lazy("batch", "Withdrawn")


BATCH_MOVES: dict[str, set[str]] = {
    "": {BatchState.DRAFT},
    BatchState.DRAFT: {BatchState.PENDING_REVIEW, BatchState.CLOSED},
    BatchState.CHANGES_REQUESTED: {BatchState.PENDING_REVIEW, BatchState.CLOSED},
    BatchState.PENDING_REVIEW: {BatchState.PUBLISHED, BatchState.CHANGES_REQUESTED, BatchState.CLOSED},
    BatchState.PUBLISHED: {BatchState.DONE, BatchState.CLOSED},
}


class Batch(models.Model):
    """Missions made from one template and a file of items, one mission per
    item (MW04): submitted, reviewed and published as one unit, in waves when
    the company asks for them."""

    company = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="batches")
    # The template, as sent: its instructions keep their `${variables}`.
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=32, choices=Category.choices)
    instructions = models.TextField()
    questions = models.JSONField(default=list, blank=True)
    estimated_seconds = models.PositiveIntegerField()
    reward_cents = models.BigIntegerField()
    places = models.PositiveIntegerField()
    # The columns of the items file (without an `Input.` prefix), in order.
    variables = models.JSONField(default=list, blank=True)
    items = models.PositiveIntegerField(default=0)
    # Waves (fair dispatch): `wave_size` items published at a time, the next
    # wave `wave_minutes` after the last or once it is done; null: all at once.
    wave_size = models.PositiveIntegerField(null=True, blank=True)
    wave_minutes = models.PositiveIntegerField(null=True, blank=True)
    waves_released = models.PositiveIntegerField(default=0)
    wave_released_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=BatchState.choices, default=BatchState.DRAFT)
    submissions = models.PositiveIntegerField(default=0)
    change_reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["company", "-id"], name="missions_batch_company_idx"),
            models.Index(fields=["state", "id"], name="missions_batch_state_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def waves(self) -> int:
        if not self.wave_size:
            return 1
        return math.ceil(self.items / self.wave_size)


class BatchTransition(Transition):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="transitions")


class Mission(models.Model):
    company = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="missions")
    # The batch it is an item of (MW04): its number in the file, the row's
    # variables, and the wave that publishes it.
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, null=True, blank=True, related_name="missions")
    batch_item = models.PositiveIntegerField(null=True, blank=True)
    batch_input = models.JSONField(null=True, blank=True)
    batch_wave = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=32, choices=Category.choices)
    instructions = models.TextField()
    # The estimate in seconds, so a task of a few seconds can be posted (MW02).
    estimated_seconds = models.PositiveIntegerField()
    # The median time taskers really took, claim to report, once enough
    # reports are in; and when it put the reward under the SMIC (PL04).
    measured_seconds = models.PositiveIntegerField(null=True, blank=True)
    underpaid_at = models.DateTimeField(null=True, blank=True)
    reward_cents = models.BigIntegerField()
    # Per place: 20% of the reward, and VAT on that fee (HM10). Stored, never recomputed.
    fee_cents = models.BigIntegerField()
    vat_cents = models.BigIntegerField()
    places = models.PositiveIntegerField()
    # Places a tasker can claim now: moved in the same transaction as every
    # claim, release, lapse, rejection and refund (never counted per request).
    places_free = models.IntegerField()
    # The earliest deadline among the claims holding a place (null when none
    # does): moved with `places_free`. Once it has passed, a held place is free
    # again before any lapse is written (HM04), so the open-missions filter
    # reads two columns of the mission row and never counts claims.
    claims_due_at = models.DateTimeField(null=True, blank=True)
    places_approved = models.PositiveIntegerField(default=0)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    radius_km = models.FloatField(null=True, blank=True)
    # The address the company typed for the place, as the address service spelled it (HM12).
    address = models.CharField(max_length=300, blank=True, default="")
    ends_at = models.DateTimeField(null=True, blank=True)
    # What the report must answer: a list of `Question`.
    questions = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=20, choices=MissionState.choices, default=MissionState.DRAFT)
    submissions = models.PositiveIntegerField(default=0)
    change_reason = models.TextField(blank=True, default="")
    smic_hourly_cents = models.PositiveIntegerField(null=True, blank=True)
    # Quality filters: who may take it, by their record (both 0: new taskers welcome).
    # The open-missions list compares them with the tasker's two figures, read once.
    min_approval_percent = models.PositiveSmallIntegerField(default=0)
    min_approved_reports = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(places_free__gte=0), name="missions_places_free_not_negative"),
            models.CheckConstraint(condition=Q(places_free__lte=models.F("places")), name="missions_places_free_max"),
            models.CheckConstraint(condition=Q(reward_cents__gt=0), name="missions_reward_positive"),
            models.CheckConstraint(condition=Q(places__gte=1), name="missions_places_positive"),
            models.CheckConstraint(
                condition=Q(min_approval_percent__lte=100), name="missions_min_approval_percent_max"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "category", "-id"], name="missions_browse_idx"),
            models.Index(fields=["company", "-id"], name="missions_company_idx"),
            # The open-missions list: published ones, newest first, read by keyset.
            # Not partial: SQLite uses a partial index only for a literal, never a bound parameter.
            models.Index(fields=["state", "-id"], name="missions_open_idx"),
            models.Index(fields=["batch", "batch_item"], name="missions_batch_item_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def escrow_ref(self) -> str:
        return f"mission:{self.pk}"

    @property
    def place_cost_cents(self) -> int:
        return self.reward_cents + self.fee_cents + self.vat_cents

    @property
    def cost_cents(self) -> int:
        return self.places * self.place_cost_cents

    @property
    def places_left(self) -> int:
        """Free places as a tasker sees them: the counter, plus the places of
        claims past their deadline, counted by the read (selectors) only for
        a mission whose `claims_due_at` has passed."""
        if self.state != MissionState.PUBLISHED:
            return self.places_free
        return self.places_free + int(getattr(self, "places_overdue", 0))

    @property
    def estimated_minutes(self) -> int:
        """The estimate in whole minutes, rounded up (what the API always gave)."""
        return math.ceil(self.estimated_seconds / 60)

    @estimated_minutes.setter
    def estimated_minutes(self, minutes: int) -> None:
        self.estimated_seconds = minutes * 60

    @property
    def hourly_rate_cents(self) -> int:
        """The reward per hour of the estimate (PL04)."""
        return per_hour_cents(self.reward_cents, seconds=self.estimated_seconds)

    @property
    def min_approval_rate(self) -> float:
        """The quality filter as a rate from 0 to 1, as the API gives rates."""
        return self.min_approval_percent / 100

    @property
    def welcomes_new_taskers(self) -> bool:
        return self.min_approval_percent == 0 and self.min_approved_reports == 0

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class MissionTransition(Transition):
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="transitions")


class ClaimState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("participation", "In progress")
    SUBMITTED = "submitted", pgettext_lazy("participation", "Report submitted")
    APPROVED = "approved", pgettext_lazy("participation", "Approved")
    REJECTED = "rejected", pgettext_lazy("participation", "Rejected")
    RELEASED = "released", pgettext_lazy("participation", "Released")
    LAPSED = "lapsed", pgettext_lazy("participation", "Lapsed")
    DISPUTED = "disputed", pgettext_lazy("participation", "Disputed")
    SETTLED = "settled", pgettext_lazy("participation", "Settled")


class RejectionReason(models.TextChoices):
    """Why a company rejects a report (PL05): one of these, with a written reason."""

    INSTRUCTIONS_NOT_FOLLOWED = "instructions_not_followed", _("Instructions not followed")
    INCOMPLETE = "incomplete", _("Incomplete")
    POOR_QUALITY = "poor_quality", _("Poor quality")
    WRONG_LOCATION = "wrong_location", _("Wrong location")
    COPIED_OR_AUTOMATED = "copied_or_automated", _("Copied or automated")
    OTHER = "other", _("Other")


CLAIM_MOVES: dict[str, set[str]] = {
    "": {ClaimState.ACTIVE},
    ClaimState.ACTIVE: {ClaimState.SUBMITTED, ClaimState.RELEASED, ClaimState.LAPSED},
    ClaimState.SUBMITTED: {ClaimState.APPROVED, ClaimState.REJECTED},
    ClaimState.REJECTED: {ClaimState.DISPUTED},
    ClaimState.DISPUTED: {ClaimState.SETTLED},
}


class Claim(models.Model):
    mission = models.ForeignKey(Mission, on_delete=models.PROTECT, related_name="claims")
    tasker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims")
    state = models.CharField(max_length=16, choices=ClaimState.choices, default=ClaimState.ACTIVE)
    claimed_at = models.DateTimeField()
    deadline_at = models.DateTimeField(db_index=True)
    # The report (HM13).
    answers = models.JSONField(default=dict, blank=True)
    text = models.TextField(blank=True, default="")
    links = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the tasker started the report that was sent: the display of the
    # report form on the pages, or what an API client says, always within
    # claimed_at..submitted_at (PL04); null when unknown.
    report_started_at = models.DateTimeField(null=True, blank=True)
    # The company's review (HM14).
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True, default="")
    rejection_reason = models.TextField(blank=True, default="")
    rejection_reason_code = models.CharField(max_length=32, choices=RejectionReason.choices, blank=True, default="")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    auto_approved = models.BooleanField(default=False)
    # The dispute (HM15).
    dispute_reason = models.TextField(blank=True, default="")
    disputed_at = models.DateTimeField(null=True, blank=True)
    settled_cents = models.BigIntegerField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # The same mission is done at most once per tasker (HM12).
            models.UniqueConstraint(fields=["mission", "tasker"], name="missions_one_claim_per_tasker"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="missions_rating_1_5"
            ),
        ]
        indexes = [
            models.Index(fields=["tasker", "state"], name="missions_claim_tasker_idx"),
            models.Index(fields=["mission", "state"], name="missions_claim_mission_idx"),
            models.Index(fields=["state", "deadline_at"], name="missions_claim_due_idx"),
        ]

    def __str__(self) -> str:
        return f"claim {self.pk} on {self.mission_id} by {self.tasker_id}"

    @property
    def claim_to_report_seconds(self) -> int | None:
        """From the claim to the report (PL04); None before the report."""
        if self.submitted_at is None:
            return None
        return round((self.submitted_at - self.claimed_at).total_seconds())

    @property
    def report_form_seconds(self) -> int | None:
        """From the start of the report to its sending (PL04); None when not known."""
        if self.submitted_at is None or self.report_started_at is None:
            return None
        return round((self.submitted_at - self.report_started_at).total_seconds())


class ClaimTransition(Transition):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="transitions")


class Bonus(models.Model):
    """Money a company adds on top of an approved report, with a word for the
    tasker; charged with the fee and VAT of a reward (HM10)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="bonuses")
    amount_cents = models.BigIntegerField()
    fee_cents = models.BigIntegerField()
    vat_cents = models.BigIntegerField()
    message = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="missions_bonus_positive"),
        ]

    def __str__(self) -> str:
        return f"bonus {self.pk} on claim {self.claim_id}"

    @property
    def cost_cents(self) -> int:
        return self.amount_cents + self.fee_cents + self.vat_cents


def report_file_path(instance: "ReportFile", filename: str) -> str:
    # The name is the server's: the one the tasker's device gave is neither trusted nor kept.
    return f"reports/{instance.claim_id}/{instance.question_key}-{server_file_name(instance.content_type)}"


class ReportFile(models.Model):
    """A photo or file answering one of the mission's questions (HM13)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="files")
    question_key = models.CharField(max_length=64)
    # What the tasker and the company see: for a photo, a copy re-encoded
    # without its metadata (GPS, camera) and turned upright.
    file = models.FileField(upload_to=report_file_path)
    # The photo as sent, metadata and all: for staff only (empty for a PDF).
    original = models.FileField(upload_to=report_file_path, blank=True, default="")
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    # What a photo's metadata said before it was stripped (HM13): when and
    # where it was taken, each null when the camera did not say. The position
    # is never shown to the company, only its distance from the mission's place.
    taken_at = models.DateTimeField(null=True, blank=True)
    taken_latitude = models.FloatField(null=True, blank=True)
    taken_longitude = models.FloatField(null=True, blank=True)
    # The photo's perceptual hash (16 hex digits; "" for a flat photo, null
    # for a file or a photo not read yet), and the same hash cut into bands,
    # each indexed, so a photo sent before is found without reading every
    # hash (`core.photos.hash_bands`).
    phash = models.CharField(max_length=16, null=True, blank=True, default=None)
    phash_band_0 = models.IntegerField(null=True, blank=True)
    phash_band_1 = models.IntegerField(null=True, blank=True)
    phash_band_2 = models.IntegerField(null=True, blank=True)
    phash_band_3 = models.IntegerField(null=True, blank=True)
    phash_band_4 = models.IntegerField(null=True, blank=True)
    # Another report's photo that is the same or nearly (set on both).
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        # Partial: a file or a flat photo has no bands. SQLite uses such an index for
        # `band = ?` too, which implies `band IS NOT NULL`.
        indexes = [
            models.Index(
                fields=[f"phash_band_{n}"],
                condition=Q(**{f"phash_band_{n}__isnull": False}),
                name=f"missions_photo_band_{n}_idx",
            )
            for n in range(5)
        ]

    def __str__(self) -> str:
        return f"{self.question_key} for claim {self.claim_id}"
