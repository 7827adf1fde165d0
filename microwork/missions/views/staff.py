"""Staff pages: the review queue and disputes (HM11, HM15)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import forms, selectors, services
from .batches import pending_batches
from .common import (
    act_then_redirect,
    form_then_redirect,
    report_rows,
    rows_page,
    staff_user,
)


def _queue_page(request: HttpRequest, *, row_override: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    return rows_page(
        request,
        selectors.missions_pending_review().select_related("company"),
        "missions/review_queue.html",
        lambda mission: {"mission": mission, "form": forms.ReasonForm(prefix=f"m{mission.pk}")},
        key="mission",
        ascending=True,
        override=row_override,
        status=status,
        extra={"underpaid": list(selectors.missions_underpaid()[:20]), "batches": pending_batches()},
    )


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    staff_user(request)
    return _queue_page(request)


@login_required
@require_POST
def mission_publish(request: HttpRequest, mission_id: int) -> HttpResponse:
    user = staff_user(request)
    mission = selectors.mission_for(user, mission_id)
    return act_then_redirect(
        request,
        lambda: services.mission_publish(mission=mission, by=user),
        done=_("“%(title)s” is published.") % {"title": mission.title},
        to=reverse("missions:review_queue"),
    )


@login_required
@require_POST
def mission_request_changes(request: HttpRequest, mission_id: int) -> HttpResponse:
    user = staff_user(request)
    mission = selectors.mission_for(user, mission_id)
    form = forms.ReasonForm(request.POST, prefix=f"m{mission.pk}")
    done = form_then_redirect(
        request,
        form,
        lambda data: services.mission_request_changes(mission=mission, by=user, reason=data["reason"]),
        done=_("“%(title)s” is sent back to the company.") % {"title": mission.title},
        to=reverse("missions:review_queue"),
    )
    return done or _queue_page(request, row_override={"mission": mission, "form": form, "open": True}, status=400)


def _disputes_page(
    request: HttpRequest, *, row_override: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    return rows_page(
        request,
        selectors.claims_disputed().select_related("mission", "mission__company", "tasker").prefetch_related("files"),
        "missions/disputes.html",
        lambda claim: {
            "claim": claim,
            "answers": report_rows(claim, claim.mission),
            "form": forms.SettleForm(prefix=f"s{claim.pk}"),
        },
        key="claim",
        ascending=True,
        override=row_override,
        status=status,
    )


@login_required
def disputes(request: HttpRequest) -> HttpResponse:
    staff_user(request)
    return _disputes_page(request)


@login_required
@require_POST
def claim_settle(request: HttpRequest, claim_id: int) -> HttpResponse:
    user = staff_user(request)
    claim = selectors.claim_for(user, claim_id)
    form = forms.SettleForm(request.POST, prefix=f"s{claim.pk}")
    done = form_then_redirect(
        request,
        form,
        lambda data: services.claim_settle(claim=claim, by=user, tasker_paid_cents=data["amount"]),
        done=_("Dispute settled."),
        to=reverse("missions:disputes"),
        aliases={"tasker_paid_cents": "amount"},
    )
    return done or _disputes_page(request, row_override={"claim": claim, "form": form}, status=400)
