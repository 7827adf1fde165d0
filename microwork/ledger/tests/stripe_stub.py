"""A local stand-in for Stripe's API, and webhook events signed as Stripe signs them.

The stub answers on 127.0.0.1 the calls the gateway makes (Checkout Sessions,
Refunds) and records each request; the events are checked by the real
`stripe` library with the test secret.
"""

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

WEBHOOK_SECRET = "whsec_test_microwork"


@dataclass
class StripeStub:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    # What the next answers say: refund status, or a failure of the whole API.
    refund_status: str = "succeeded"
    fail_with: int | None = None
    _count: int = 0

    def next_id(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_test_{self._count}"


def _handler(stub: StripeStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            form = {key: values[0] for key, values in parse_qs(body).items()}
            stub.requests.append({"path": self.path, "form": form, "headers": dict(self.headers)})
            if stub.fail_with:
                self._answer(stub.fail_with, {"error": {"type": "api_error", "message": "Stripe is down"}})
            elif self.path == "/v1/checkout/sessions":
                session_id = stub.next_id("cs")
                self._answer(
                    200,
                    {
                        "id": session_id,
                        "object": "checkout.session",
                        "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                        "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
                        "payment_status": "unpaid",
                    },
                )
            elif self.path == "/v1/refunds":
                self._answer(
                    200,
                    {
                        "id": stub.next_id("re"),
                        "object": "refund",
                        "amount": int(form["amount"]),
                        "status": stub.refund_status,
                        "payment_intent": form["payment_intent"],
                    },
                )
            else:
                self._answer(404, {"error": {"type": "invalid_request_error", "message": "unknown"}})

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def stripe_stub(settings: Any) -> Iterator[StripeStub]:
    """Stripe as the gateway, its API served locally, webhooks signed with a test secret."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    stub = StripeStub(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(stub)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_microwork"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stub.url
    yield stub
    server.shutdown()
    server.server_close()


def signed_event(
    event_type: str, obj: dict[str, Any], *, event_id: str, secret: str = WEBHOOK_SECRET
) -> tuple[str, str]:
    """An event body and its `Stripe-Signature` header, signed as Stripe does."""
    payload = json.dumps(
        {"id": event_id, "object": "event", "type": event_type, "data": {"object": obj}, "api_version": "2025-01-27"}
    )
    stamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return payload, f"t={stamp},v1={digest}"


def paid_session(session_id: str, topup_id: int | str, amount_cents: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "client_reference_id": f"topup:{topup_id}",
        "metadata": {"reference": f"topup:{topup_id}"},
        "amount_total": amount_cents,
        "currency": "eur",
        "payment_status": "paid",
        "payment_intent": f"pi_{session_id}",
        **extra,
    }
