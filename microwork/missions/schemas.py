"""The JSON shapes of missions and claims: what the API reads, checked at
the edge, and what it answers."""

import re
from datetime import datetime
from typing import Annotated, Any

from django.utils.translation import gettext_lazy
from ninja import Field, Schema
from pydantic import StrictInt, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from microwork.core.schemas import Text, TextIn, one_of

from . import services
from .models import (
    BatchState,
    Category,
    ClaimState,
    MissionState,
    QuestionKind,
    RejectionReason,
)

# The slugs as types, for a reader of the API's types; the fields below use the
# model's TextChoices themselves, so neither list is ever typed twice.
CategorySlug: Any = one_of(Category)
ClaimStateName: Any = one_of(ClaimState)


class LocationIn(Schema):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_km: float = Field(gt=0, le=services.MAX_RADIUS_KM)
    address: str = Field("", max_length=300, description="The place's address, shown to taskers")


class PositionIn(Schema):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ClaimIn(Schema):
    """Optional: where the tasker stands, checked against a mission tied to a place (HM12)."""

    position: PositionIn | None = None


class QuestionIn(Schema):
    key: str | None = Field(None, max_length=64)
    label: str = Field(max_length=300)
    kind: QuestionKind
    required: bool = True
    choices: list[str] | None = Field(None, max_length=50)


class QuestionOut(Schema):
    """A question as the mission keeps it (`models.Question`): every field filled."""

    key: str
    label: str
    kind: QuestionKind
    required: bool
    choices: list[str]


#: Who may take a mission; left out, every tasker may, new ones included.
MinApprovalRate = Annotated[
    float | None, Field(ge=0, le=1, description="Approved reports out of reviewed ones, 0 to 1 in whole percent (0.95)")
]
MinApprovedReports = Annotated[int | None, Field(ge=0, le=services.MAX_MIN_APPROVED_REPORTS)]


class MissionIn(TextIn):
    title: str = Field(max_length=200)
    category: Category
    instructions: str = Field(max_length=20_000)
    estimated_minutes: int | None = Field(None, ge=1, le=services.MAX_MINUTES)
    estimated_seconds: int | None = Field(None, ge=1, le=services.MAX_MINUTES * 60)  # MW02
    reward_cents: StrictInt = Field(ge=1, le=10**9)
    places: int = Field(ge=1, le=services.MAX_PLACES)
    location: LocationIn | None = None
    ends_at: datetime | None = None
    questions: list[QuestionIn] | None = Field(None, max_length=services.MAX_QUESTIONS)
    min_approval_rate: MinApprovalRate = None
    min_approved_reports: MinApprovedReports = None

    def mission_fields(self) -> dict[str, Any]:
        """What `services.mission_create` takes from this body, besides the company."""
        location = self.location
        return {
            "title": self.title,
            "category": self.category,
            "instructions": self.instructions,
            "estimated_minutes": self.estimated_minutes,
            "estimated_seconds": self.estimated_seconds,
            "reward_cents": self.reward_cents,
            "places": self.places,
            "location": None
            if location is None
            else services.Location(
                lat=location.lat, lon=location.lon, radius_km=location.radius_km, address=location.address
            ),
            "ends_at": self.ends_at,
            "questions": [q.dict() for q in self.questions or []],
            "min_approval_percent": services.approval_percent(self.min_approval_rate),
            "min_approved_reports": self.min_approved_reports or 0,
        }


#: A whole number as a CSV cell writes it: digits, a sign at most (never "3.0" or "1_000").
WHOLE_NUMBER = re.compile(r"[+-]?\d+")


class MissionRow(MissionIn):
    """A mission as one row of a CSV file gives it (MW04): the single
    mission's body, whose whole numbers are cells of text (the JSON body
    wants numbers), written as digits only."""

    reward_cents: int = Field(ge=1, le=10**9)

    @field_validator(
        "estimated_minutes", "estimated_seconds", "reward_cents", "places", "min_approved_reports", mode="before"
    )
    @classmethod
    def _digits(cls, value: Any) -> Any:
        if isinstance(value, str) and not WHOLE_NUMBER.fullmatch(value):
            raise PydanticCustomError("int_parsing", "Input should be a valid integer")
        return value


