"""Micro-mission pages (SPEC HM, MW01, MW04). Thin: each view checks the
form, finds the object through `selectors.mission_for` / `claim_for` (404 for
a foreign one), calls a service and shows its `ApplicationError` on the form."""

import re
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.accounts.models import User
from microwork.api.pagination import keyset_page, keyset_page_ascending
from microwork.core.errors import ApplicationError, InvalidInput
from microwork.ledger import selectors as ledger_selectors
from microwork.web.roles import page_user

from . import forms, selectors, services
from .api import BATCH_COLUMNS, BATCH_OPTIONAL, parse_batch_csv
from .models import Claim, ClaimState, Mission

PAGE_SIZE = 20
BATCH_MAX_BYTES = 2 * 1024 * 1024


# --- Helpers --------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return page_user(request)


def _tasker(request: HttpRequest) -> User:
    return page_user(request, "tasker")


def _company(request: HttpRequest) -> User:
    return page_user(request, "company")


def _staff(request: HttpRequest) -> User:
    return page_user(request, "staff")


def _mission(user: User, mission_id: object) -> Mission:
    return selectors.mission_for(user, mission_id)


def _claim(user: User, claim_id: object) -> Claim:
    return selectors.claim_for(user, claim_id)


def _page(queryset: QuerySet[Any], cursor: str, *, ascending: bool = False) -> dict[str, Any]:
    """A keyset page of model objects; a cursor that is not one starts over."""
    paginate = keyset_page_ascending if ascending else keyset_page
    try:
        return paginate(queryset, limit=PAGE_SIZE, cursor=cursor or None, serialize=lambda row: row)
    except InvalidInput:
        return paginate(queryset, limit=PAGE_SIZE, cursor=None, serialize=lambda row: row)


def _posted(request: HttpRequest) -> Any:
    """The POST data, also when empty: an empty POST still binds the form (and shows its errors)."""
    return request.POST if request.method == "POST" else None


def _more_url(request: HttpRequest, next_cursor: str | None) -> str:
    if not next_cursor:
        return ""
    query = request.GET.copy()
    query["cursor"] = next_cursor
    return f"{request.path}?{query.urlencode()}"


def _answers(claim: Claim, mission: Mission) -> list[dict[str, Any]]:
    """The report question by question, with the files sent for each (HM13)."""
    files = list(claim.files.all())
    rows = []
    for question in mission.questions:
        key = question["key"]
        rows.append(
            {
                "label": question["label"],
                "kind": question["kind"],
                "value": claim.answers.get(key, ""),
                "files": [f for f in files if f.question_key == key],
            }
        )
    return rows


# --- Tasker: browse and claim (HM06, HM12, MW01) --------------------------


@login_required
def mission_list(request: HttpRequest) -> HttpResponse:
    user = _tasker(request)
    form = forms.MissionFilterForm(request.GET or None)
    near = None
    missions: QuerySet[Mission] = Mission.objects.none()
    if form.is_bound and not form.is_valid():
        missions = selectors.missions_open()
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
        missions = selectors.missions_open(**filters)
    page = _page(missions, request.GET.get("cursor", ""))
    taken = selectors.missions_taken_by(user, page["items"])
    context = {
        "form": form,
        "missions": page["items"],
        "more_url": _more_url(request, page["next_cursor"]),
        "near": near,
        "taken": taken,
        "filtered": form.is_bound and any(request.GET.get(k) for k in ("q", "category", "min_reward", "lat")),
    }
    return render(request, "missions/list.html", context)


def _detail(request: HttpRequest, mission: Mission, *, error: ApplicationError | None = None) -> HttpResponse:
    user = _user(request)
    claim = Claim.objects.filter(mission=mission, tasker=user).first() if user.is_tasker else None
    context = {
        "mission": mission,
        "claim": claim,
        "open": services.mission_is_open(mission) and mission.places_left > 0,
        "error": error,
    }
    return render(request, "missions/detail.html", context, status=400 if error else 200)


