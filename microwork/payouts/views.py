"""Payout pages (SPEC HM16, AM15, MW03, HM10). Thin: each view checks its
form, calls a service and shows its `ApplicationError` as a form error."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from microwork.accounts.models import User
from microwork.accounts.roles import page_user
from microwork.core.errors import ApplicationError, by_row
from microwork.core.ids import parse_id
from microwork.core.money import format_eur
from microwork.core.pages import act_then_redirect, form_then_redirect
from microwork.core.pagination import keyset_rows
from microwork.ledger import selectors as ledger_selectors
from microwork.ledger.clearing import earnings_release_due
from microwork.ledger.pages import TopupForm, topup_submit
from microwork.missions import selectors as mission_selectors

from . import forms, selectors, services
from .models import Method, Payout, PayoutState, PayoutTransition

PAYOUTS_SHOWN = 20
TOPUPS_SHOWN = 10


def _user(request: HttpRequest) -> User:
    return page_user(request)


def _payee(request: HttpRequest) -> User:
    return page_user(request, "tasker", "expert")


def _company(request: HttpRequest) -> User:
    return page_user(request, "company")


def _staff(request: HttpRequest) -> User:
    return page_user(request, "staff")


def _int_param(request: HttpRequest, name: str) -> int | None:
    return parse_id(request.GET.get(name, ""))


# --- The earnings chart -----------------------------------------------------


@dataclass(frozen=True)
class Bar:
    y: float
    width: float
    label: str
    value: str
    title: str
    value_x: float
    text_y: float


# One row per week, bars drawn sideways: on a phone every label and every
# exact amount stays readable (the viewBox scales to the screen's width).
CHART_WIDTH = 360
CHART_LABEL = 64  # the week's Monday, left
CHART_VALUE = 76  # room for the exact amount after the longest bar
CHART_ROW = 26
CHART_BAR = 16


def earnings_chart(weeks: list[selectors.WeekBar]) -> dict[str, Any]:
    """The bars of an inline SVG chart, computed here: no script, no inline style."""
    plot = CHART_WIDTH - CHART_LABEL - CHART_VALUE
    top = max((week.cents for week in weeks), default=0)
    bars = []
    for index, week in enumerate(weeks):
        width = round(plot * week.cents / top, 1) if top else 0.0
        if week.cents and width < 2:
            width = 2.0  # a small amount stays visible
        y = index * CHART_ROW + (CHART_ROW - CHART_BAR) / 2
        bars.append(
            Bar(
                y=round(y, 1),
                width=width,
                label=date_format(week.monday, "j N"),
                value=format_eur(week.cents),
                title=_("Week of %(day)s: %(amount)s")
                % {"day": date_format(week.monday, "SHORT_DATE_FORMAT"), "amount": format_eur(week.cents)},
                value_x=round(CHART_LABEL + width + 6, 1),
                text_y=round(y + CHART_BAR - 3.5, 1),
            )
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": max(len(weeks), 1) * CHART_ROW,
        "plot_x": CHART_LABEL,
        "weeks": len(weeks),
        "total_cents": sum(week.cents for week in weeks),
        "empty": top == 0,
    }


# --- Credits: taskers and experts (HM16, AM15) -------------------------------


def _credits(request: HttpRequest, user: User, *, status: int = 200, **overrides: Any) -> HttpResponse:
    earnings_release_due(user=user)
    history = selectors.wallet_history(user, before=_int_param(request, "avant"))
    payouts_qs = selectors.payouts_of(user).prefetch_related(
        Prefetch("transitions", queryset=PayoutTransition.objects.order_by("pk"))
    )
    payouts, payouts_next = keyset_rows(payouts_qs, before=_int_param(request, "retraits_avant"), limit=PAYOUTS_SHOWN)
    accounts = list(selectors.payout_accounts_of(user))
    context: dict[str, Any] = {
        "balance": ledger_selectors.wallet_balance(user),
        "in_flight_cents": selectors.in_flight_cents(user),
        "history": history,
        "chart": earnings_chart(selectors.weekly_earnings(user)),
        "accounts": accounts,
        "payouts": payouts,
        "payouts_next": payouts_next,
        "minimum_cents": services.TASKER_MINIMUM_CENTS,
        "step_cents": services.TASKER_STEP_CENTS,
        "paypal_form": forms.PaypalAccountForm(),
        "iban_form": forms.IbanAccountForm(),
        "voucher_form": forms.VoucherAccountForm(),
        "payout_form": forms.PayoutRequestForm(user=user),
        "open_form": "",
        "revealed_id": None,
        "revealed_code": "",
        "voucher_values": None,
    }
    if any(account.method == Method.GIFT_VOUCHER for account in accounts):
        context["voucher_values"] = selectors.voucher_values_in_stock()
    context.update(overrides)
    # Payouts draw on earnings only (SPEC PL01).
    context["withdrawable_cents"] = selectors.withdrawable_cents(context["balance"].withdrawable_cents)
    labels = dict(PayoutState.choices)
    for payout in context["payouts"]:
        for step in payout.transitions.all():
            step.to_label = labels.get(step.to_state, step.to_state)
    return render(request, "payouts/credits.html", context, status=status)


@login_required
def credits(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.is_company:
        return redirect("payouts:company_balance")
    if user.is_staff_member:
        return redirect("payouts:staff")
    return _credits(request, _payee(request))


@login_required
@require_POST
def account_add(request: HttpRequest) -> HttpResponse:
    user = _payee(request)
    method = request.POST.get("method", "")
    form_class: Any = forms.ACCOUNT_FORMS.get(method)
    if form_class is None:
        messages.error(request, _("Choose PayPal, IBAN or gift voucher."))
        return redirect("payouts:credits")
    form = form_class(request.POST)
    done = form_then_redirect(
        request,
        form,
        lambda data: services.payout_account_create(
            user=user,
            method=method,
            paypal_email=data.get("paypal_email", ""),
            iban=data.get("iban", ""),
            holder=data.get("holder", ""),
            make_default=data["make_default"],
        ),
        done=lambda account: _("Payout account added: %(account)s") % {"account": account},
        to=reverse("payouts:credits"),
    )
    if done:
        return done
    form_names: dict[str, str] = {
        Method.PAYPAL: "paypal_form",
        Method.IBAN: "iban_form",
        Method.GIFT_VOUCHER: "voucher_form",
    }
    form_name = form_names[method]
    return _credits(request, user, status=400, open_form=method, **{form_name: form})


@login_required
@require_POST
def account_make_default(request: HttpRequest, account_id: int) -> HttpResponse:
    user = _payee(request)
    account = selectors.payout_account_for(user, account_id)
    services.payout_account_make_default(account=account)
    messages.success(request, _("%(account)s is now your default payout account.") % {"account": account})
    return redirect("payouts:credits")


@login_required
@require_POST
def payout_request(request: HttpRequest) -> HttpResponse:
    user = _payee(request)
    form = forms.PayoutRequestForm(request.POST, user=user)
    if form.is_valid():
        try:
            payout = services.payout_request(
                user=user,
                amount_cents=form.amount_cents(),
                account=form.cleaned_data["account"],
                request_key=form.once_key(),
            )
        except services.PayoutAlreadyRequested as exc:
            messages.info(request, exc.detail)
            return redirect("payouts:credits")
        except ApplicationError as exc:
            form.add_service_error(exc, aliases={"amount_cents": "amount", "payout_account_id": "account"})
        else:
            messages.success(
                request,
                _("Payout of %(amount)s requested. We will tell you when it is paid.")
                % {"amount": format_eur(payout.amount_cents)},
            )
            return redirect("payouts:credits")
    return _credits(request, user, status=400, payout_form=form, open_form="payout")


@login_required
@require_POST
def voucher_reveal(request: HttpRequest, payout_id: int) -> HttpResponse:
    user = _payee(request)
    payout = selectors.payout_for(user, payout_id)
    try:
        code = services.voucher_code_reveal(payout=payout, user=user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
        return redirect("payouts:credits")
    # Shown in this answer only: nothing keeps the clear code any more.
    response = _credits(request, user, revealed_id=payout.pk, revealed_code=code)
    response["Cache-Control"] = "no-store"
    return response


# --- Companies: balance, top-ups and charges per mission (HM10) --------------


def _company_page(request: HttpRequest, user: User, *, status: int = 200, topup_form: Any = None) -> HttpResponse:
    charges = mission_selectors.company_charges(user, before=_int_param(request, "avant"))
    context = {
        "balance": ledger_selectors.wallet_balance(user),
        "topup_form": topup_form or TopupForm(),
        "topups": list(ledger_selectors.topups_of(user).order_by("-pk")[:TOPUPS_SHOWN]),
        "charges": charges,
    }
    return render(request, "payouts/company_balance.html", context, status=status)


@login_required
def company_balance(request: HttpRequest) -> HttpResponse:
    return _company_page(request, _company(request))


@login_required
@require_POST
def company_topup(request: HttpRequest) -> HttpResponse:
    user = _company(request)
    form = TopupForm(request.POST)
    if form.is_valid():
        done = topup_submit(request, form, done_url="payouts:company_balance")
        if done is not None:
            return done
    return _company_page(request, user, status=400, topup_form=form)


# --- Staff: batches (MW03) ---------------------------------------------------


def _staff_page(request: HttpRequest, *, status: int = 200, **overrides: Any) -> HttpResponse:
    context: dict[str, Any] = {
        "queue": selectors.payout_queue(),
        "waiting": selectors.payouts_waiting(),
        "page": selectors.batches_page(before=_int_param(request, "avant")),
        "fail_id": None,
        "fail_error": "",
        "stock": selectors.voucher_stock(),
        "voucher_form": forms.VoucherImportForm(),
        "row_errors": [],
    }
    context.update(overrides)
    shown = [*context["waiting"], *(line for row in context["page"].rows for line in row.lines)]
    context["failable"] = {payout.pk for payout in shown if selectors.payout_can_fail(payout)}
    return render(request, "payouts/staff.html", context, status=status)


@login_required
def staff(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return _staff_page(request)


@login_required
@require_POST
def staff_batch_create(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    return act_then_redirect(
        request,
        lambda: services.payout_batch_create(by=user, method=request.POST.get("method", "")),
        done=lambda batch: (
            ngettext(
                "Batch %(number)s created: %(count)s payout, %(total)s.",
                "Batch %(number)s created: %(count)s payouts, %(total)s.",
                batch.count,
            )
            % {"number": batch.pk, "count": batch.count, "total": format_eur(batch.total_cents)}
        ),
        to=reverse("payouts:staff"),
    )


@login_required
def staff_batch_export(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = _staff(request)
    batch = selectors.batch_for(user, batch_id)
    if not batch.export_name:
        raise Http404
    content_type = "application/xml" if batch.export_name.endswith(".xml") else "text/csv"
    response = HttpResponse(bytes(batch.export), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{batch.export_name}"'
    return response


@login_required
@require_POST
def staff_batch_paid(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = _staff(request)
    batch = selectors.batch_for(user, batch_id)
    return act_then_redirect(
        request,
        lambda: services.payout_batch_mark_paid(batch=batch, by=user),
        done=_("Batch %(number)s marked paid.") % {"number": batch.pk},
        to=reverse("payouts:staff"),
    )


@login_required
@require_POST
def staff_payout_fail(request: HttpRequest, payout_id: int) -> HttpResponse:
    user = _staff(request)
    payout: Payout = selectors.payout_for(user, payout_id, as_staff=True)
    form = forms.FailForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.payout_fail(payout=payout, by=user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            error = exc.detail
    else:
        error = _("Tell the user why the payout failed.")
    if error:
        return _staff_page(request, status=400, fail_id=payout.pk, fail_error=error)
    messages.success(
        request,
        _("Payout %(number)s marked failed; %(amount)s returned to the wallet.")
        % {"number": payout.pk, "amount": format_eur(payout.amount_cents)},
    )
    return redirect("payouts:staff")


@login_required
@require_POST
def staff_voucher_import(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = forms.VoucherImportForm(request.POST, request.FILES)
    row_errors: list[dict[str, str]] = []
    if form.is_valid():
        try:
            done = services.voucher_stock_import(by=user, file=form.cleaned_data["file"])
        except services.VoucherImportInvalid as exc:
            form.add_error("file", exc.detail)
            row_errors = by_row(exc.errors)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s gift-voucher code added to the stock, worth %(total)s.",
                    "%(count)s gift-voucher codes added to the stock, worth %(total)s.",
                    done.imported,
                )
                % {"count": done.imported, "total": format_eur(done.total_cents)},
            )
            return redirect(reverse("payouts:staff") + "#vouchers")
    return _staff_page(request, status=400, voucher_form=form, row_errors=row_errors)
