"""Template batches on the pages (MW04): the company makes one from a
template and a file of items, follows its progress and downloads its
results; staff review it once, as one unit."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.core.errors import ApplicationError, by_row

from .. import batch_selectors, forms, services
from ..batch_template import TemplateInvalid, items_content, results_response
from ..models import Batch
from .common import act_then_redirect, any_user, company_user, form_then_redirect, more_url, page_of, posted, staff_user
from .company import FIELD_ALIASES, _question_payload


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    user = company_user(request)
    page = page_of(batch_selectors.batches_visible_to(user), request.GET.get("cursor", ""))
    rows = [{"batch": batch, "progress": batch_selectors.batch_progress(batch)} for batch in page["items"]]
    return render(
        request, "missions/batch_list.html", {"rows": rows, "more_url": more_url(request, page["next_cursor"])}
    )


TEMPLATE_ALIASES = {
    **FIELD_ALIASES,
    "file": "items",
    "template.title": "title",
    "template.instructions": "instructions",
}


@login_required
def batch_create(request: HttpRequest) -> HttpResponse:
    """The template, its questions and the items file: one draft batch, or every bad row named."""
    user = company_user(request)
    form = forms.BatchTemplateForm(posted(request), request.FILES or None)
    formset = forms.QuestionFormSet(posted(request), prefix="questions")
    context: dict[str, Any] = {"form": form, "formset": formset}
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        questions, _origin = _question_payload(formset)
        upload = form.cleaned_data["items"]
        try:
            template = form.template(questions)
            batch = services.batch_create_from_file(
                company=user,
                template=template,
                content=items_content(upload, field="file"),
                wave_size=form.cleaned_data.get("wave_size"),
                wave_minutes=form.cleaned_data.get("wave_minutes"),
            )
        except (services.BatchInvalid, TemplateInvalid) as exc:
            form.add_error("items", exc.detail)
            context["row_errors"] = by_row(exc.errors)
        except ApplicationError as exc:
            form.add_service_error(exc, aliases=TEMPLATE_ALIASES)
        else:
            messages.success(request, _("Draft batch created. Check it, then send it for review."))
            return redirect("missions:batch_detail", batch.pk)
    shown, more = forms.question_slots(formset)
    context.update(questions_shown=shown, questions_more=more)
    return render(request, "missions/batch_form.html", context, status=400 if request.method == "POST" else 200)


def _detail_page(request: HttpRequest, batch: Batch, *, reason_form: Any = None, status: int = 200) -> HttpResponse:
    user = any_user(request)
    context = {
        "batch": batch,
        "progress": batch_selectors.batch_progress(batch),
        "preview": batch_selectors.batch_preview(batch),
        "is_owner": batch.company_id == user.pk,
        "is_staff": user.is_staff_member,
        "can_submit": batch.company_id == user.pk and batch_selectors.batch_can_submit(batch),
        "can_withdraw": batch.company_id == user.pk and batch_selectors.batch_can_withdraw(batch),
        "can_review": user.is_staff_member and batch_selectors.batch_can_review(batch),
        "reason_form": reason_form or forms.ReasonForm(prefix=f"b{batch.pk}"),
    }
    return render(request, "missions/batch_detail.html", context, status=status)


@login_required
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The company's batch (or any batch, for staff): its state, progress and first items."""
    user = any_user(request)
    return _detail_page(request, batch_selectors.batch_for(user, batch_id))


@login_required
def batch_results(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = any_user(request)
    batch = batch_selectors.batch_for(user, batch_id)
    return results_response(batch, batch_selectors.batch_results(batch))


@login_required
@require_POST
def batch_submit(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = company_user(request)
    batch = batch_selectors.batch_for(user, batch_id)
    return act_then_redirect(
        request,
        lambda: services.batch_submit(batch=batch, by=user),
        done=_("Sent for review. The cost of every item is reserved from your balance."),
        to=reverse("missions:batch_detail", args=[batch.pk]),
    )


@login_required
@require_POST
def batch_withdraw(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = company_user(request)
    batch = batch_selectors.batch_for(user, batch_id)
    return act_then_redirect(
        request,
        lambda: services.batch_withdraw(batch=batch, by=user),
        done=_("Batch withdrawn. Places nobody holds are refunded to your balance."),
        to=reverse("missions:batch_detail", args=[batch.pk]),
    )


@login_required
@require_POST
def batch_publish(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = staff_user(request)
    batch = batch_selectors.batch_for(user, batch_id)
    return act_then_redirect(
        request,
        lambda: services.batch_publish(batch=batch, by=user),
        done=_("The batch “%(title)s” is published.") % {"title": batch.title},
        to=reverse("missions:review_queue"),
    )


@login_required
@require_POST
def batch_request_changes(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = staff_user(request)
    batch = batch_selectors.batch_for(user, batch_id)
    form = forms.ReasonForm(request.POST, prefix=f"b{batch.pk}")
    done = form_then_redirect(
        request,
        form,
        lambda data: services.batch_request_changes(batch=batch, by=user, reason=data["reason"]),
        done=_("The batch “%(title)s” is sent back to the company.") % {"title": batch.title},
        to=reverse("missions:review_queue"),
    )
    return done or _detail_page(request, batch, reason_form=form, status=400)


def pending_batches() -> list[dict[str, Any]]:
    """The review queue's batches, each once, with what it costs and its first item."""
    return [
        {
            "batch": batch,
            "progress": batch_selectors.batch_progress(batch),
            "preview": batch_selectors.batch_preview(batch, limit=1),
        }
        for batch in batch_selectors.batches_pending_review()[:20]
    ]
