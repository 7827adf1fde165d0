"""The company's pages: missions, their cost, batches and the review of
reports (HM06-HM12, HM14, HM15b, MW04)."""

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from microwork.core.errors import ApplicationError, by_row
from microwork.ledger import selectors as ledger_selectors

from .. import forms, selectors, services
from ..batch import BATCH_COLUMNS, BATCH_OPTIONAL, batch_file_content, parse_batch_csv
from ..models import Claim, Mission
from .common import (
    act_then_redirect,
    company_user,
    form_then_redirect,
    map_context,
    more_url,
    page_of,
    posted,
    report_rows,
    with_override,
)


@login_required
def company_list(request: HttpRequest) -> HttpResponse:
    user = company_user(request)
    missions = selectors.missions_of_company(user)
    page = page_of(missions, request.GET.get("cursor", ""))
    context = {"missions": page["items"], "more_url": more_url(request, page["next_cursor"])}
    return render(request, "missions/company_list.html", context)


def _question_payload(formset: Any) -> tuple[list[services.QuestionInput], list[int]]:
    """The questions filled in, and the formset row each came from (to show a
    service error on it); the service gives each question without a key its own."""
    questions: list[services.QuestionInput] = []
    origin: list[int] = []
    for index, question_form in enumerate(formset.forms):
        question = question_form.question() if question_form.is_valid() else None
        if question is not None:
            questions.append(question)
            origin.append(index)
    return questions, origin


FIELD_ALIASES = {
    "reward_cents": "reward",
    "min_approval_rate": "min_approval_percent",
    "estimated_seconds": "duration",
    "estimated_minutes": "duration",
    "location": "address",
    "location.address": "address",
    "location.radius_km": "radius_km",
}


def _show_mission_error(form: forms.MissionForm, formset: Any, origin: list[int], exc: ApplicationError) -> None:
    match = re.fullmatch(r"questions\.(\d+)\.(\w+)", exc.field or "")
    if match and 0 < int(match.group(1)) <= len(origin):
        row = formset.forms[origin[int(match.group(1)) - 1]]
        name = match.group(2)
        row.add_error(name if name in row.fields else "label", exc.detail)
        return
    form.add_service_error(exc, aliases=FIELD_ALIASES)


def _mission_form_page(
    request: HttpRequest, form: Any, formset: Any, *, mission: Mission | None, status: int = 200
) -> HttpResponse:
    price = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        price = services.price_summary(data["reward"], data["places"], form.estimated_seconds())
    elif mission is not None:
        price = services.price_summary(mission.reward_cents, mission.places, mission.estimated_seconds)
    shown, more = forms.question_slots(formset)
    context = {
        "form": form,
        "formset": formset,
        "questions_shown": shown,
        "questions_more": more,
        "mission": mission,
        "price": price,
        **map_context(),
    }
    return render(request, "missions/mission_form.html", context, status=status)


def _mission_form(
    request: HttpRequest,
    form: Any,
    formset: Any,
    save: Callable[[dict[str, Any]], Mission],
    *,
    mission: Mission | None,
    done: str,
) -> HttpResponse:
    """The mission form, new or edited: saved by `save`, or shown again with what was refused."""
    if request.method != "POST":
        return _mission_form_page(request, form, formset, mission=mission)
    if form.is_valid() and formset.is_valid():
        questions, origin = _question_payload(formset)
        try:
            saved = save({**form.service_fields(), "questions": questions})
        except ApplicationError as exc:
            _show_mission_error(form, formset, origin, exc)
        else:
            messages.success(request, done)
            return redirect("missions:company_mission", saved.pk)
    return _mission_form_page(request, form, formset, mission=mission, status=400)


@login_required
def mission_create(request: HttpRequest) -> HttpResponse:
    user = company_user(request)
    form = forms.MissionForm(posted(request))
    formset = forms.QuestionFormSet(posted(request), prefix="questions")
    return _mission_form(
        request,
        form,
        formset,
        lambda fields: services.mission_create(company=user, **fields),
        mission=None,
        done=_("Draft saved. Check it, then send it for review."),
    )


