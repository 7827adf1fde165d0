"""Reads of trust and safety, and the one suspension rule (AC04).

Below the domain apps: missions and gigs call `ensure_not_suspended` from
their services, so this module reads only its own models."""

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from microwork.core.errors import Forbidden, NotFound
from microwork.core.ids import parse_id

from .models import AbuseReport, ContactMessage, ContactState, ReportState, Suspension

if TYPE_CHECKING:
    from microwork.accounts.models import User


class AccountSuspended(Forbidden, code="account_suspended", title=gettext_lazy("This account is suspended.")):
    """A suspended account may read and keep its money, not claim, post, sell or buy (403)."""


def active_suspension(user: "User") -> Suspension | None:
    """The suspension in force on the account, if any."""
    if user.pk is None:
        return None
    return Suspension.objects.filter(user_id=user.pk, lifted_at__isnull=True).first()


def is_suspended(user: "User") -> bool:
    return user.pk is not None and Suspension.objects.filter(user_id=user.pk, lifted_at__isnull=True).exists()


def ensure_not_suspended(user: "User", *, other: "User | None" = None) -> None:
    """Refuse with `403 account_suspended` an action of a suspended account, or
    one made with a suspended account (`other`: the seller of a new order, the
    company whose mission staff would publish)."""
    suspension = active_suspension(user)
    if suspension is not None:
        raise AccountSuspended(
            _("Your account is suspended: %(reason)s. You can still sign in, read and be paid what you earned.")
            % {"reason": suspension.reason.rstrip(". ")}
        )
    if other is not None and is_suspended(other):
        raise AccountSuspended(_("The other account is suspended: no new order or publication with it for now."))


def suspended_user_ids(among: list[int]) -> set[int]:
    return set(Suspension.objects.filter(user_id__in=among, lifted_at__isnull=True).values_list("user_id", flat=True))


def suspensions_active() -> QuerySet[Suspension]:
    return Suspension.objects.filter(lifted_at__isnull=True).select_related("user", "created_by")


def reports_in_state(state: str = ReportState.OPEN) -> QuerySet[AbuseReport]:
    """Reports in `state`, for staff; callers order them (oldest first for the queue)."""
    return AbuseReport.objects.filter(state=state).select_related("reporter", "subject", "decided_by")


def report_history(report: AbuseReport) -> QuerySet[Any]:
    return report.transitions.select_related("by").order_by("pk")


def contact_messages_in_state(state: str = ContactState.OPEN) -> QuerySet[ContactMessage]:
    return ContactMessage.objects.filter(state=state)


def contact_message_by_id(contact_id: object) -> ContactMessage:
    pk = parse_id(contact_id)
    contact = ContactMessage.objects.filter(pk=pk).first() if pk else None
    if contact is None:
        raise NotFound()
    return contact


def abuse_reports_filed_by(user: "User") -> list[dict[str, Any]]:
    """The reports a user filed, for their data export (AC03): JSON-ready, oldest first.
    Only what the reporter wrote and the report's state: nothing of another user."""
    return [
        {
            "target_type": report.target_type,
            "target_id": str(report.target_id),
            "reason": report.reason,
            "details": report.details,
            "state": report.state,
            "created_at": report.created_at.isoformat(),
        }
        for report in AbuseReport.objects.filter(reporter_id=user.pk).order_by("pk")
    ]
