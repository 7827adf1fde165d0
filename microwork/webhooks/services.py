"""Every write on webhooks: a company's endpoints, the deliveries an event
makes, each try and its retries, and replays.

An event is recorded as deliveries inside the transaction that made it happen
(so a rolled-back action sends nothing); the worker sends them after the
commit, never inside a transaction or a lock. Each delivery is signed as the
Standard Webhooks specification says (HMAC-SHA256 over `id.timestamp.body`,
headers webhook-id, webhook-timestamp, webhook-signature), retried with
growing delays, and logged try by try.
"""

import base64
import json
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from microwork.accounts.models import User
from microwork.accounts.roles import require_role
from microwork.core.errors import Conflict, Forbidden, InvalidInput
from microwork.core.events import EVENT_TYPES, Event
from microwork.core.states import state_move, state_start
from microwork.notifications.services import notify

from . import transport
from .addresses import url_refusal
from .models import DELIVERY_MOVES, Attempt, Delivery, DeliveryState, DeliveryTransition, Endpoint

ERROR_MAX_CHARS = 300


class EndpointLimitReached(Conflict):
    code = "webhook_limit_reached"


def _require_company(user: User) -> None:
    require_role(user, "company", message=_("Webhooks are for companies."))


def secret_new() -> str:
    """A signing secret in the Standard Webhooks form: "whsec_" and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _clean_events(events: list[str]) -> list[str]:
    chosen = [name for name in EVENT_TYPES if name in set(events or [])]
    unknown = set(events or []) - set(EVENT_TYPES)
    if unknown or not chosen:
        raise InvalidInput(
            _("Choose events among: %(names)s.") % {"names": ", ".join(EVENT_TYPES)},
            field="events",
        )
    return chosen


def endpoint_create(*, company: User, url: str, events: list[str], description: str = "") -> Endpoint:
    """Register an address for the company's events; its secret is shown once, on this answer."""
    _require_company(company)
    url = (url or "").strip()
    refusal = url_refusal(url)
    if refusal:
        raise InvalidInput(refusal, field="url")
    chosen = _clean_events(events)
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=company.pk)
        if Endpoint.objects.filter(company=company).count() >= settings.WEBHOOKS_MAX_ENDPOINTS:
            raise EndpointLimitReached(
                _("At most %(count)s webhook addresses; delete one first.") % {"count": settings.WEBHOOKS_MAX_ENDPOINTS}
            )
        return Endpoint.objects.create(
            company=company, url=url, events=chosen, description=(description or "").strip()[:200], secret=secret_new()
        )


def endpoint_delete(*, endpoint: Endpoint, by: User) -> None:
    """Stop sending to this address; its deliveries and their log go with it."""
    if endpoint.company_id != by.pk:
        raise Forbidden()
    endpoint.delete()


# --- Events become deliveries ---------------------------------------------


def _body(event: Event, at: datetime) -> str:
    return json.dumps(
        {"type": event.type, "timestamp": at.isoformat(), "data": event.data},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def event_record(event: Event) -> list[Delivery]:
    """One delivery per endpoint of the event's company that chose this event
    (core.events subscriber). Runs inside the emitting transaction; the sends
    are booked for after its commit."""
    now = timezone.now()
    endpoints = [e for e in Endpoint.objects.filter(company_id=event.company_id) if event.type in e.events]
    deliveries = []
    body = _body(event, now)
    for endpoint in endpoints:
        delivery = Delivery.objects.create(
            endpoint=endpoint,
            event_type=event.type,
            message_id=f"msg_{secrets.token_hex(12)}",
            body=body,
            next_attempt_at=now,
        )
        state_start(delivery, allowed=DELIVERY_MOVES, history=DeliveryTransition, delivery=delivery)
        deliveries.append(delivery)
    if deliveries:
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _book(ids))
    return deliveries


def _book(delivery_ids: list[int], *, at: datetime | None = None) -> None:
    """Ask the worker to try these deliveries (now, or at `at`)."""
    from .tasks import webhook_deliver

    for delivery_id in delivery_ids:
        task = webhook_deliver.using(run_after=at) if at else webhook_deliver
        task.enqueue(delivery_id)


# --- Sending ----------------------------------------------------------------


