"""Records: a tasker's (the quality filters of missions), a company's as a
reviewer (PL05), and the time a mission really takes (PL04)."""

import statistics
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db.models import (
    Count,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from ..models import Claim, ClaimState, Mission

# --- A tasker's record: the quality filters of missions ------------------------

#: A report counts as approved once the company approved it, or once staff
#: overturned its rejection with pay for the tasker (HM15).
_APPROVED_REPORT = Q(state=ClaimState.APPROVED) | Q(state=ClaimState.SETTLED, settled_cents__gt=0)
_REVIEWED_REPORT = Q(state__in=(ClaimState.APPROVED, ClaimState.REJECTED, ClaimState.DISPUTED, ClaimState.SETTLED))


@dataclass(frozen=True)
class TaskerRecord:
    """A tasker's reports as the quality filters read them: how many were
    approved, out of how many reviewed."""

    approved_reports: int
    reviewed_reports: int

    @property
    def approval_rate(self) -> float | None:
        """Approved out of reviewed, from 0 to 1; None before any review."""
        return round(self.approved_reports / self.reviewed_reports, 3) if self.reviewed_reports else None

    @property
    def approval_percent(self) -> int | None:
        """The rate in whole percent, rounded down: what passes a filter of that many percent."""
        return self.approved_reports * 100 // self.reviewed_reports if self.reviewed_reports else None


def tasker_record(tasker_id: int) -> TaskerRecord:
    """The tasker's record, in one query (over the claims' tasker index)."""
    counts = Claim.objects.filter(tasker_id=tasker_id).aggregate(
        approved=Count("pk", filter=_APPROVED_REPORT), reviewed=Count("pk", filter=_REVIEWED_REPORT)
    )
    return TaskerRecord(approved_reports=counts["approved"], reviewed_reports=counts["reviewed"])


class QualityBar(NamedTuple):
    """A mission's quality filters alone (what `tasker_qualifies` reads of it),
    for a mission kept in a cache rather than read as a row."""

    min_approved_reports: int
    min_approval_percent: int

    @property
    def filters(self) -> bool:
        return bool(self.min_approved_reports or self.min_approval_percent)


def tasker_qualifies(mission: Mission | QualityBar, record: TaskerRecord) -> bool:
    """Whether the record passes the mission's quality filters. A tasker with
    no review yet has rejected nothing: the rate filter lets them in, the
    count filter keeps them out (as `open_to_record_of` reads it in SQL)."""
    return (
        record.approved_reports >= mission.min_approved_reports
        and record.approved_reports * 100 >= mission.min_approval_percent * record.reviewed_reports
    )


def _claims_count(tasker_id: int, which: Q) -> Subquery:
    """COUNT over the tasker's claims, as a subquery that names no outer
    column: the database reads it once per query, never once per row."""
    counted = (
        Claim.objects.filter(which, tasker_id=tasker_id).order_by().annotate(n=Func(F("pk"), function="COUNT"))
    ).values("n")
    return Subquery(counted, output_field=IntegerField())


def open_to_record_of(tasker_id: int) -> Q:
    """The missions whose quality filters the tasker's record passes: two
    integer columns of the row compared with the tasker's two figures, read
    once inside the list's own query (`tasker_qualifies`, in SQL)."""
    approved = _claims_count(tasker_id, _APPROVED_REPORT)
    reviewed = _claims_count(tasker_id, _REVIEWED_REPORT)
    return Q(min_approval_percent=0, min_approved_reports=0) | (
        Q(min_approved_reports__lte=approved)
        & Q(LessThanOrEqual(F("min_approval_percent") * reviewed, approved * Value(100)))
    )


# --- A company's record as a reviewer (PL05) ---------------------------------

#: The record covers the reviews of the last RECORD_DAYS days.
RECORD_DAYS = 180
#: A company whose rejections staff overturn this often (out of at least
#: UNDER_REVIEW_MIN_REJECTIONS) has each new rejection sent to staff.
UNDER_REVIEW_OVERTURNED_RATE = 0.25
UNDER_REVIEW_MIN_REJECTIONS = 4
_RECORD_CACHE_SECONDS = 300
_REJECTED_STATES = (ClaimState.REJECTED, ClaimState.DISPUTED, ClaimState.SETTLED)


def _record_key(company_id: int) -> str:
    return f"missions:company-record:{company_id}"


def company_record(company_id: int) -> dict[str, Any]:
    """How the company reviews reports, as taskers see it before they claim
    (PL05): the share of reports it rejects, the share of those rejections that
    staff overturned (a dispute settled with pay for the tasker), the median
    hours from report to review; each None until there is a record. Kept in the
    cache for a few minutes; a review forgets it (`company_record_forget`)."""
    cached = cache.get(_record_key(company_id))
    if cached is not None:
        return dict(cached)
    reviewed = Claim.objects.filter(
        mission__company_id=company_id,
        submitted_at__isnull=False,
        reviewed_at__gte=timezone.now() - timedelta(days=RECORD_DAYS),
    )
    counts = reviewed.aggregate(
        reviews=Count("pk"),
        rejections=Count("pk", filter=Q(state__in=_REJECTED_STATES)),
        overturned=Count("pk", filter=Q(state=ClaimState.SETTLED, settled_cents__gt=0)),
    )
    waits = [
        (reviewed_at - submitted_at).total_seconds() / 3600
        for submitted_at, reviewed_at in reviewed.order_by("-reviewed_at").values_list("submitted_at", "reviewed_at")[
            :500
        ]
        if submitted_at and reviewed_at
    ]
    reviews, rejections = counts["reviews"], counts["rejections"]
    record = {
        "rejection_rate": round(rejections / reviews, 3) if reviews else None,
        "overturned_rate": round(counts["overturned"] / rejections, 3) if rejections else None,
        "median_review_hours": round(statistics.median(waits), 1) if waits else None,
        "rejections": rejections,
    }
    cache.set(_record_key(company_id), record, _RECORD_CACHE_SECONDS)
    return dict(record)


def company_record_forget(company_id: int) -> None:
    cache.delete(_record_key(company_id))


def company_stats(company_id: int) -> dict[str, float | None]:
    """The record as the API and the mission page show it (PL05)."""
    record = company_record(company_id)
    return {key: record[key] for key in ("rejection_rate", "overturned_rate", "median_review_hours")}


def company_rejections_under_review(company_id: int) -> bool:
    """Staff overturn this company's rejections too often: each new one goes
    to staff before it stands (PL05), until its record mends."""
    record = company_record(company_id)
    return (
        record["rejections"] >= UNDER_REVIEW_MIN_REJECTIONS
        and (record["overturned_rate"] or 0) >= UNDER_REVIEW_OVERTURNED_RATE
    )


# --- Time really taken (PL04) -------------------------------------------------

#: The median counts once this many reports are in.
MEASURED_MIN_REPORTS = 5


def measured_median_seconds(mission: Mission) -> int | None:
    """The median time taskers took on this mission, once
    MEASURED_MIN_REPORTS reports are in (PL04): per report, from the start of
    the report form when it is known, else from the claim, to the report. A
    place held for hours before the tasker started counts for nothing; a
    tasker who kept the form open from the claim on counts it all."""
    spans = [
        (submitted_at - (started_at or claimed_at)).total_seconds()
        for claimed_at, started_at, submitted_at in Claim.objects.filter(mission=mission, submitted_at__isnull=False)
        .order_by("-submitted_at")
        .values_list("claimed_at", "report_started_at", "submitted_at")[:1000]
        if submitted_at
    ]
    if len(spans) < MEASURED_MIN_REPORTS:
        return None
    return max(1, round(statistics.median(spans)))


def missions_underpaid() -> QuerySet[Mission]:
    """Missions whose measured time put the reward under the SMIC, for staff (PL04)."""
    return Mission.objects.filter(underpaid_at__isnull=False).select_related("company").order_by("-underpaid_at")
