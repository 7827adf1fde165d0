"""What micro-missions tell the companies' integrations (core.events): a
report arrived, a mission has no free place left, every item of a batch is settled. Called inside the
transaction that made it happen."""

from microwork.core.events import emit

from .models import Batch, Claim, Mission


def report_submitted(claim: Claim, mission: Mission) -> None:
    emit(
        "report.submitted",
        company_id=mission.company_id,
        data={
            "claim_id": str(claim.pk),
            "mission_id": str(mission.pk),
            "mission_title": mission.title,
            "state": claim.state,
            "submitted_at": claim.submitted_at.isoformat() if claim.submitted_at else None,
        },
    )


def mission_full(mission: Mission) -> None:
    emit(
        "mission.full",
        company_id=mission.company_id,
        data={"mission_id": str(mission.pk), "mission_title": mission.title, "places": mission.places},
    )


def batch_done(batch: Batch, *, approved: int, rejected: int) -> None:
    emit(
        "batch.done",
        company_id=batch.company_id,
        data={
            "batch_id": str(batch.pk),
            "batch_title": batch.title,
            "items": batch.items,
            "approved": approved,
            "rejected": rejected,
            "done_at": batch.done_at.isoformat() if batch.done_at else None,
        },
    )
