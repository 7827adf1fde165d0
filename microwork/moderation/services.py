"""Abuse reports and account suspensions (AC04): the writes.

Here, beside ops and above the domain apps, because a report first checks
that its reporter may see what they report, through each app's selectors;
and a suspension tells the user. The suspension rule itself is read by the
domain apps from `selectors.ensure_not_suspended`."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from microwork.accounts.models import User
from microwork.accounts.roles import require_role
from microwork.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from microwork.core.ids import parse_id
from microwork.core.ratelimit import rate_limit
from microwork.core.states import state_move, state_start
from microwork.gigs import selectors as gigs
from microwork.gigs.models import OrderMessage
from microwork.missions import selectors as missions
from microwork.notifications.services import notify

from .models import (
    REPORT_MOVES,
    AbuseReport,
    AbuseReportTransition,
    ReportReason,
    ReportState,
    Suspension,
    TargetType,
)
from .selectors import active_suspension

REPORTS_PER_HOUR = 10
DETAILS_MAX = 2000
NOTE_MAX = 500
REASON_MAX = 500


class AlreadySuspended(Conflict, code="already_suspended", title=gettext_lazy("This account is already suspended.")):
    pass


class NotSuspended(Conflict, code="not_suspended", title=gettext_lazy("This account is not suspended.")):
    pass


@dataclass(frozen=True)
class Target:
    """What a report points at, as its reporter may see it."""

    label: str
    subject: User | None


def _require_staff(user: User) -> None:
    require_role(user, "staff", message=_("Only staff handle reports and suspensions."))


def _user_target(reporter: User, pk: int) -> Target:
    """A user the reporter dealt with (an order, a claim on a mission), or
    anyone public: an approved expert, a company with a published mission."""
    target = User.objects.filter(pk=pk, is_active=True).first()
    if target is None:
        raise NotFound()
    visible = (
        reporter.is_staff_member
        or (target.is_expert and _is_public_expert(pk))
        or missions.missions_visible_to(reporter).filter(company=target).exists()
        or gigs.orders_visible_to(reporter).filter(Q(buyer=target) | Q(expert=target)).exists()
        or missions.claims_visible_to(reporter).filter(Q(tasker=target) | Q(mission__company=target)).exists()
    )
    if not visible:
        raise NotFound()
    return Target(label=target.display_name, subject=target)


def _is_public_expert(pk: int) -> bool:
    try:
        gigs.expert_public(pk)
    except NotFound:
        return False
    return True


def target_for(reporter: User, target_type: str, target_id: object) -> Target:
    """The target if `reporter` may see it; not found otherwise, never saying whether it exists."""
    pk = parse_id(target_id)
    if pk is None:
        raise NotFound()
    if target_type == TargetType.MISSION:
        mission = missions.mission_for(reporter, pk)
        return Target(label=mission.title, subject=mission.company)
    if target_type == TargetType.OFFER:
        try:
            offer = gigs.offer_public(pk)
        except NotFound:
            offer = gigs.offer_of_expert(reporter, pk)
        return Target(label=offer.title, subject=offer.expert)
    if target_type == TargetType.ORDER:
        order = gigs.order_for(reporter, pk)
        other = order.expert if order.buyer_id == reporter.pk else order.buyer
        return Target(label=order.title, subject=other)
    if target_type == TargetType.MESSAGE:
        message = (
            OrderMessage.objects.select_related("order", "author")
            .filter(pk=pk, order__in=gigs.orders_visible_to(reporter))
            .first()
        )
        if message is None:
            raise NotFound()
        return Target(label=f"{message.order.title}: {message.body[:120]}", subject=message.author)
    if target_type == TargetType.USER:
        return _user_target(reporter, pk)
    raise InvalidInput(_("Choose what you report."), field="target_type")


def report_create(
    *, reporter: User, target_type: str, target_id: object, reason: str, details: str = ""
) -> tuple[AbuseReport, bool]:
    """File a report (AC04); a repeat on a target the reporter already reported,
    still open, answers that report (and False: nothing new was created)."""
    if reason not in ReportReason.values:
        raise InvalidInput(_("Choose a reason from the list."), field="reason")
    details = details.strip()
    if len(details) > DETAILS_MAX:
        raise InvalidInput(_("Details are at most %(max)s characters.") % {"max": DETAILS_MAX}, field="details")
    if reason == ReportReason.OTHER and not details:
        raise InvalidInput(_("Say in a few words what is wrong."), field="details")
    rate_limit(
        f"abuse-report:{reporter.pk}",
        limit=REPORTS_PER_HOUR,
        window_seconds=3600,
        message=_("Too many reports in an hour; try again later."),
    )
    target = target_for(reporter, target_type, target_id)
    if target.subject is not None and target.subject.pk == reporter.pk:
        raise InvalidInput(_("You cannot report yourself or what you published."), field="target_id")
    key = {"reporter": reporter, "target_type": target_type, "target_id": parse_id(target_id)}
    existing = AbuseReport.objects.filter(**key, state=ReportState.OPEN).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            report = AbuseReport.objects.create(
                **key,
                subject=target.subject,
                target_label=target.label[:200],
                reason=reason,
                details=details,
                created_at=timezone.now(),
            )
            state_start(report, allowed=REPORT_MOVES, history=AbuseReportTransition, by=reporter, report=report)
    except IntegrityError:
        # The same report, sent twice at once: the first one stands.
        return AbuseReport.objects.get(**key, state=ReportState.OPEN), False
    return report, True


def report_for_staff(user: User, report_id: object) -> AbuseReport:
    _require_staff(user)
    pk = parse_id(report_id)
    report = AbuseReport.objects.select_related("reporter", "subject").filter(pk=pk).first() if pk else None
    if report is None:
        raise NotFound()
    return report


def report_decide(*, report: AbuseReport, by: User, to: str, note: str = "") -> AbuseReport:
    """Close an open report: dismissed (nothing wrong) or actioned (staff acted)."""
    _require_staff(by)
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(_("A note is at most %(max)s characters.") % {"max": NOTE_MAX}, field="note")
    with transaction.atomic():
        report = AbuseReport.objects.select_for_update().get(pk=report.pk)
        report.decided_at = timezone.now()
        report.decided_by = by
        report.decision_note = note
        state_move(
            report,
            to,
            allowed=REPORT_MOVES,
            history=AbuseReportTransition,
            by=by,
            reason=note,
            update_fields=("decided_at", "decided_by", "decision_note"),
            report=report,
            message=_("This report was already handled."),
        )
    return report


def user_for_staff(staff: User, user_id: object) -> User:
    _require_staff(staff)
    pk = parse_id(user_id)
    user = User.objects.filter(pk=pk).first() if pk else None
    if user is None:
        raise NotFound()
    return user


def user_by_email_for_staff(staff: User, email: str) -> User | None:
    _require_staff(staff)
    return User.objects.filter(email__iexact=email.strip()).first()


def account_suspend(*, user: User, by: User, reason: str, report: AbuseReport | None = None) -> Suspension:
    """Suspend an account (AC04): it keeps its money and may read, but may not
    claim, post, sell or buy. The user is told why; a report it comes from is actioned."""
    _require_staff(by)
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(_("Give a reason (at most %(max)s characters).") % {"max": REASON_MAX}, field="reason")
    if user.is_staff_member:
        raise Forbidden(_("Staff accounts are not suspended here."))
    if report is not None and report.subject_id != user.pk:
        raise InvalidInput(_("This report is about another account."), field="report_id")
    with transaction.atomic():
        # One staff decision at a time per account.
        User.objects.select_for_update().only("pk").get(pk=user.pk)
        if active_suspension(user) is not None:
            raise AlreadySuspended(_("This account is already suspended."))
        suspension = Suspension.objects.create(
            user=user, reason=reason, report=report, created_by=by, created_at=timezone.now()
        )
        if report is not None and report.state == ReportState.OPEN:
            report_decide(
                report=report,
                by=by,
                to=ReportState.ACTIONED,
                note=_("Account suspended: %(reason)s") % {"reason": reason},
            )
        notify(
            user=user,
            kind="account_suspended",
            title=lambda: _("Your account is suspended"),
            body=lambda: (
                _(
                    "Reason: %(reason)s\n\nYou can still sign in, read your missions and orders, deliver the orders "
                    "under way and withdraw the money you earned; you cannot take missions, post, sell or buy. "
                    "Write to us through the contact page if you think this is a mistake."
                )
                % {"reason": reason}
            ),
            url="/tableau-de-bord/",
            email=True,
        )
    return suspension


def account_unsuspend(*, user: User, by: User) -> Suspension:
    """Lift the suspension in force; the user is told."""
    _require_staff(by)
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=user.pk)
        suspension = Suspension.objects.select_for_update().filter(user=user, lifted_at__isnull=True).first()
        if suspension is None:
            raise NotSuspended(_("This account is not suspended."))
        suspension.lifted_at = timezone.now()
        suspension.lifted_by = by
        suspension.save(update_fields=["lifted_at", "lifted_by"])
        notify(
            user=user,
            kind="account_unsuspended",
            title=lambda: _("Your account is no longer suspended"),
            body=lambda: _("You can again use every part of Microwork."),
            url="/tableau-de-bord/",
            email=True,
        )
    return suspension


def target_urls(reports: list[AbuseReport], *, for_staff: bool) -> dict[int, str]:
    """Where each report's target is read: the page its reporter saw, or
    staff's own page of a reported account."""
    message_ids = [r.target_id for r in reports if r.target_type == TargetType.MESSAGE]
    order_of_message = dict(OrderMessage.objects.filter(pk__in=message_ids).values_list("pk", "order_id"))
    expert_ids = {r.target_id for r in reports if r.target_type == TargetType.USER}
    experts = set(User.objects.filter(pk__in=expert_ids, role="expert").values_list("pk", flat=True))
    urls: dict[int, str] = {}
    for report in reports:
        pk = report.target_id
        if report.target_type == TargetType.MISSION:
            urls[report.pk] = reverse("missions:detail", args=[pk])
        elif report.target_type == TargetType.OFFER:
            urls[report.pk] = reverse("gigs:offer", args=[pk])
        elif report.target_type == TargetType.ORDER:
            urls[report.pk] = reverse("gigs:order", args=[pk])
        elif report.target_type == TargetType.MESSAGE:
            order_id = order_of_message.get(pk)
            urls[report.pk] = f"{reverse('gigs:order', args=[order_id])}#message-{pk}" if order_id else ""
        elif for_staff:
            urls[report.pk] = reverse("moderation:staff_account", args=[pk])
        else:
            urls[report.pk] = reverse("gigs:expert", args=[pk]) if pk in experts else reverse("web:dashboard")
    return urls
