from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def mission_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@login_required
def my_claims(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


@login_required
def company_mission(request: HttpRequest, mission_id: int) -> HttpResponse:
    return HttpResponse("")
