"""What micro-missions tell the companies' integrations (core.events): a
report arrived, a mission has no free place left. Called inside the
transaction that made it happen."""

from microwork.core.events import emit

from .models import Claim, Mission


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
