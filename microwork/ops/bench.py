"""What `make bench` measures the platform against, served by the same
Django, gunicorn and database in the same run (bench/README.md): the
limit of this stack on this machine.

* `GET /bench/row/<id>/`: one mission row by primary key, as JSON;
* `GET /bench/page/`: the first page of 20 mission rows, newest first;
* `POST /bench/write/`: lock one row, bump its counter, insert one row.

And a middleware that answers `X-Bench-Queries` (the number of SQL queries
a request ran) when a request asks for it with `X-Bench-Count: 1`.
Mounted only when MICROWORK_BENCH is on, which production refuses
(microwork.E008).
"""

from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from microwork.missions.selectors import bench_mission_page, bench_mission_row

from .models import BenchCounter, BenchHit


@require_GET
def row(request: HttpRequest, pk: int) -> HttpResponse:
    return JsonResponse(bench_mission_row(pk))


@require_GET
def page(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"items": bench_mission_page(20)})


@csrf_exempt
@require_POST
def write(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        # The row migration ops.0002 creates: one SELECT ... FOR UPDATE, one UPDATE, one INSERT.
        counter = BenchCounter.objects.select_for_update().get(pk=1)
        BenchCounter.objects.filter(pk=counter.pk).update(value=F("value") + 1)
        hit = BenchHit.objects.create(counter=counter, value=counter.value + 1)
    return JsonResponse({"id": hit.pk, "value": hit.value}, status=201)


urlpatterns = [
    path("row/<int:pk>/", row, name="bench_row"),
    path("page/", page, name="bench_page"),
    path("write/", write, name="bench_write"),
]


class QueryCountMiddleware:
    """`X-Bench-Queries` on the answer to a request sent with `X-Bench-Count: 1`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get("X-Bench-Count") != "1":
            return self.get_response(request)
        count = 0

        def counting(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counting):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(count)
        return response
