"""The report form every user reaches from a "Signaler" link (AC04), and
staff's inbox: abuse reports, accounts to suspend, contact messages (HM18)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.accounts.models import User
from microwork.accounts.roles import page_user
from microwork.core.pages import act_then_redirect, form_then_redirect, more_url, page_of

from . import inbox, selectors, services
from .forms import ReportForm
from .models import AbuseReport, ContactState, ReportState, TargetType


def _said(result: tuple[AbuseReport, bool]) -> str:
    if result[1]:
        return _("Thank you: your report has reached our team, who will look into it.")
    return _("You already reported this; our team has your report.")


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Report a mission, an offer, an order, a message or a user the reporter can see."""
    user = page_user(request)
    target_type, target_id = request.GET.get("type", ""), request.GET.get("id", "")
    if target_type not in TargetType.values:
        raise Http404
    target = services.target_for(user, target_type, target_id)
    probe = AbuseReport(pk=0, target_type=target_type, target_id=int(target_id))
    back = services.target_urls([probe], for_staff=False)[0] or reverse("web:dashboard")
    form = ReportForm(request.POST or None)
    if request.method == "POST":
        done = form_then_redirect(
            request,
            form,
            lambda data: services.report_create(
                reporter=user,
                target_type=target_type,
                target_id=target_id,
                reason=data["reason"],
                details=data["details"],
            ),
            done=_said,
            to=back,
        )
        if done is not None:
            return done
    context = {
        "form": form,
        "target": target,
        "target_type": TargetType(target_type).label,
        "back": back,
    }
    return render(request, "moderation/report.html", context, status=400 if request.method == "POST" else 200)


# --- Staff -------------------------------------------------------------------


def _staff(request: HttpRequest) -> User:
    return page_user(request, "staff")


def _counts() -> dict[str, int]:
    """What waits in each tab of the inbox."""
    return {
        "open_reports": selectors.reports_in_state(ReportState.OPEN).count(),
        "open_contacts": selectors.contact_messages_in_state(ContactState.OPEN).count(),
    }


@login_required
def staff_reports(request: HttpRequest) -> HttpResponse:
    """Reports in a state (open by default), oldest first, each with its target and staff's buttons."""
    _staff(request)
    state = request.GET.get("etat", ReportState.OPEN)
    if state not in ReportState.values:
        state = ReportState.OPEN
    page = page_of(selectors.reports_in_state(state), request.GET.get("cursor", ""), ascending=True)
    reports: list[AbuseReport] = page["items"]
    urls = services.target_urls(reports, for_staff=True)
    suspended = selectors.suspended_user_ids([r.subject_id for r in reports if r.subject_id])
    rows = [{"report": r, "url": urls.get(r.pk, ""), "suspended": r.subject_id in suspended} for r in reports]
    context: dict[str, Any] = {
        "rows": rows,
        "state": state,
        "states": ReportState.choices,
        "more_url": more_url(request, page["next_cursor"]),
        "tab": "reports",
        **_counts(),
    }
    return render(request, "moderation/staff_reports.html", context)


def _queue(state: str = ReportState.OPEN) -> str:
    return f"{reverse('moderation:staff_reports')}?etat={state}"


@login_required
@require_POST
def staff_report_decide(request: HttpRequest, report_id: int, decision: str) -> HttpResponse:
    staff = _staff(request)
    report = services.report_for_staff(staff, report_id)
    to = {"classer": ReportState.DISMISSED, "traiter": ReportState.ACTIONED}.get(decision)
    if to is None:
        raise Http404
    return act_then_redirect(
        request,
        lambda: services.report_decide(report=report, by=staff, to=to, note=request.POST.get("note", "")),
        done=_("Report dismissed.") if to == ReportState.DISMISSED else _("Report marked as actioned."),
        to=_queue(),
    )


