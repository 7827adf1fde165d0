"""What the micro-missions' API answers, built from the models: each
function gives the dict its `...Out` schema in `schemas.py` describes."""

import math
from typing import Any

from microwork.core.schemas import one_of
from microwork.core.serialisers import history_out

from . import selectors
from .models import (
    Batch,
    Bonus,
    Category,
    Claim,
    ClaimState,
    Mission,
    ReportFile,
)

# The slugs as types, for a reader of the API's types; the fields below use the
# model's TextChoices themselves, so neither list is ever typed twice.
CategorySlug: Any = one_of(Category)
ClaimStateName: Any = one_of(ClaimState)


def mission_out(mission: Mission, *, company_stats: dict[str, float | None] | None = None) -> dict[str, Any]:
    """A mission as the API shows it; `company_stats` on its own page (PL05)."""
    return {
        "id": str(mission.pk),
        "company_id": str(mission.company_id),
        "title": mission.title,
        "category": mission.category,
        "instructions": mission.instructions,
        "estimated_minutes": mission.estimated_minutes,
        "estimated_seconds": mission.estimated_seconds,
        "measured_seconds": mission.measured_seconds,
        "reward_cents": mission.reward_cents,
        "hourly_rate_cents": mission.hourly_rate_cents,
        "fee_cents": mission.fee_cents,
        "vat_cents": mission.vat_cents,
        "place_cost_cents": mission.place_cost_cents,
        "cost_cents": mission.cost_cents,
        "places": mission.places,
        "places_left": mission.places_left,
        "places_approved": mission.places_approved,
        "address": mission.address,
        "location": (
            {
                "lat": mission.latitude,
                "lon": mission.longitude,
                "radius_km": mission.radius_km,
            }
            if mission.has_location
            else None
        ),
        "ends_at": mission.ends_at,
        "questions": mission.questions,
        "state": mission.state,
        "change_reason": mission.change_reason,
        "created_at": mission.created_at,
        "submitted_at": mission.submitted_at,
        "published_at": mission.published_at,
        "min_approval_rate": mission.min_approval_rate,
        "min_approved_reports": mission.min_approved_reports,
        "company_stats": company_stats,
    }


def report_file_out(upload: ReportFile, claim: Claim) -> dict[str, Any]:
    proof = selectors.photo_proof(upload, claim, claim.mission)
    return {
        "id": str(upload.pk),
        "question_key": upload.question_key,
        "content_type": upload.content_type,
        "size": upload.size,
        "url": f"/missions/claims/{claim.pk}/files/{upload.pk}/",
        "download_url": f"/api/v1/claims/{claim.pk}/report/files/{upload.pk}",
        "proof": proof.as_dict() if proof is not None else None,
    }


def claim_out(claim: Claim, *, history: bool = False) -> dict[str, Any]:
    reported = claim.submitted_at is not None
    return {
        "id": str(claim.pk),
        "mission_id": str(claim.mission_id),
        "mission_title": claim.mission.title,
        "tasker_id": str(claim.tasker_id),
        "tasker_name": claim.tasker.display_name,
        "state": claim.state,
        "reward_cents": claim.mission.reward_cents,
        "claimed_at": claim.claimed_at,
        "deadline_at": claim.deadline_at,
        "report": (
            {
                "answers": claim.answers,
                "text": claim.text,
                "links": claim.links,
                "files": [report_file_out(f, claim) for f in claim.files.all()],
                "submitted_at": claim.submitted_at,
            }
            if reported
            else None
        ),
        "report_started_at": claim.report_started_at,
        "claim_to_report_seconds": claim.claim_to_report_seconds,
        "report_form_seconds": claim.report_form_seconds,
        "rating": claim.rating,
        "comment": claim.comment,
        "rejection_reason": claim.rejection_reason,
        "rejection_reason_code": claim.rejection_reason_code or None,
        "reviewed_at": claim.reviewed_at,
        "auto_approved": claim.auto_approved,
        "dispute_reason": claim.dispute_reason,
        "disputed_at": claim.disputed_at,
        "settled_cents": claim.settled_cents,
        "history": history_out(claim.transitions, who=False) if history else None,
        "bonuses": [bonus_out(b, claim=claim) for b in claim.bonuses.order_by("pk")] if history else None,
    }


def bonus_out(bonus: Bonus, *, claim: Claim | None = None) -> dict[str, Any]:
    claim = claim or bonus.claim
    return {
        "id": str(bonus.pk),
        "claim_id": str(claim.pk),
        "mission_id": str(claim.mission_id),
        "mission_title": claim.mission.title,
        "amount_cents": bonus.amount_cents,
        "fee_cents": bonus.fee_cents,
        "vat_cents": bonus.vat_cents,
        "cost_cents": bonus.cost_cents,
        "message": bonus.message,
        "created_at": bonus.created_at,
    }


def batch_out(batch: Batch, *, progress: dict[str, int], mission_ids: list[int] | None = None) -> dict[str, Any]:
    return {
        "id": str(batch.pk),
        "company_id": str(batch.company_id),
        "title": batch.title,
        "category": batch.category,
        "instructions": batch.instructions,
        "estimated_minutes": math.ceil(batch.estimated_seconds / 60),
        "estimated_seconds": batch.estimated_seconds,
        "reward_cents": batch.reward_cents,
        "places": batch.places,
        "questions": batch.questions,
        "variables": batch.variables,
        "items": batch.items,
        "cost_cents": progress["cost_cents"],
        "wave_size": batch.wave_size,
        "wave_minutes": batch.wave_minutes,
        "waves": batch.waves,
        "waves_released": batch.waves_released,
        "state": batch.state,
        "change_reason": batch.change_reason,
        "progress": {k: v for k, v in progress.items() if k != "cost_cents"},
        "results_url": f"/api/v1/batches/{batch.pk}/results.csv",
        "created_at": batch.created_at,
        "submitted_at": batch.submitted_at,
        "published_at": batch.published_at,
        "done_at": batch.done_at,
        "mission_ids": [str(pk) for pk in mission_ids] if mission_ids is not None else None,
    }
