"""The abuse-report API (AC04), staff's queue, account suspensions and the
contact messages kept for staff (HM18)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from microwork.accounts.roles import current_user, require_role
from microwork.core.pagination import PageParams, keyset_page_ascending
from microwork.core.schemas import TextIn, one_of

from . import inbox, selectors, services
from .models import AbuseReport, ContactMessage, ContactState, ReportReason, ReportState, Suspension, TargetType

router = Router(tags=["moderation"])
staff_router = Router(tags=["staff"])

TargetName: Any = one_of(TargetType)
ReasonName: Any = one_of(ReportReason)
ReportStateName: Any = one_of(ReportState)
ContactStateName: Any = one_of(ContactState)


class AbuseReportIn(TextIn):
    target_type: TargetName
    target_id: str | int
    reason: ReasonName
    details: str = Field("", max_length=services.DETAILS_MAX)


class AbuseReportOut(Schema):
    id: str
    target_type: str
    target_id: str
    reason: str
    details: str
    state: str
    created_at: datetime


class PersonOut(Schema):
    id: str
    display_name: str
    email: str


class StaffAbuseReportOut(AbuseReportOut):
    target_label: str
    reporter: PersonOut
    subject: PersonOut | None
    subject_suspended: bool
    decided_at: datetime | None
    decision_note: str


class StaffReportPage(Schema):
    items: list[StaffAbuseReportOut]
    next_cursor: str | None


class NoteIn(TextIn):
    note: str = Field("", max_length=services.NOTE_MAX)


class SuspendIn(TextIn):
    reason: str = Field(min_length=1, max_length=services.REASON_MAX)
    report_id: str | int | None = None


class SuspensionOut(Schema):
    user_id: str
    suspended: bool
    reason: str
    created_at: datetime | None
    lifted_at: datetime | None


class ContactOut(Schema):
    id: str
    email: str
    name: str
    subject: str
    message: str
    state: str
    created_at: datetime


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


def report_out(report: AbuseReport) -> dict[str, Any]:
    return {
        "id": str(report.pk),
        "target_type": report.target_type,
        "target_id": str(report.target_id),
        "reason": report.reason,
        "details": report.details,
        "state": report.state,
        "created_at": report.created_at,
    }


def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": str(user.pk), "display_name": user.display_name, "email": user.email}


def staff_report_out(report: AbuseReport, suspended: set[int] | None = None) -> dict[str, Any]:
    if suspended is None:
        suspended = selectors.suspended_user_ids([report.subject_id]) if report.subject_id else set()
    return {
        **report_out(report),
        "target_label": report.target_label,
        "reporter": _person(report.reporter),
        "subject": _person(report.subject),
        "subject_suspended": report.subject_id in suspended,
        "decided_at": report.decided_at,
        "decision_note": report.decision_note,
    }


def suspension_out(user_id: int, suspension: Suspension | None) -> dict[str, Any]:
    active = suspension is not None and suspension.lifted_at is None
    return {
        "user_id": str(user_id),
        "suspended": active,
        "reason": suspension.reason if suspension else "",
        "created_at": suspension.created_at if suspension else None,
        "lifted_at": suspension.lifted_at if suspension else None,
    }


def contact_out(contact: ContactMessage) -> dict[str, Any]:
    return {
        "id": str(contact.pk),
        "email": contact.email,
        "name": contact.name,
        "subject": contact.subject,
        "message": contact.message,
        "state": contact.state,
        "created_at": contact.created_at,
    }


# --- Everyone signed in ------------------------------------------------------


@router.post("/abuse-reports", response={200: AbuseReportOut, 201: AbuseReportOut})
def report_create(request: HttpRequest, data: AbuseReportIn) -> Status[dict[str, Any]]:
    """Report what one can see (AC04); a repeat while the first is open answers it, 200."""
    report, created = services.report_create(
        reporter=current_user(request),
        target_type=data.target_type,
        target_id=data.target_id,
        reason=data.reason,
        details=data.details,
    )
    return Status(201 if created else 200, report_out(report))


@router.get("/me/suspension", response=SuspensionOut)
def my_suspension(request: HttpRequest) -> dict[str, Any]:
    user = current_user(request)
    return suspension_out(user.pk, selectors.active_suspension(user))


# --- Staff -------------------------------------------------------------------


@staff_router.get("/abuse-reports", response=StaffReportPage)
def staff_report_list(request: HttpRequest, page: Query[PageParams], state: ReportStateName = "open") -> dict[str, Any]:
    """Reports in `state`, oldest first."""
    require_role(current_user(request), "staff")
    result = keyset_page_ascending(
        selectors.reports_in_state(state), limit=page.limit, cursor=page.cursor, serialize=lambda row: row
    )
    rows: list[AbuseReport] = result["items"]
    suspended = selectors.suspended_user_ids([r.subject_id for r in rows if r.subject_id])
    return {"items": [staff_report_out(r, suspended) for r in rows], "next_cursor": result["next_cursor"]}


def _decide(request: HttpRequest, report_id: str, to: str, data: NoteIn | None) -> dict[str, Any]:
    staff = current_user(request)
    require_role(staff, "staff")
    report = services.report_for_staff(staff, report_id)
    report = services.report_decide(report=report, by=staff, to=to, note=data.note if data else "")
    return staff_report_out(report)


@staff_router.post("/abuse-reports/{report_id}/dismiss", response=StaffAbuseReportOut)
def staff_report_dismiss(request: HttpRequest, report_id: str, data: NoteIn | None = None) -> dict[str, Any]:
    return _decide(request, report_id, ReportState.DISMISSED, data)


@staff_router.post("/abuse-reports/{report_id}/action", response=StaffAbuseReportOut)
def staff_report_action(request: HttpRequest, report_id: str, data: NoteIn | None = None) -> dict[str, Any]:
    return _decide(request, report_id, ReportState.ACTIONED, data)


@staff_router.post("/users/{user_id}/suspend", response=SuspensionOut)
def staff_user_suspend(request: HttpRequest, user_id: str, data: SuspendIn) -> dict[str, Any]:
    staff = current_user(request)
    require_role(staff, "staff")
    user = services.user_for_staff(staff, user_id)
    report = services.report_for_staff(staff, data.report_id) if data.report_id is not None else None
    suspension = services.account_suspend(user=user, by=staff, reason=data.reason, report=report)
    return suspension_out(user.pk, suspension)


@staff_router.post("/users/{user_id}/unsuspend", response=SuspensionOut)
def staff_user_unsuspend(request: HttpRequest, user_id: str) -> dict[str, Any]:
    staff = current_user(request)
    require_role(staff, "staff")
    user = services.user_for_staff(staff, user_id)
    return suspension_out(user.pk, services.account_unsuspend(user=user, by=staff))


@staff_router.get("/contact-messages", response=ContactPage)
def staff_contact_list(
    request: HttpRequest, page: Query[PageParams], state: ContactStateName = "open"
) -> dict[str, Any]:
    """Contact messages in `state`, oldest first (HM18)."""
    require_role(current_user(request), "staff")
    return keyset_page_ascending(
        selectors.contact_messages_in_state(state), limit=page.limit, cursor=page.cursor, serialize=contact_out
    )


def _contact_move(request: HttpRequest, contact_id: str, to: str) -> dict[str, Any]:
    staff = current_user(request)
    require_role(staff, "staff")
    contact = selectors.contact_message_by_id(contact_id)
    return contact_out(inbox.contact_message_move(contact=contact, by=staff, to=to))


@staff_router.post("/contact-messages/{contact_id}/answered", response=ContactOut)
def staff_contact_answered(request: HttpRequest, contact_id: str) -> dict[str, Any]:
    return _contact_move(request, contact_id, ContactState.ANSWERED)


@staff_router.post("/contact-messages/{contact_id}/close", response=ContactOut)
def staff_contact_close(request: HttpRequest, contact_id: str) -> dict[str, Any]:
    return _contact_move(request, contact_id, ContactState.CLOSED)
