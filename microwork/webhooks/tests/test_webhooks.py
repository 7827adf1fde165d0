"""Signed webhooks for companies (issue 15, item 9), against a local receiver
(pytest-httpserver): Standard Webhooks signatures, sends by the worker after
the commit, retries with backoff, the delivery log, replay, and the SSRF guard."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend
from standardwebhooks.webhooks import Webhook
from werkzeug import Response

from microwork.api.tests.helpers import assert_problem
from microwork.missions.services import claim_create, claim_report
from microwork.notifications.models import Notice
from microwork.testing import ACCOUNT, api_as, english, make_company, make_published, signed_in
from microwork.webhooks.models import Delivery, DeliveryState, Endpoint
from microwork.webhooks.services import deliveries_send_due, event_record
from microwork.webhooks.tasks import webhook_deliver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    """The receiver listens on this machine: allowed in tests, as in development."""
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOKS_REQUIRE_HTTPS = False
    settings.WEBHOOKS_TIMEOUT_SECONDS = 2
    default_task_backend.clear()


def run_worker() -> int:
    """What the worker does: run every booked delivery task that is due; how many ran."""
    now = timezone.now()
    due = [
        r
        for r in default_task_backend.results
        if r.task.func is webhook_deliver.func and (r.task.run_after is None or r.task.run_after <= now)
    ]
    for result in due:
        default_task_backend.results.remove(result)
        result.task.call(*result.args, **result.kwargs)
    return len(due)


def register(company, url, events=("report.submitted",)) -> dict:
    response = api_as(company).post("/me/webhooks", {"url": url, "events": list(events)})
    assert response.status_code == 201, response.json()
    return response.json()


def report(company, staff, tasker, **mission):
    mission = make_published(company, staff, **mission)
    claim = claim_create(mission=mission, tasker=tasker)
    return claim_report(claim=claim, by=tasker, text=ACCOUNT)


def test_webhook_secret_shown_once(acme):
    created = register(acme, "http://127.0.0.1:9/hook")
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["report.submitted"]
    client = api_as(acme)
    assert client.get(f"/me/webhooks/{created['id']}").json()["secret"] is None
    assert [e["secret"] for e in client.get("/me/webhooks").json()["items"]] == [None]


def test_webhook_report_submitted_is_signed_and_sent_after_commit(
    acme, staff, alice, httpserver, django_capture_on_commit_callbacks
):
    # given acme listening for reports at a local receiver
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    endpoint = register(acme, httpserver.url_for("/hook"))
    # when alice reports on acme's mission
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        claim = report(acme, staff, alice)
        # then nothing went out inside the transaction
        assert httpserver.log == []
        assert not default_task_backend.results
    # and the send was booked for the worker once committed
    assert callbacks and len(default_task_backend.results) == 1
    assert httpserver.log == []
    assert run_worker() == 1
    # and the receiver got one call that the Standard Webhooks verifier accepts
    assert len(httpserver.log) == 1
    request, response = httpserver.log[0]
    assert response.status_code == 200
    payload = Webhook(endpoint["secret"]).verify(request.get_data(), dict(request.headers))
    assert payload["type"] == "report.submitted"
    assert payload["data"]["claim_id"] == str(claim.pk)
    assert payload["data"]["mission_id"] == str(claim.mission_id)
    # and a wrong secret does not verify
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 32).verify(request.get_data(), dict(request.headers))
    # and the log shows it delivered at the first try
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert request.headers["webhook-id"] == delivery.message_id


def test_webhook_failed_delivery_is_retried_later_then_succeeds(acme, staff, alice, httpserver):
    # given a receiver that fails once, then answers
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", status=204)
    register(acme, httpserver.url_for("/hook"))
    report(acme, staff, alice)
    # when the worker tries it
    assert deliveries_send_due() == 1
    # then it failed, and is booked again 5 minutes later, not before
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert timedelta(minutes=4) < delivery.next_attempt_at - timezone.now() <= timedelta(minutes=5)
    assert deliveries_send_due() == 0
    assert len(httpserver.log) == 1
    # when the time comes, the retry succeeds
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        assert deliveries_send_due() == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("succeeded", 2, 204)
    # and the log through the API shows both tries, and the same message id each time
    first, second = (r.headers["webhook-id"] for r, _ in httpserver.log)
    assert first == second == delivery.message_id
    body = api_as(acme).get(f"/me/webhooks/{delivery.endpoint_id}/deliveries/{delivery.pk}").json()
    assert [t["status_code"] for t in body["tries"]] == [500, 204]
    assert body["body"]["type"] == "report.submitted"


def test_webhook_gives_up_after_5_tries_over_a_day_and_replay_sends_again(
    acme, staff, alice, httpserver, django_capture_on_commit_callbacks
):
    # given a receiver that keeps failing
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    endpoint = register(acme, httpserver.url_for("/hook"))
    report(acme, staff, alice)
    start = timezone.now()
    # when the worker tries whenever a try is due, for two days
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(10):
            deliveries_send_due()
            delivery = Delivery.objects.get()
            if delivery.next_attempt_at is None:
                break
            clock.move_to(delivery.next_attempt_at + timedelta(seconds=1))
    # then it stopped at 5 tries, about a day after the first, and acme is told
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("failed", 5)
    assert len(httpserver.log) == 5
    assert timedelta(hours=20) < delivery.last_attempt_at - start < timedelta(hours=26)
    assert Notice.objects.filter(user=acme, kind="webhook_failed").exists()
    # when acme replays it once the receiver is fixed
    httpserver.clear_all_handlers()
    httpserver.expect_request("/hook").respond_with_data("ok")
    path = f"/me/webhooks/{endpoint['id']}/deliveries/{delivery.pk}/replay"
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(acme).post(path)
    assert response.status_code == 200 and response.json()["state"] == "pending"
    # then the worker sends it again, and a replay of a delivery still being tried is refused
    assert_problem(api_as(acme).post(path), 409, "wrong_state")
    assert run_worker() == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED
    assert len(httpserver.log) == 6


def test_webhook_nothing_sent_for_another_companys_missions(acme, staff, alice, httpserver):
    # given another company listening for reports
    other = make_company("other@example.fr", balance_cents=100_00)
    register(other, httpserver.url_for("/other"))
    # when a report arrives on acme's mission (acme has no endpoint)
    report(acme, staff, alice)
    # then nothing is recorded or sent for the other company
    assert not Delivery.objects.exists()
    assert deliveries_send_due() == 0
    assert httpserver.log == []


def test_webhook_only_the_events_chosen_are_sent(acme, staff, alice, bob, httpserver):
    # given acme listening for full missions only
    httpserver.expect_request("/full").respond_with_data("ok")
    register(acme, httpserver.url_for("/full"), events=["mission.full"])
    mission = make_published(acme, staff, places=2)
    # when a first tasker claims and reports, nothing is recorded
    first = claim_create(mission=mission, tasker=alice)
    claim_report(claim=first, by=alice, text=ACCOUNT)
    assert not Delivery.objects.exists()
    # when the last place is taken, mission.full is sent
    claim_create(mission=mission, tasker=bob)
    assert list(Delivery.objects.values_list("event_type", flat=True)) == ["mission.full"]
    deliveries_send_due()
    ((request, _response),) = httpserver.log
    assert json.loads(request.get_data())["data"]["mission_id"] == str(mission.pk)


def test_webhook_event_rolled_back_sends_nothing(acme, staff, alice, httpserver):
    register(acme, httpserver.url_for("/hook"))
    mission = make_published(acme, staff)
    claim = claim_create(mission=mission, tasker=alice)
    with pytest.raises(RuntimeError), transaction.atomic():
        claim_report(claim=claim, by=alice, text=ACCOUNT)
        raise RuntimeError("the action failed after the report")
    assert not Delivery.objects.exists()
    assert httpserver.log == []


def test_webhook_redirects_are_not_followed(acme, staff, alice, httpserver):
    httpserver.expect_request("/hook").respond_with_response(
        Response(status=302, headers={"Location": httpserver.url_for("/elsewhere")})
    )
    register(acme, httpserver.url_for("/hook"))
    report(acme, staff, alice)
    deliveries_send_due()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.last_status_code) == ("pending", 302)
    assert [r.path for r, _ in httpserver.log] == ["/hook"]


def test_webhook_slow_receiver_times_out_and_is_retried(acme, staff, alice, httpserver, settings):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 1

    import threading
    import time

    released = threading.Event()

    def slow(request):
        released.wait(timeout=5)  # answers only after the sender gave up
        return Response("late")

    httpserver.expect_request("/hook").respond_with_handler(slow)
    register(acme, httpserver.url_for("/hook"))
    report(acme, staff, alice)
    deliveries_send_due()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.last_status_code, delivery.last_error) == ("pending", None, "timeout")
    # let the receiver finish here, so its late answer is not logged in the next test
    released.set()
    deadline = time.monotonic() + 5
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "ftp://example.fr/hook",
        "not a url",
    ],
)
def test_webhook_private_addresses_refused_in_production(acme, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    response = api_as(acme).post("/me/webhooks", {"url": url, "events": ["report.submitted"]})
    assert_problem(response, 422, "invalid")
    assert response.json()["errors"][0]["field"] == "url"
    assert not Endpoint.objects.exists()


def test_webhook_address_that_turned_private_is_not_called(acme, staff, alice, httpserver, settings):
    # given an endpoint registered while loopback was allowed
    register(acme, httpserver.url_for("/hook"))
    report(acme, staff, alice)
    # when production rules apply at the time of the try
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    deliveries_send_due()
    # then no request is made, and the try is logged with the reason
    assert httpserver.log == []
    delivery = Delivery.objects.get()
    assert delivery.last_status_code is None and "réseau privé" in delivery.last_error


def test_webhook_https_required_when_set(acme, settings):
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    response = api_as(acme).post("/me/webhooks", {"url": "http://example.fr/hook", "events": ["mission.full"]})
    assert_problem(response, 422, "invalid")


def test_webhook_events_checked(acme):
    response = api_as(acme).post("/me/webhooks", {"url": "http://127.0.0.1:9/h", "events": ["claim.eaten"]})
    assert_problem(response, 422, "invalid")
    assert register(acme, "http://127.0.0.1:9/h", events=["batch.done"])["events"] == ["batch.done"]


def test_webhook_endpoints_are_the_companys_own(acme, alice, httpserver):
    created = register(acme, httpserver.url_for("/hook"))
    other = make_company("other@example.fr", balance_cents=100_00)
    for path in (f"/me/webhooks/{created['id']}", f"/me/webhooks/{created['id']}/deliveries"):
        assert_problem(api_as(other).get(path), 404, "not_found")
    assert_problem(api_as(other).delete(f"/me/webhooks/{created['id']}"), 404, "not_found")
    assert_problem(api_as(alice).get("/me/webhooks"), 403, "forbidden")
    assert api_as(other).get("/me/webhooks").json()["items"] == []
    # the owner deletes it
    assert api_as(acme).delete(f"/me/webhooks/{created['id']}").status_code == 204
    assert not Endpoint.objects.exists()


def test_webhook_endpoint_limit(acme, settings):
    settings.WEBHOOKS_MAX_ENDPOINTS = 2
    register(acme, "http://127.0.0.1:9/a")
    register(acme, "http://127.0.0.1:9/b")
    response = api_as(acme).post("/me/webhooks", {"url": "http://127.0.0.1:9/c", "events": ["mission.full"]})
    assert_problem(response, 409, "webhook_limit_reached")


def test_webhook_event_record_for_a_company_without_endpoints_records_nothing(acme):
    from microwork.core.events import Event

    assert event_record(Event(type="batch.done", company_id=acme.pk, data={})) == []


def test_webhook_pages_register_show_the_secret_once_and_replay(acme, staff, alice, httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    client = english(signed_in(Client(), acme))
    # the dashboard leads to the webhooks page
    assert reverse("webhooks:list").encode() in client.get(reverse("web:dashboard")).content
    # registering shows the secret on that answer only
    response = client.post(
        reverse("webhooks:list"), {"url": httpserver.url_for("/hook"), "events": ["report.submitted"]}
    )
    assert response.status_code == 200
    endpoint = Endpoint.objects.get()
    assert endpoint.secret.encode() in response.content
    assert endpoint.secret.encode() not in client.get(reverse("webhooks:list")).content
    # a delivery shows in the log with a replay button once sent
    report(acme, staff, alice)
    deliveries_send_due()
    delivery = Delivery.objects.get()
    page = client.get(reverse("webhooks:endpoint", args=[endpoint.pk]))
    replay = reverse("webhooks:replay", args=[endpoint.pk, delivery.pk])
    assert b"report.submitted" in page.content and replay.encode() in page.content
    assert client.post(replay).status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING
    # a private address is refused as a form error in production
    with pytest.MonkeyPatch.context() as patch:
        from django.conf import settings

        patch.setattr(settings, "WEBHOOKS_ALLOW_PRIVATE_URLS", False)
        refused = client.post(reverse("webhooks:list"), {"url": "http://10.1.2.3/x", "events": ["mission.full"]})
    assert refused.status_code == 400 and b"private network" in refused.content
    # another company's endpoint is not found
    other = signed_in(Client(), make_company("other@example.fr"))
    assert other.get(reverse("webhooks:endpoint", args=[endpoint.pk])).status_code == 404
    assert other.post(replay).status_code == 404


def test_ac03_webhook_addresses_in_the_data_export(acme):
    register(acme, "http://127.0.0.1:9/hook")
    exported = api_as(acme).get("/me/export").json()["webhooks"]
    assert [(e["url"], e["events"]) for e in exported] == [("http://127.0.0.1:9/hook", ["report.submitted"])]
    assert "secret" not in exported[0]


def test_webhook_tick_sends_a_delivery_whose_task_was_lost(acme, staff, alice, httpserver):
    from microwork.ops.tick import run_due

    # given a delivery whose booked task never ran
    httpserver.expect_request("/hook").respond_with_data("ok")
    register(acme, httpserver.url_for("/hook"))
    report(acme, staff, alice)
    # the periodic tick leaves it to its task for a while
    assert run_due()["webhooks_sent"] == 0
    # then sends it once it is overdue
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert run_due()["webhooks_sent"] == 1
    assert Delivery.objects.get().state == DeliveryState.SUCCEEDED
    assert len(httpserver.log) == 1