#: What a field that breaks the schema is told, by the kind of error (with
#: the error's own limits); others keep pydantic's words.
_CELL_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "int_parsing": gettext_lazy("A whole number is required."),
    "int_type": gettext_lazy("A whole number is required."),
    "int_from_float": gettext_lazy("A whole number is required."),
    "float_parsing": gettext_lazy("A number is required."),
    "float_type": gettext_lazy("A number is required."),
    "enum": gettext_lazy("This value is not one of the accepted ones."),
    "literal_error": gettext_lazy("This value is not one of the accepted ones."),
    "datetime_parsing": gettext_lazy("An ISO 8601 date and time with offset is required."),
    "datetime_from_date_parsing": gettext_lazy("An ISO 8601 date and time with offset is required."),
    "datetime_type": gettext_lazy("An ISO 8601 date and time with offset is required."),
    "string_too_long": gettext_lazy("At most %(max_length)s characters."),
    "too_long": gettext_lazy("At most %(max_length)s items."),
    "greater_than_equal": gettext_lazy("At least %(ge)s."),
    "greater_than": gettext_lazy("More than %(gt)s."),
    "less_than_equal": gettext_lazy("At most %(le)s."),
    "less_than": gettext_lazy("Less than %(lt)s."),
}


def schema_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Each field a body or a file's row breaks, as the API's problem lists them."""
    errors = []
    for error in exc.errors():
        message = _CELL_MESSAGES.get(error["type"])
        errors.append(
            {
                "field": ".".join(str(part) for part in error.get("loc", ())) or "row",
                "message": str(message) % error.get("ctx", {}) if message else str(error.get("msg", "")),
            }
        )
    return errors


class LocationOut(Schema):
    lat: float
    lon: float
    radius_km: float


class CompanyStatsOut(Schema):
    """The company's record as a reviewer (PL05); each None until there is one."""

    rejection_rate: float | None
    overturned_rate: float | None
    median_review_hours: float | None


class MissionOut(Schema):
    id: str
    company_id: str
    title: str
    category: str
    instructions: str
    estimated_minutes: int
    estimated_seconds: int
    measured_seconds: int | None
    reward_cents: int
    hourly_rate_cents: int
    fee_cents: int
    vat_cents: int
    place_cost_cents: int
    cost_cents: int
    places: int
    places_left: int
    places_approved: int
    location: LocationOut | None
    address: str = Field(description="The address of a mission tied to a place, as the company chose it; empty if none")
    ends_at: datetime | None
    questions: list[QuestionOut]
    state: str
    change_reason: str
    created_at: datetime
    submitted_at: datetime | None
    published_at: datetime | None
    min_approval_rate: float = Field(description="Who may take it: approved reports out of reviewed ones, 0 to 1")
    min_approved_reports: int = Field(description="Who may take it: at least this many approved reports")
    company_stats: CompanyStatsOut | None = None


class MissionPage(Schema):
    items: list[MissionOut]
    next_cursor: str | None


class BatchOut(Schema):
    ids: list[str]
    items: list[MissionOut]


class ReasonIn(TextIn):
    reason: str = Field(min_length=1, max_length=2000)


class MissionFilters(Schema):
    category: Category | None = None
    near: str | None = Field(None, max_length=64)
    min_reward_cents: int | None = Field(None, ge=0, le=10**9)
    q: Text | None = Field(None, max_length=200)
    state: MissionState | None = None


class TransitionOut(Schema):
    from_state: str
    to_state: str
    at: datetime
    reason: str


class PhotoProofOut(Schema):
    """A report photo weighed against its claim and its mission (HM13)."""

    taken_at: datetime | None = Field(description="When the camera says the photo was taken; null if it does not")
    within_window: bool | None = Field(
        description="Taken between the claim and the report (a few minutes' clock skew allowed); null without a time"
    )
    distance_km: float | None = Field(
        description="From the mission's place, by the photo's GPS; null without a position or a place"
    )
    within_radius: bool | None = Field(description="Inside the mission's radius; null when distance_km is")
    duplicate_of: str | None = Field(description="Another report photo that is the same or nearly; null if none")
    warnings: list[str] = Field(
        description="What to look at, empty when the photo was taken here, during the mission: no_metadata, "
        "no_time, taken_before_claim, taken_after_report, no_position, outside_radius, duplicate"
    )


class ReportFileOut(Schema):
    id: str
    question_key: str
    content_type: str
    size: int
    # The page's address (a signed-in browser), and the API's (a bearer token).
    url: str
    download_url: str
    proof: PhotoProofOut | None = Field(None, description="For a photo: when and where it was taken (HM13)")


class ReportOut(Schema):
    answers: dict[str, Any]
    text: str
    links: list[str]
    files: list[ReportFileOut]
    submitted_at: datetime | None