@login_required
def mission_detail(request: HttpRequest, mission_id: int) -> HttpResponse:
    user = _user(request)
    mission = _mission(user, mission_id)
    if user.is_company:
        return redirect("missions:company_mission", mission.pk)
    return _detail(request, mission)


@login_required
@require_POST
def mission_claim(request: HttpRequest, mission_id: int) -> HttpResponse:
    user = _tasker(request)
    mission = _mission(user, mission_id)
    try:
        claim = services.claim_create(mission=mission, tasker=user)
    except ApplicationError as exc:
        return _detail(request, mission, error=exc)
    messages.success(request, _("The mission is yours: you have 48 hours to finish it and send your report."))
    return redirect("missions:report", claim.pk)


# --- Tasker: my missions, report, dispute (HM04, HM05, HM13, HM15) --------


@login_required
def my_claims(request: HttpRequest) -> HttpResponse:
    user = _tasker(request)
    claims = selectors.claims_of_tasker(user).select_related("mission")
    page = _page(claims, request.GET.get("cursor", ""))
    now = timezone.now()
    rows = [
        {
            "claim": claim,
            "overdue": selectors.claim_is_overdue(claim, now),
            "can_dispute": selectors.claim_can_dispute(claim, now),
        }
        for claim in page["items"]
    ]
    context = {"rows": rows, "more_url": _more_url(request, page["next_cursor"])}
    return render(request, "missions/my_claims.html", context)


def _own_claim(request: HttpRequest, claim_id: int) -> tuple[User, Claim]:
    user = _tasker(request)
    claim = _claim(user, claim_id)
    return user, claim


