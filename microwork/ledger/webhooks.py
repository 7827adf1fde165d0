"""The payment provider's signed events, each applied once (SPEC PL01).

The signature is checked by the provider's own library. The event's id is
written in the same transaction as its effect, under a unique constraint: a
replayed event, or the same event delivered twice at the same moment,
changes nothing the second time. Events about unknown objects, or of types
we do not act on, are recorded and change nothing.
"""

import logging
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from microwork.core.errors import ApplicationError

from .gateways import STRIPE_REFUND_STATES, RefundResult
from .models import PaymentEvent, RefundPart, Topup
from .payments import refund_part_settle, topup_settle

logger = logging.getLogger(__name__)


class InvalidSignature(ApplicationError):
    status = 400
    code = "invalid_signature"
    title = _("The event's signature is not valid.")


def _reference_id(value: Any, prefix: str) -> int | None:
    """The id in a reference we gave the provider ("topup:12")."""
    if isinstance(value, str) and value.startswith(f"{prefix}:") and value[len(prefix) + 1 :].isascii():
        tail = value[len(prefix) + 1 :]
        if tail.isdigit() and len(tail) < 19:
            return int(tail)
    return None


def _topup_of(session: Any) -> Topup | None:
    pk = _reference_id(session.get("client_reference_id"), "topup")
    if pk is None:
        pk = _reference_id((session.get("metadata") or {}).get("reference"), "topup")
    topup = Topup.objects.filter(pk=pk, gateway="stripe").first() if pk is not None else None
    if topup is not None and topup.provider_ref and topup.provider_ref != session.get("id"):
        return None
    return topup


def _on_session_paid(session: Any) -> str:
    topup = _topup_of(session)
    if topup is None:
        return "unknown checkout"
    if session.get("payment_status") != "paid":
        return "awaiting payment"
    currency = str(session.get("currency") or "").upper()
    if session.get("amount_total") != topup.amount_cents or currency != settings.CURRENCY:
        # Never credit an amount other than the one asked for.
        logger.error("Top-up %s: Stripe reports %s %s", topup.pk, session.get("amount_total"), currency)
        topup_settle(topup=topup, succeeded=False, provider_ref=session["id"], reason="amount mismatch")
        return "amount mismatch"
    payment_intent = session.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    topup_settle(topup=topup, succeeded=True, provider_ref=session["id"], payment_ref=str(payment_intent or ""))
    return "top-up succeeded"


def _on_session_failed(session: Any, reason: str) -> str:
    topup = _topup_of(session)
    if topup is None:
        return "unknown checkout"
    topup_settle(topup=topup, succeeded=False, provider_ref=session["id"], reason=reason)
    return f"top-up failed: {reason}"


def _on_refund(refund: Any) -> str:
    part = RefundPart.objects.filter(provider_ref=refund.get("id")).first() if refund.get("id") else None
    if part is None:
        pk = _reference_id((refund.get("metadata") or {}).get("reference"), "refund_part")
        part = RefundPart.objects.filter(pk=pk).first() if pk is not None else None
    if part is None:
        return "unknown refund"
    state = STRIPE_REFUND_STATES.get(refund.get("status") or "", "pending")
    refund_part_settle(
        part=part,
        result=RefundResult(state=state, provider_ref=refund["id"], reason=refund.get("failure_reason") or ""),
    )
    return f"refund {state}"


def _apply(event_type: str, obj: Any) -> str:
    if event_type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        return _on_session_paid(obj)
    if event_type == "checkout.session.async_payment_failed":
        return _on_session_failed(obj, "payment failed")
    if event_type == "checkout.session.expired":
        return _on_session_failed(obj, "checkout expired")
    if event_type in ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"):
        return _on_refund(obj)
    return "ignored"


def stripe_event_apply(*, payload: bytes, signature: str) -> str:
    """Check a Stripe webhook's signature and apply its event once; says what it did."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise InvalidSignature(str(_("Stripe webhooks are not configured here.")))
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise InvalidSignature() from exc
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = PaymentEvent.objects.create(provider="stripe", event_id=event.id, type=event.type)
        except IntegrityError:
            return "already applied"
        outcome = _apply(event.type, event.data.object.to_dict())
        record.outcome = outcome[:200]
        record.save(update_fields=["outcome"])
    return outcome