class BonusIn(TextIn):
    amount_cents: StrictInt
    message: str | None = Field(None, max_length=2000)


class BonusOut(Schema):
    id: str
    claim_id: str
    mission_id: str
    mission_title: str
    amount_cents: int
    fee_cents: int
    vat_cents: int
    cost_cents: int
    message: str
    created_at: datetime


class BonusPage(Schema):
    items: list[BonusOut]
    next_cursor: str | None


class ClaimOut(Schema):
    id: str
    mission_id: str
    mission_title: str
    tasker_id: str
    tasker_name: str
    state: str
    reward_cents: int
    claimed_at: datetime
    deadline_at: datetime
    report: ReportOut | None
    report_started_at: datetime | None = Field(
        None, description="When the tasker started the report sent, if known (PL04)"
    )
    claim_to_report_seconds: int | None = Field(None, description="From the claim to the report (PL04)")
    report_form_seconds: int | None = Field(None, description="From the start of the report to its sending (PL04)")
    rating: int | None
    comment: str
    rejection_reason: str
    rejection_reason_code: RejectionReason | None
    reviewed_at: datetime | None
    auto_approved: bool
    dispute_reason: str
    disputed_at: datetime | None
    settled_cents: int | None
    history: list[TransitionOut] | None = None
    # The bonuses added to the report, on the claim's own GET and the answers of its actions.
    bonuses: list[BonusOut] | None = None


class ClaimPage(Schema):
    items: list[ClaimOut]
    next_cursor: str | None


class ClaimFilters(Schema):
    state: ClaimState | None = None
    mission_id: str | None = Field(None, max_length=20)


# One value per question: the service keeps each as text. A list or an object
# nested without end would only exhaust the stack while being checked.
AnswerValue = str | int | float | bool | None


class ReportIn(TextIn):
    answers: dict[str, AnswerValue] = Field(default_factory=dict)
    text: str | None = Field(None, max_length=10_000)
    links: list[str] | None = Field(None, max_length=20)
    started_at: datetime | None = Field(
        None, description="When the tasker started the report; kept within the claim's time (PL04)"
    )


class ApproveIn(TextIn):
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)


class RejectIn(TextIn):
    reason_code: RejectionReason
    reason: str = Field(min_length=1, max_length=2000)
    rating: int | None = Field(None, ge=1, le=5)


class SettleIn(Schema):
    tasker_paid_cents: StrictInt = Field(ge=0, le=10**9)


# --- Template batches (MW04) --------------------------------------------------


class BatchTemplateIn(TextIn):
    """The template of a batch: a mission whose title and instructions may
    name `${variables}`, filled from each row of the items file."""

    title: str = Field(max_length=200)
    category: Category
    instructions: str = Field(max_length=20_000)
    estimated_minutes: int | None = Field(None, ge=1, le=services.MAX_MINUTES)
    estimated_seconds: int | None = Field(None, ge=1, le=services.MAX_MINUTES * 60)
    reward_cents: StrictInt = Field(ge=1, le=10**9)
    places: int = Field(1, ge=1, le=services.MAX_PLACES, description="Places per item")
    questions: list[QuestionIn] | None = Field(None, max_length=services.MAX_QUESTIONS)
    wave_size: int | None = Field(None, ge=1, description="Items published per wave; all at once when null")
    wave_minutes: int | None = Field(
        None, ge=1, description="Minutes between waves; only when the last is done if null"
    )
    min_approval_rate: MinApprovalRate = None
    min_approved_reports: MinApprovedReports = None


class TemplateBatchProgressOut(Schema):
    items: int
    released: int
    open: int
    done: int
    submitted: int
    approved: int
    rejected: int


class TemplateBatchOut(Schema):
    id: str
    company_id: str
    title: str
    category: str
    instructions: str
    estimated_minutes: int
    estimated_seconds: int
    reward_cents: int
    places: int
    questions: list[QuestionOut]
    variables: list[str]
    items: int
    cost_cents: int
    wave_size: int | None
    wave_minutes: int | None
    waves: int
    waves_released: int
    state: str
    change_reason: str
    progress: TemplateBatchProgressOut
    results_url: str
    created_at: datetime
    submitted_at: datetime | None
    published_at: datetime | None
    done_at: datetime | None
    mission_ids: list[str] | None = None


class TemplateBatchPage(Schema):
    items: list[TemplateBatchOut]
    next_cursor: str | None


class TemplateBatchFilters(Schema):
    state: BatchState | None = None
