"""Mission page forms, by subject: `missions` (filters, the mission and its
questions, template batches, claims) and `reports` (the report and its
review). They check the shape of the input; the rules live in services."""

from .missions import (
    DURATION_UNITS,
    PAGE_QUESTIONS,
    UNIT_SECONDS,
    BatchForm,
    BatchTemplateForm,
    ClaimForm,
    DurationForm,
    MissionFilterForm,
    MissionForm,
    PriceForm,
    QuestionForm,
    QuestionFormSet,
    duration_initial,
    euros,
    question_initial,
    question_slots,
)
from .reports import (
    ApproveForm,
    BonusForm,
    ReasonForm,
    RejectForm,
    ReportForm,
    SettleForm,
    field_name,
    report_started_stamp,
)

__all__ = [
    "DURATION_UNITS",
    "PAGE_QUESTIONS",
    "UNIT_SECONDS",
    "ApproveForm",
    "BatchForm",
    "BatchTemplateForm",
    "BonusForm",
    "ClaimForm",
    "DurationForm",
    "MissionFilterForm",
    "MissionForm",
    "PriceForm",
    "QuestionForm",
    "QuestionFormSet",
    "ReasonForm",
    "RejectForm",
    "ReportForm",
    "SettleForm",
    "duration_initial",
    "euros",
    "field_name",
    "question_initial",
    "question_slots",
    "report_started_stamp",
]
