"""The bell's pages: every recent notice, and marking them read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from microwork.accounts.models import User
from microwork.accounts.roles import page_user
from microwork.core.errors import ApplicationError
from microwork.core.pages import next_url
from microwork.core.ratelimit import client_ip

from . import forms, selectors, services

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    return page_user(request)


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    notices = list(selectors.notices_recent(_user(request), PAGE_SIZE))
    return render(request, "notifications/list.html", {"notices": notices})


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    services.notices_mark_read(user=_user(request))
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "notifications/_bell.html", {"bell_open": True})
    return redirect(next_url(request) or "notifications:list")


def contact(request: HttpRequest) -> HttpResponse:
    """The contact form: anyone, signed in or not, reaches staff (HM18)."""
    initial = {}
    if request.user.is_authenticated:
        user = _user(request)
        initial = {"name": user.display_name, "email": user.email}
    form = forms.ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_staff(**form.cleaned_data, client_key=client_ip(request) or "unknown")
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Thank you: your message has reached our team."))
            return redirect("notifications:contact")
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/contact.html", {"form": form}, status=status)