def signed_headers(delivery: Delivery, *, secret: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers, signed with the endpoint's secret."""
    return {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery.message_id, at, delivery.body),
    }


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after the `attempts`-th failed try; None: no more tries."""
    delays = settings.WEBHOOKS_RETRY_DELAYS_SECONDS
    if attempts > len(delays):
        return None
    return timedelta(seconds=delays[attempts - 1])


def _delivery_move(delivery: Delivery, to: str, **how: Any) -> None:
    state_move(delivery, to, allowed=DELIVERY_MOVES, history=DeliveryTransition, delivery=delivery, **how)


def delivery_attempt(*, delivery_id: int) -> bool:
    """Try one delivery if it is due; True if a request was made. Never
    called inside a transaction: the network call happens between two."""
    now = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.state != DeliveryState.PENDING:
            return False
        if delivery.next_attempt_at is None or delivery.next_attempt_at > now:
            return False
        delivery.attempts += 1
        delivery.last_attempt_at = now
        # A lease: another worker leaves this delivery alone while the try runs.
        delivery.next_attempt_at = now + timedelta(seconds=3 * settings.WEBHOOKS_TIMEOUT_SECONDS + 30)
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
        endpoint = Endpoint.objects.get(pk=delivery.endpoint_id)
    started = time.monotonic()
    # The log reads the same whichever request happened to run before in this worker.
    with translation.override(settings.LANGUAGE_CODE):
        refusal = url_refusal(endpoint.url)
    if refusal:
        status, error = None, refusal
    else:
        headers = signed_headers(delivery, secret=endpoint.secret, at=now)
        status, error = transport.post(endpoint.url, body=delivery.body.encode(), headers=headers)
    duration_ms = int((time.monotonic() - started) * 1000)
    _attempt_record(delivery.pk, at=now, status=status, error=error, duration_ms=duration_ms)
    return True


def _attempt_record(delivery_id: int, *, at: datetime, status: int | None, error: str, duration_ms: int) -> None:
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("endpoint").filter(pk=delivery_id).first()
        if delivery is None:
            return  # the endpoint was deleted meanwhile
        Attempt.objects.create(
            delivery=delivery, at=at, status_code=status, error=error[:ERROR_MAX_CHARS], duration_ms=duration_ms
        )
        delivery.last_status_code = status
        delivery.last_error = error[:ERROR_MAX_CHARS] if status is None else ""
        fields = ("last_status_code", "last_error", "next_attempt_at", "delivered_at")
        if status is not None and 200 <= status < 300:
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
            _delivery_move(delivery, DeliveryState.SUCCEEDED, update_fields=fields)
            return
        delay = retry_delay(delivery.attempts)
        if delay is None:
            delivery.next_attempt_at = None
            _delivery_move(delivery, DeliveryState.FAILED, reason=error or f"HTTP {status}", update_fields=fields)
            notify(
                user=delivery.endpoint.company,
                kind="webhook_failed",
                title=lambda: _("A webhook could not be delivered to %(url)s") % {"url": delivery.endpoint.url[:100]},
                body=lambda: (
                    _("After %(count)s tries the address still fails. Check it, then replay the delivery.")
                    % {"count": delivery.attempts}
                ),
                url=reverse("webhooks:endpoint", args=[delivery.endpoint_id]),
            )
            return
        delivery.next_attempt_at = timezone.now() + delay
        delivery.save(update_fields=list(fields))
        retry_at, delivery_pk = delivery.next_attempt_at, delivery.pk
        transaction.on_commit(lambda: _book([delivery_pk], at=retry_at))


def deliveries_send_due(*, limit: int = 50, late_by: timedelta = timedelta(0)) -> int:
    """Try the deliveries due for at least `late_by` (the periodic sweep: a
    try whose booked task was lost is still made); how many were tried."""
    cutoff = timezone.now() - late_by
    due = list(
        Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(delivery_attempt(delivery_id=pk) for pk in due)


def delivery_replay(*, delivery: Delivery, by: User) -> Delivery:
    """Send a delivered or failed message again (same id, fresh signature), with a fresh set of tries."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
        if delivery.endpoint.company_id != by.pk:
            raise Forbidden()
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        _delivery_move(
            delivery,
            DeliveryState.PENDING,
            by=by,
            reason="replay",
            update_fields=("attempts", "next_attempt_at"),
            message=_("This delivery is still being tried; it can be replayed once it has succeeded or failed."),
        )
        delivery_pk = delivery.pk
        transaction.on_commit(lambda: _book([delivery_pk]))
    return delivery
