"""The tasker's pages: browse and claim, my missions, report, dispute
(HM04-HM06, HM12, HM13, HM15, MW01)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.accounts.models import User
from microwork.core.errors import ApplicationError, InvalidInput, TooManyRequests
from microwork.core.uploads import file_response

from .. import forms, selectors, services
from ..models import Claim, ClaimState, Mission
from .common import (
    any_user,
    form_then_redirect,
    map_context,
    more_url,
    page_of,
    posted,
    report_rows,
    rows_page,
    tasker_user,
)


def mission_list(request: HttpRequest) -> HttpResponse:
    """Open to visitors too (MW01): they browse, and sign up to claim."""
    user = tasker_user(request) if request.user.is_authenticated else None
    form = forms.MissionFilterForm(request.GET or None)
    near = None
    missions: QuerySet[Mission] = Mission.objects.none()
    if form.is_bound and not form.is_valid():
        missions = selectors.missions_open(tasker=user)
    else:
        filters: dict[str, Any] = {}
        if form.is_bound:
            near = form.near()
            filters = {
                "category": form.cleaned_data.get("category") or None,
                "min_reward_cents": form.min_reward_cents(),
                "q": form.cleaned_data.get("q") or None,
                "near": near,
            }
        missions = selectors.missions_open(**filters, tasker=user)
    page = page_of(missions, request.GET.get("cursor", ""))
    taken = selectors.missions_taken_by(user, page["items"]) if user else set()
    context = {
        "form": form,
        "missions": page["items"],
        "more_url": more_url(request, page["next_cursor"]),
        "near": near,
        "taken": taken,
        "filtered": form.is_bound and any(request.GET.get(k) for k in ("q", "category", "min_reward", "lat")),
    }
    return render(request, "missions/list.html", context)


def _detail(request: HttpRequest, mission: Mission, *, error: ApplicationError | None = None) -> HttpResponse:
    user = request.user
    tasker = user if isinstance(user, User) and user.is_tasker else None
    claim = selectors.claim_of_tasker_on(tasker, mission) if tasker else None
    context = {
        "mission": mission,
        "claim": claim,
        "takes_report": claim is not None and selectors.claim_takes_report(claim),
        "open": services.mission_is_open(mission) and mission.places_left > 0,
        # Why the button would fail, shown beside it disabled rather than after the click.
        "refusal": (
            services.claim_refusal(tasker=tasker, mission=mission) if tasker and not claim and not error else None
        ),
        "error": error,
        "company_stats": selectors.company_stats(mission.company_id),
        **map_context(),
    }
    status = 200 if error is None else 429 if isinstance(error, TooManyRequests) else 400
    response = render(request, "missions/detail.html", context, status=status)
    if isinstance(error, TooManyRequests):
        response["Retry-After"] = str(error.retry_after)
    return response


def mission_detail(request: HttpRequest, mission_id: int) -> HttpResponse:
    """Open to visitors for a mission they could take now (MW01)."""
    user = request.user
    mission = selectors.mission_for(user, mission_id)
    if user.is_authenticated and user.is_company:
        return redirect("missions:company_mission", mission.pk)
    return _detail(request, mission)


@login_required
@require_POST
def mission_claim(request: HttpRequest, mission_id: int) -> HttpResponse:
    user = tasker_user(request)
    mission = selectors.mission_for(user, mission_id)
    form = forms.ClaimForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(_("Your position could not be read; try again."), field="lat")
        claim = services.claim_create(
            mission=mission, tasker=user, position=form.position(), position_refused=form.position_refused()
        )
    except ApplicationError as exc:
        return _detail(request, mission, error=exc)
    messages.success(request, _("The mission is yours: you have 48 hours to finish it and send your report."))
    return redirect("missions:report", claim.pk)


@login_required
def my_claims(request: HttpRequest) -> HttpResponse:
    user = tasker_user(request)
    now = timezone.now()
    counts = selectors.claim_tab_counts(user)
    tab = request.GET.get("onglet", "")
    if tab not in selectors.CLAIM_TABS:
        # The first tab holding something, so a tasker lands on what matters now.
        tab = next((name for name, count in counts.items() if count), "en-cours")
    return rows_page(
        request,
        selectors.claims_of_tasker(user, tab=tab).select_related("mission").prefetch_related("bonuses"),
        "missions/my_claims.html",
        lambda claim: {
            "claim": claim,
            "overdue": selectors.claim_is_overdue(claim, now),
            "can_dispute": selectors.claim_can_dispute(claim, now),
            "takes_report": selectors.claim_takes_report(claim),
        },
        key="claim",
        extra={"tab": tab, "tabs": counts, "claims_total": sum(counts.values())},
    )


def _own_claim(request: HttpRequest, claim_id: int) -> tuple[User, Claim]:
    user = tasker_user(request)
    claim = selectors.claim_for(user, claim_id)
    return user, claim


@login_required
def claim_report(request: HttpRequest, claim_id: int) -> HttpResponse:
    user, claim = _own_claim(request, claim_id)
    mission = claim.mission
    uploaded = set(claim.files.values_list("question_key", flat=True))
    form = forms.ReportForm(
        posted(request),
        request.FILES or None,
        questions=mission.questions,
        uploaded=uploaded,
        claim_id=claim.pk,
        initial={"started": forms.report_started_stamp(claim.pk, timezone.now())},
    )
    lapsed = selectors.claim_has_lapsed(claim)
    # Past the deadline the service is asked anyway: it lapses the claim and says so (HM04).
    if request.method == "POST" and selectors.claim_takes_report(claim) and (form.is_valid() or lapsed):
        aliases = {f"answers.{q['key']}": forms.field_name(q["key"]) for q in mission.questions}
        try:
            services.claim_report(
                claim=claim,
                by=user,
                answers=form.answers(),
                text=form.cleaned_data.get("text", ""),
                links=form.links(),
                started_at=form.started_at(),
                files=form.uploads(),
            )
        except services.ClaimLapsed as exc:
            form.add_error(None, exc.detail)
            lapsed = True
        except services.ReportFileInvalid as exc:
            form.add_error(forms.field_name(exc.question_key), exc.detail)
        except InvalidInput as exc:
            if not form.errors:
                form.add_service_error(exc, aliases=aliases)
        except ApplicationError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, _("Report sent. The company has 3 days to review it."))
            return redirect("missions:my_claims")
    claim.refresh_from_db()
    context = {
        "claim": claim,
        "mission": mission,
        "form": form,
        "lapsed": lapsed,
        "takes_report": selectors.claim_takes_report(claim),
        "answers": report_rows(claim, mission) if claim.submitted_at else [],
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "missions/report.html", context, status=status)


@login_required
@require_POST
def claim_release(request: HttpRequest, claim_id: int) -> HttpResponse:
    user, claim = _own_claim(request, claim_id)
    try:
        claim = services.claim_release(claim=claim, by=user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        if claim.state == ClaimState.LAPSED:
            messages.warning(request, _("The 48 hours had already passed: the place went back to the pool."))
        else:
            messages.success(request, _("You released the mission; the place is free for someone else."))
    return redirect("missions:my_claims")


@login_required
def claim_dispute(request: HttpRequest, claim_id: int) -> HttpResponse:
    user, claim = _own_claim(request, claim_id)
    form = forms.ReasonForm(posted(request))
    if request.method == "POST":
        done = form_then_redirect(
            request,
            form,
            lambda data: services.claim_dispute(claim=claim, by=user, reason=data["reason"]),
            done=_("Your dispute is sent; our team will decide."),
            to=reverse("missions:my_claims"),
        )
        if done:
            return done
    status = 400 if request.method == "POST" else 200
    context = {"claim": claim, "form": form, "can_dispute": selectors.claim_can_dispute(claim)}
    return render(request, "missions/dispute.html", context, status=status)


@login_required
def report_file(request: HttpRequest, claim_id: int, file_id: int) -> FileResponse:
    """A report's photo or file: for its tasker, the company once reported, and staff."""
    user = any_user(request)
    upload = selectors.report_file_for(user, claim_id, file_id)
    return file_response(selectors.report_file_shown(upload, user), content_type=upload.content_type)
