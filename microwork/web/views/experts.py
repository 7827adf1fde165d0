"""The expert's own profile and its photo (AM13, AM17)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.accounts import selectors as account_selectors
from microwork.accounts import services as account_services
from microwork.accounts.models import (
    User,
)
from microwork.accounts.roles import page_user
from microwork.core.errors import ApplicationError
from microwork.core.uploads import JPEG, file_response
from microwork.ops import experts as expert_review

from .. import forms

# --- Expert profile (AM13, AM17) ------------------------------------------


def _expert(request: HttpRequest) -> User:
    return page_user(request, "expert")


def _expert_profile_page(request: HttpRequest, **forms_in_use: Any) -> HttpResponse:
    user = _expert(request)
    profile = account_services.expert_profile_of(user)
    form = forms_in_use.get("form") or forms.ExpertProfileForm(
        initial={
            "status": profile.status,
            "headline": profile.headline,
            "bio": profile.bio,
            "skills": ", ".join(profile.skills or []),
        }
    )
    context = {
        "profile": profile,
        "form": form,
        "photo_form": forms_in_use.get("photo_form") or forms.ExpertPhotoForm(),
        "submit_error": forms_in_use.get("submit_error", ""),
        "missing": account_selectors.expert_profile_missing(profile),
        "verified": account_selectors.expert_is_verified(user),
    }
    return render(request, "web/expert_profile.html", context, status=400 if forms_in_use else 200)


@login_required
def expert_profile(request: HttpRequest) -> HttpResponse:
    """The expert's profile: status, headline, presentation, skills (AM13, AM17)."""
    user = _expert(request)
    if request.method != "POST":
        return _expert_profile_page(request)
    form = forms.ExpertProfileForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            expert_review.expert_profile_update(
                user=user, status=data["status"], headline=data["headline"], bio=data["bio"], skills=data["skills"]
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("web:expert_profile")
    return _expert_profile_page(request, form=form)


@login_required
@require_POST
def expert_profile_photo(request: HttpRequest) -> HttpResponse:
    user = _expert(request)
    form = forms.ExpertPhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            expert_review.expert_profile_photo_set(user=user, upload=form.cleaned_data["file"])
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Photo saved."))
            return redirect("web:expert_profile")
    return _expert_profile_page(request, photo_form=form)


@login_required
@require_POST
def expert_profile_submit(request: HttpRequest) -> HttpResponse:
    user = _expert(request)
    try:
        expert_review.expert_profile_submit(user=user)
    except ApplicationError as exc:
        return _expert_profile_page(request, submit_error=exc.detail)
    messages.success(request, _("Profile sent. Our team will review it shortly."))
    return redirect("web:expert_profile")


def expert_photo(request: HttpRequest, expert_id: int) -> FileResponse:
    """An expert's photo: public once the profile is approved; before that, for
    the expert and staff only."""
    profile = account_selectors.expert_photo_profile(request.user, expert_id)
    if profile is None:
        raise Http404
    return file_response(profile.photo, content_type=JPEG)