@login_required
def mission_edit(request: HttpRequest, mission_id: int) -> HttpResponse:
    user = company_user(request)
    mission = selectors.mission_for(user, mission_id)
    if not selectors.mission_is_editable(mission):
        messages.error(request, _("Only a draft or a mission sent back for changes can be edited."))
        return redirect("missions:company_mission", mission.pk)
    initial = {
        "title": mission.title,
        "category": mission.category,
        "instructions": mission.instructions,
        **forms.duration_initial(mission.estimated_seconds),
        "reward": Decimal(mission.reward_cents) / 100,
        "places": mission.places,
        "ends_at": timezone.localtime(mission.ends_at) if mission.ends_at else None,
        "lat": mission.latitude,
        "lon": mission.longitude,
        "radius_km": mission.radius_km,
        "address": mission.address,
        "min_approval_percent": mission.min_approval_percent,
        "min_approved_reports": mission.min_approved_reports,
    }
    form = forms.MissionForm(posted(request), initial=initial)
    formset = forms.QuestionFormSet(
        posted(request), prefix="questions", initial=forms.question_initial(mission.questions)
    )
    return _mission_form(
        request,
        form,
        formset,
        lambda fields: services.mission_update(mission=mission, by=user, **fields),
        mission=mission,
        done=_("Mission saved."),
    )


@login_required
@require_POST
def mission_price(request: HttpRequest) -> HttpResponse:
    """The live cost of the mission being typed (HM08-HM10), from the services' own maths."""
    company_user(request)
    form = forms.PriceForm(request.POST)
    context: dict[str, Any] = {"price": None}
    if form.is_valid() and form.cleaned_data.get("reward") is not None:
        reward_cents = form.cleaned_data["reward"]
        seconds = form.estimated_seconds()
        today = timezone.localdate()
        context["price"] = services.price_summary(reward_cents, form.cleaned_data.get("places") or 1, seconds)
        if seconds:
            context["minimum"] = services.minimum_reward_cents(seconds, today)
        try:
            services.reward_check(reward_cents=reward_cents, estimated_seconds=seconds or 0, on=today)
        except ApplicationError as exc:
            context["refusal"] = exc.detail
    return render(request, "missions/partials/cost.html", context)


