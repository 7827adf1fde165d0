"""Payment providers behind one interface (SPEC PL01).

A gateway starts a checkout for a top-up and refunds part of a payment. It
only talks to the provider: it never touches the database, and callers never
hold a transaction or a lock while it runs.

* `stripe`: production. A top-up is a Stripe Checkout Session; the money is
  credited only when Stripe's signed webhook confirms it (see `webhooks`).
* `sandbox`: development and the demo only; every payment and refund
  succeeds at once. Production refuses to start with it (system check).
* `declining`: refuses everything, for tests of the failure paths.
"""

import uuid
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Outcome = Literal["pending", "succeeded", "failed"]


class ProviderUnavailable(Exception):
    """The provider could not be reached or refused the call itself."""


@dataclass(frozen=True)
class CheckoutResult:
    state: Outcome
    provider_ref: str
    checkout_url: str = ""
    payment_ref: str = ""
    reason: str = ""


@dataclass(frozen=True)
class RefundResult:
    state: Outcome
    provider_ref: str
    reason: str = ""


class PaymentGateway(Protocol):
    name: str
    #: True when money is real: pages then drop the demo notice.
    live: bool

    def start_checkout(
        self, *, reference: str, amount_cents: int, email: str, return_url: str, idempotency_key: str
    ) -> CheckoutResult: ...

    def refund(self, *, reference: str, payment_ref: str, amount_cents: int, idempotency_key: str) -> RefundResult: ...


class SandboxGateway:
    name = "sandbox"
    live = False

    def start_checkout(
        self, *, reference: str, amount_cents: int, email: str, return_url: str, idempotency_key: str
    ) -> CheckoutResult:
        ref = f"sandbox_{uuid.uuid4().hex}"
        return CheckoutResult(state="succeeded", provider_ref=ref, payment_ref=ref)

    def refund(self, *, reference: str, payment_ref: str, amount_cents: int, idempotency_key: str) -> RefundResult:
        return RefundResult(state="succeeded", provider_ref=f"sandbox_re_{uuid.uuid4().hex}")


class DecliningGateway:
    name = "declining"
    live = False

    def start_checkout(
        self, *, reference: str, amount_cents: int, email: str, return_url: str, idempotency_key: str
    ) -> CheckoutResult:
        return CheckoutResult(state="failed", provider_ref="", reason="Card declined")

    def refund(self, *, reference: str, payment_ref: str, amount_cents: int, idempotency_key: str) -> RefundResult:
        return RefundResult(state="failed", provider_ref="", reason="Refund declined")


# Stripe's refund statuses, read the same way from the API's answer and from webhooks.
STRIPE_REFUND_STATES: dict[str, Outcome] = {
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "failed",
    "pending": "pending",
    "requires_action": "pending",
}


class StripeGateway:
    name = "stripe"
    live = True

    def _client(self) -> stripe.StripeClient:
        if not settings.STRIPE_SECRET_KEY:
            raise ImproperlyConfigured("PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY.")
        return stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE},
            max_network_retries=2,
        )

    def start_checkout(
        self, *, reference: str, amount_cents: int, email: str, return_url: str, idempotency_key: str
    ) -> CheckoutResult:
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": settings.CURRENCY.lower(),
                        "unit_amount": amount_cents,
                        "product_data": {"name": "Microwork: crédit du compte"},
                    },
                }
            ],
            "client_reference_id": reference,
            "metadata": {"reference": reference},
            "payment_intent_data": {"metadata": {"reference": reference}},
            "customer_email": email,
            "success_url": return_url,
            "cancel_url": return_url,
            "locale": "fr",
        }
        if settings.STRIPE_PAYMENT_METHOD_TYPES:
            params["payment_method_types"] = list(settings.STRIPE_PAYMENT_METHOD_TYPES)
        try:
            session = self._client().v1.checkout.sessions.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise ProviderUnavailable(str(exc.user_message or exc)) from exc
        return CheckoutResult(state="pending", provider_ref=session.id, checkout_url=session.url or "")

    def refund(self, *, reference: str, payment_ref: str, amount_cents: int, idempotency_key: str) -> RefundResult:
        try:
            refund = self._client().v1.refunds.create(
                {
                    "payment_intent": payment_ref,
                    "amount": amount_cents,
                    "reason": "requested_by_customer",
                    "metadata": {"reference": reference},
                },
                {"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as exc:
            # Refused as such (already refunded, too old...): final.
            return RefundResult(state="failed", provider_ref="", reason=str(exc.user_message or exc)[:200])
        except stripe.StripeError as exc:
            raise ProviderUnavailable(str(exc.user_message or exc)) from exc
        # A refund carries `failure_reason` only once it has failed.
        answer = refund.to_dict()
        state = STRIPE_REFUND_STATES.get(answer.get("status") or "", "pending")
        return RefundResult(state=state, provider_ref=answer["id"], reason=answer.get("failure_reason") or "")


GATEWAYS: dict[str, type[PaymentGateway]] = {
    "sandbox": SandboxGateway,
    "declining": DecliningGateway,
    "stripe": StripeGateway,
}


def get_gateway(name: str | None = None) -> PaymentGateway:
    """The gateway in use, or the one a past top-up went through."""
    name = name or settings.PAYMENT_GATEWAY
    try:
        return GATEWAYS[name]()
    except KeyError:
        raise ImproperlyConfigured(f"Unknown PAYMENT_GATEWAY {name!r}") from None