@login_required
@require_POST
def staff_report_suspend(request: HttpRequest, report_id: int) -> HttpResponse:
    """Suspend the account a report is about, which actions the report."""
    staff = _staff(request)
    report = services.report_for_staff(staff, report_id)
    if report.subject is None:
        raise Http404
    subject = report.subject
    return act_then_redirect(
        request,
        lambda: services.account_suspend(user=subject, by=staff, reason=request.POST.get("reason", ""), report=report),
        done=_("Account suspended; the user was told why."),
        to=_queue(),
    )


@login_required
def staff_suspensions(request: HttpRequest) -> HttpResponse:
    """Accounts suspended now, the latest first, and a way to find any account by its email."""
    staff = _staff(request)
    email = request.GET.get("email", "").strip()
    if email:
        found = services.user_by_email_for_staff(staff, email)
        if found is not None:
            return redirect("moderation:staff_account", found.pk)
        messages.error(request, _("No account has this email address."))
    page = page_of(selectors.suspensions_active(), request.GET.get("cursor", ""))
    context = {
        "suspensions": page["items"],
        "more_url": more_url(request, page["next_cursor"]),
        "tab": "suspensions",
        "email": email,
        **_counts(),
    }
    return render(request, "moderation/staff_suspensions.html", context)


@login_required
def staff_account(request: HttpRequest, user_id: int) -> HttpResponse:
    """One account as staff see it: its suspension, past ones, and reports about it."""
    staff = _staff(request)
    account = services.user_for_staff(staff, user_id)
    context = {
        "account": account,
        "suspension": selectors.active_suspension(account),
        "past": account.suspensions.filter(lifted_at__isnull=False).order_by("-pk")[:20],
        "reports": AbuseReport.objects.filter(subject=account).order_by("-pk")[:20],
    }
    return render(request, "moderation/staff_account.html", context)


@login_required
@require_POST
def staff_account_suspend(request: HttpRequest, user_id: int) -> HttpResponse:
    staff = _staff(request)
    account = services.user_for_staff(staff, user_id)
    return act_then_redirect(
        request,
        lambda: services.account_suspend(user=account, by=staff, reason=request.POST.get("reason", "")),
        done=_("Account suspended; the user was told why."),
        to=reverse("moderation:staff_account", args=[account.pk]),
    )


@login_required
@require_POST
def staff_account_unsuspend(request: HttpRequest, user_id: int) -> HttpResponse:
    staff = _staff(request)
    account = services.user_for_staff(staff, user_id)
    return act_then_redirect(
        request,
        lambda: services.account_unsuspend(user=account, by=staff),
        done=_("Suspension lifted; the user was told."),
        to=reverse("moderation:staff_account", args=[account.pk]),
    )


@login_required
def staff_contacts(request: HttpRequest) -> HttpResponse:
    """Contact messages (HM18), oldest first: the inbox's second tab."""
    _staff(request)
    state = request.GET.get("etat", ContactState.OPEN)
    if state not in ContactState.values:
        state = ContactState.OPEN
    page = page_of(selectors.contact_messages_in_state(state), request.GET.get("cursor", ""), ascending=True)
    context = {
        "contacts": page["items"],
        "state": state,
        "states": ContactState.choices,
        "more_url": more_url(request, page["next_cursor"]),
        "tab": "contacts",
        **_counts(),
    }
    return render(request, "moderation/staff_contacts.html", context)


@login_required
@require_POST
def staff_contact_move(request: HttpRequest, contact_id: int, decision: str) -> HttpResponse:
    staff = _staff(request)
    contact = selectors.contact_message_by_id(contact_id)
    to = {"repondu": ContactState.ANSWERED, "classer": ContactState.CLOSED}.get(decision)
    if to is None:
        raise Http404
    return act_then_redirect(
        request,
        lambda: inbox.contact_message_move(contact=contact, by=staff, to=to),
        done=_("Message marked as answered.") if to == ContactState.ANSWERED else _("Message closed."),
        to=reverse("moderation:staff_contacts"),
    )