def _company_page(
    request: HttpRequest, mission: Mission, *, row_override: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    claims = mission.claims.select_related("tasker").prefetch_related("files", "bonuses").order_by("-pk")
    rows = []
    for claim in claims:
        row: dict[str, Any] = {
            "claim": claim,
            "answers": report_rows(claim, mission) if claim.submitted_at else [],
            "takes_bonus": selectors.claim_takes_bonus(claim),
        }
        if selectors.claim_awaits_review(claim):
            row["approve_form"] = forms.ApproveForm(prefix=f"a{claim.pk}")
            row["reject_form"] = forms.RejectForm(prefix=f"r{claim.pk}")
        rows.append(with_override(row, "claim", row_override))
    # Reports waiting for a decision first.
    rows.sort(key=lambda r: not selectors.claim_awaits_review(r["claim"]))
    editable = selectors.mission_is_editable(mission)
    context = {
        "mission": mission,
        "price": services.price_summary(mission.reward_cents, mission.places, mission.estimated_seconds),
        "rows": rows,
        "editable": editable,
        "balance": ledger_selectors.wallet_balance(mission.company) if editable else None,
        "can_withdraw": selectors.mission_can_withdraw(mission),
        **map_context(),
    }
    return render(request, "missions/company_mission.html", context, status=status)


@login_required
def company_mission(request: HttpRequest, mission_id: int) -> HttpResponse:
    user = company_user(request)
    return _company_page(request, selectors.mission_for(user, mission_id))


def _mission_button(request: HttpRequest, mission_id: int, service: Callable[..., object], done: str) -> HttpResponse:
    user = company_user(request)
    mission = selectors.mission_for(user, mission_id)
    to = reverse("missions:company_mission", args=[mission.pk])
    return act_then_redirect(request, lambda: service(mission=mission, by=user), done=done, to=to)


@login_required
@require_POST
def mission_submit(request: HttpRequest, mission_id: int) -> HttpResponse:
    return _mission_button(
        request, mission_id, services.mission_submit, _("Sent for review. Its cost is reserved from your balance.")
    )


@login_required
@require_POST
def mission_withdraw(request: HttpRequest, mission_id: int) -> HttpResponse:
    return _mission_button(
        request,
        mission_id,
        services.mission_withdraw,
        _("Mission withdrawn. Places nobody holds are refunded to your balance."),
    )


def _claim_anchor(claim: Claim) -> str:
    return reverse("missions:company_mission", args=[claim.mission_id]) + f"#claim-{claim.pk}"


@login_required
@require_POST
def claim_approve(request: HttpRequest, claim_id: int) -> HttpResponse:
    user = company_user(request)
    claim = selectors.claim_for(user, claim_id)
    form = forms.ApproveForm(request.POST, prefix=f"a{claim.pk}")
    done = form_then_redirect(
        request,
        form,
        lambda data: services.claim_approve(claim=claim, by=user, rating=data["rating"], comment=data["comment"]),
        done=_("Report approved: the tasker is credited."),
        to=_claim_anchor(claim),
    )
    return done or _company_page(
        request, claim.mission, row_override={"claim": claim, "approve_form": form}, status=400
    )


@login_required
@require_POST
def claim_reject(request: HttpRequest, claim_id: int) -> HttpResponse:
    user = company_user(request)
    claim = selectors.claim_for(user, claim_id)
    form = forms.RejectForm(request.POST, prefix=f"r{claim.pk}")
    done = form_then_redirect(
        request,
        form,
        lambda data: services.claim_reject(
            claim=claim, by=user, reason_code=data["reason_code"], reason=data["reason"]
        ),
        done=_("Report rejected; the place is back in the pool."),
        to=_claim_anchor(claim),
    )
    return done or _company_page(
        request, claim.mission, row_override={"claim": claim, "reject_form": form, "reject_open": True}, status=400
    )


@login_required
def mission_batch(request: HttpRequest) -> HttpResponse:
    user = company_user(request)
    form = forms.BatchForm(posted(request), request.FILES or None)
    context: dict[str, Any] = {"form": form, "columns": BATCH_COLUMNS, "optional": BATCH_OPTIONAL}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                created = services.mission_batch_create(company=user, rows=parse_batch_csv(batch_file_content(upload)))
            except services.BatchInvalid as exc:
                form.add_error("file", exc.detail)
                context["row_errors"] = by_row(exc.errors)
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    request,
                    ngettext("%(count)s draft mission created.", "%(count)s draft missions created.", len(created))
                    % {"count": len(created)},
                )
                context["created"] = created
                context["form"] = forms.BatchForm()
                status = 200
    return render(request, "missions/batch.html", context, status=status)


SAMPLE_CSV = (
    "title,category,instructions,estimated_minutes,reward_cents,places,lat,lon,radius_km,ends_at\r\n"
    '"Photo of the biscuit shelf",photo,"Take one clear photo of the biscuit shelf at the shop entrance, '
    'in daylight.",10,300,5,48.8566,2.3522,5,\r\n'
    '"Test our sign-up page",website_test,"Open https://example.fr/signup on your phone, create an account '
    'and describe anything that was unclear.",15,400,10,,,,\r\n'
)


@login_required
def batch_sample(request: HttpRequest) -> HttpResponse:
    company_user(request)
    response = HttpResponse(SAMPLE_CSV, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="missions-sample.csv"'
    return response
