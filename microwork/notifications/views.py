"""The bell's pages: every recent notice, and marking them read."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from microwork.accounts.models import User
from microwork.web.roles import page_user

from . import selectors, services

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
        return render(request, "notifications/_bell.html", {"open": True})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or "notifications:list")