@login_required
def claim_report(request: HttpRequest, claim_id: int) -> HttpResponse:
    user, claim = _own_claim(request, claim_id)
    mission = claim.mission
    uploaded = set(claim.files.values_list("question_key", flat=True))
    form = forms.ReportForm(_posted(request), request.FILES or None, questions=mission.questions, uploaded=uploaded)
    lapsed = selectors.claim_has_lapsed(claim)
    # Past the deadline the service is asked anyway: it lapses the claim and says so (HM04).
    if request.method == "POST" and claim.state == ClaimState.ACTIVE and (form.is_valid() or lapsed):
        aliases = {f"answers.{q['key']}": forms.field_name(q["key"]) for q in mission.questions}
        try:
            for key, upload in form.uploads():
                try:
                    services.report_file_add(claim=claim, by=user, question_key=key, upload=upload)
                except InvalidInput as exc:
                    form.add_error(forms.field_name(key), exc.detail)
                    raise
            services.claim_report(
                claim=claim, by=user, answers=form.answers(), text=form.cleaned_data.get("text", ""), links=form.links()
            )
        except services.ClaimLapsed as exc:
            form.add_error(None, exc.detail)
            lapsed = True
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
        "answers": _answers(claim, mission) if claim.submitted_at else [],
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
    form = forms.ReasonForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_dispute(claim=claim, by=user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your dispute is sent; our team will decide."))
            return redirect("missions:my_claims")
    status = 400 if request.method == "POST" else 200
    return render(request, "missions/dispute.html", {"claim": claim, "form": form}, status=status)


@login_required
def report_file(request: HttpRequest, claim_id: int, file_id: int) -> FileResponse:
    """A report's photo or file: for its tasker, the company once reported, and staff."""
    user = _user(request)
    claim = _claim(user, claim_id)
    if user.is_company and claim.submitted_at is None:
        raise Http404
    upload = claim.files.filter(pk=file_id).first()
    if upload is None:
        raise Http404
    response = FileResponse(upload.file.open("rb"), content_type=upload.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Company: missions (HM06-HM12, HM14, HM15b, MW04) ---------------------


@login_required
def company_list(request: HttpRequest) -> HttpResponse:
    user = _company(request)
    missions = selectors.missions_of_company(user)
    page = _page(missions, request.GET.get("cursor", ""))
    context = {"missions": page["items"], "more_url": _more_url(request, page["next_cursor"])}
    return render(request, "missions/company_list.html", context)


def _question_payload(formset: Any) -> tuple[list[dict[str, Any]], list[int]]:
    """The questions filled in, and the formset row each came from (to show a
    service error on it); the service gives each question without a key its own."""
    questions: list[dict[str, Any]] = []
    origin: list[int] = []
    for index, question_form in enumerate(formset.forms):
        question = question_form.question() if question_form.is_valid() else None
        if question is not None:
            questions.append(question)
            origin.append(index)
    return questions, origin


FIELD_ALIASES = {"reward_cents": "reward", "location": "lat", "location.radius_km": "radius_km"}


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
        price = services.price_summary(forms.cents(form.cleaned_data["reward"]), form.cleaned_data["places"])
    elif mission is not None:
        price = services.price_summary(mission.reward_cents, mission.places)
    context = {"form": form, "formset": formset, "mission": mission, "price": price}
    return render(request, "missions/mission_form.html", context, status=status)


@login_required
def mission_create(request: HttpRequest) -> HttpResponse:
    user = _company(request)
    form = forms.MissionForm(_posted(request))
    formset = forms.QuestionFormSet(_posted(request), prefix="questions")
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            questions, origin = _question_payload(formset)
            try:
                mission = services.mission_create(company=user, **form.service_fields(), questions=questions)
            except ApplicationError as exc:
                _show_mission_error(form, formset, origin, exc)
            else:
                messages.success(request, _("Draft saved. Check it, then send it for review."))
                return redirect("missions:company_mission", mission.pk)
        return _mission_form_page(request, form, formset, mission=None, status=400)
    return _mission_form_page(request, form, formset, mission=None)


@login_required
def mission_edit(request: HttpRequest, mission_id: int) -> HttpResponse:
    user = _company(request)
    mission = _mission(user, mission_id)
    if not selectors.mission_is_editable(mission):
        messages.error(request, _("Only a draft or a mission sent back for changes can be edited."))
        return redirect("missions:company_mission", mission.pk)
    initial = {
        "title": mission.title,
        "category": mission.category,
        "instructions": mission.instructions,
        "estimated_minutes": mission.estimated_minutes,
        "reward": Decimal(mission.reward_cents) / 100,
        "places": mission.places,
        "ends_at": timezone.localtime(mission.ends_at) if mission.ends_at else None,
        "lat": mission.latitude,
        "lon": mission.longitude,
        "radius_km": mission.radius_km,
    }
    form = forms.MissionForm(_posted(request), initial=initial)
    formset = forms.QuestionFormSet(
        _posted(request), prefix="questions", initial=forms.question_initial(mission.questions)
    )
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            questions, origin = _question_payload(formset)
            try:
                services.mission_update(mission=mission, by=user, **form.service_fields(), questions=questions)
            except ApplicationError as exc:
                _show_mission_error(form, formset, origin, exc)
            else:
                messages.success(request, _("Mission saved."))
                return redirect("missions:company_mission", mission.pk)
        return _mission_form_page(request, form, formset, mission=mission, status=400)
    return _mission_form_page(request, form, formset, mission=mission)


@login_required
@require_POST
def mission_price(request: HttpRequest) -> HttpResponse:
    """The live cost of the mission being typed (HM08-HM10), from the services' own maths."""
    _company(request)
    form = forms.PriceForm(request.POST)
    context: dict[str, Any] = {"price": None}
    if form.is_valid() and form.cleaned_data.get("reward") is not None:
        reward_cents = forms.cents(form.cleaned_data["reward"])
        minutes = form.cleaned_data.get("estimated_minutes")
        today = timezone.localdate()
        context["price"] = services.price_summary(reward_cents, form.cleaned_data.get("places") or 1)
        if minutes:
            context["minimum"] = services.minimum_reward_cents(minutes, today)
        try:
            services.reward_check(reward_cents=reward_cents, estimated_minutes=minutes or 0, on=today)
        except ApplicationError as exc:
            context["refusal"] = exc.detail
    return render(request, "missions/partials/cost.html", context)


def _company_page(
    request: HttpRequest, mission: Mission, *, row_override: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    claims = mission.claims.select_related("tasker").prefetch_related("files").order_by("-pk")
    rows = []
    for claim in claims:
        row: dict[str, Any] = {"claim": claim, "answers": _answers(claim, mission) if claim.submitted_at else []}
        if claim.state == ClaimState.SUBMITTED:
            row["approve_form"] = forms.ApproveForm(prefix=f"a{claim.pk}")
            row["reject_form"] = forms.RejectForm(prefix=f"r{claim.pk}")
        if row_override and row_override["claim"].pk == claim.pk:
            row.update({k: v for k, v in row_override.items() if k != "claim"})
        rows.append(row)
    # Reports waiting for a decision first.
    rows.sort(key=lambda r: r["claim"].state != ClaimState.SUBMITTED)
    editable = selectors.mission_is_editable(mission)
    context = {
        "mission": mission,
        "price": services.price_summary(mission.reward_cents, mission.places),
        "rows": rows,
        "editable": editable,
        "balance": ledger_selectors.wallet_balance(mission.company) if editable else None,
        "can_withdraw": selectors.mission_can_withdraw(mission),
    }
    return render(request, "missions/company_mission.html", context, status=status)


@login_required
def company_mission(request: HttpRequest, mission_id: int) -> HttpResponse:
    user = _company(request)
    return _company_page(request, _mission(user, mission_id))


@login_required
@require_POST
def mission_submit(request: HttpRequest, mission_id: int) -> HttpResponse:
    user = _company(request)
    mission = _mission(user, mission_id)
    try:
        services.mission_submit(mission=mission, by=user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Sent for review. Its cost is reserved from your balance."))
    return redirect("missions:company_mission", mission.pk)


@login_required
@require_POST
def mission_withdraw(request: HttpRequest, mission_id: int) -> HttpResponse:
    user = _company(request)
    mission = _mission(user, mission_id)
    try:
        services.mission_withdraw(mission=mission, by=user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Mission withdrawn. Places nobody holds are refunded to your balance."))
    return redirect("missions:company_mission", mission.pk)


@login_required
@require_POST
def claim_approve(request: HttpRequest, claim_id: int) -> HttpResponse:
    user = _company(request)
    claim = _claim(user, claim_id)
    form = forms.ApproveForm(request.POST, prefix=f"a{claim.pk}")
    if form.is_valid():
        try:
            services.claim_approve(
                claim=claim, by=user, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Report approved: the tasker is credited."))
            return redirect(reverse("missions:company_mission", args=[claim.mission_id]) + f"#claim-{claim.pk}")
    return _company_page(request, claim.mission, row_override={"claim": claim, "approve_form": form}, status=400)


@login_required
@require_POST
def claim_reject(request: HttpRequest, claim_id: int) -> HttpResponse:
    user = _company(request)
    claim = _claim(user, claim_id)
    form = forms.RejectForm(request.POST, prefix=f"r{claim.pk}")
    if form.is_valid():
        try:
            services.claim_reject(claim=claim, by=user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Report rejected; the place is back in the pool."))
            return redirect(reverse("missions:company_mission", args=[claim.mission_id]) + f"#claim-{claim.pk}")
    return _company_page(
        request, claim.mission, row_override={"claim": claim, "reject_form": form, "reject_open": True}, status=400
    )


def _batch_errors(errors: list[dict[str, str]]) -> list[dict[str, str]]:
    rows = []
    for error in errors:
        match = re.match(r"row (\d+): (.*)", error.get("field", ""))
        rows.append(
            {
                "row": match.group(1) if match else "",
                "field": match.group(2) if match else error.get("field", ""),
                "message": error["message"],
            }
        )
    return rows


@login_required
def mission_batch(request: HttpRequest) -> HttpResponse:
    user = _company(request)
    form = forms.BatchForm(_posted(request), request.FILES or None)
    context: dict[str, Any] = {"form": form, "columns": BATCH_COLUMNS, "optional": BATCH_OPTIONAL}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > BATCH_MAX_BYTES:
                    raise InvalidInput(_("The CSV file is larger than 2 MB."), field="file")
                created = services.mission_batch_create(company=user, rows=parse_batch_csv(upload.read()))
            except services.BatchInvalid as exc:
                form.add_error("file", exc.detail)
                context["row_errors"] = _batch_errors(exc.errors)
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("%(count)s draft missions created.") % {"count": len(created)})
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
    _company(request)
    response = HttpResponse(SAMPLE_CSV, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="missions-sample.csv"'
    return response


# --- Staff: review and disputes (HM11, HM15) ------------------------------


def _queue_page(request: HttpRequest, *, row_override: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    missions = selectors.missions_pending_review().select_related("company")
    page = _page(missions, request.GET.get("cursor", ""), ascending=True)
    rows = []
    for mission in page["items"]:
        row: dict[str, Any] = {"mission": mission, "form": forms.ReasonForm(prefix=f"m{mission.pk}")}
        if row_override and row_override["mission"].pk == mission.pk:
            row.update({k: v for k, v in row_override.items() if k != "mission"})
        rows.append(row)
    context = {"rows": rows, "more_url": _more_url(request, page["next_cursor"])}
    return render(request, "missions/review_queue.html", context, status=status)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return _queue_page(request)


@login_required
@require_POST
def mission_publish(request: HttpRequest, mission_id: int) -> HttpResponse:
    user = _staff(request)
    mission = _mission(user, mission_id)
    try:
        services.mission_publish(mission=mission, by=user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("“%(title)s” is published.") % {"title": mission.title})
    return redirect("missions:review_queue")


@login_required
@require_POST
def mission_request_changes(request: HttpRequest, mission_id: int) -> HttpResponse:
    user = _staff(request)
    mission = _mission(user, mission_id)
    form = forms.ReasonForm(request.POST, prefix=f"m{mission.pk}")
    if form.is_valid():
        try:
            services.mission_request_changes(mission=mission, by=user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("“%(title)s” is sent back to the company.") % {"title": mission.title})
            return redirect("missions:review_queue")
    return _queue_page(request, row_override={"mission": mission, "form": form, "open": True}, status=400)


def _disputes_page(
    request: HttpRequest, *, row_override: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    claims = (
        selectors.claims_disputed().select_related("mission", "mission__company", "tasker").prefetch_related("files")
    )
    page = _page(claims, request.GET.get("cursor", ""), ascending=True)
    rows = []
    for claim in page["items"]:
        row: dict[str, Any] = {
            "claim": claim,
            "answers": _answers(claim, claim.mission),
            "form": forms.SettleForm(prefix=f"s{claim.pk}"),
        }
        if row_override and row_override["claim"].pk == claim.pk:
            row.update({k: v for k, v in row_override.items() if k != "claim"})
        rows.append(row)
    context = {"rows": rows, "more_url": _more_url(request, page["next_cursor"])}
    return render(request, "missions/disputes.html", context, status=status)


@login_required
def disputes(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return _disputes_page(request)


@login_required
@require_POST
def claim_settle(request: HttpRequest, claim_id: int) -> HttpResponse:
    user = _staff(request)
    claim = _claim(user, claim_id)
    form = forms.SettleForm(request.POST, prefix=f"s{claim.pk}")
    if form.is_valid():
        try:
            services.claim_settle(claim=claim, by=user, tasker_paid_cents=forms.cents(form.cleaned_data["amount"]))
        except ApplicationError as exc:
            form.add_service_error(exc, aliases={"tasker_paid_cents": "amount"})
        else:
            messages.success(request, _("Dispute settled."))
            return redirect("missions:disputes")
    return _disputes_page(request, row_override={"claim": claim, "form": form}, status=400)
