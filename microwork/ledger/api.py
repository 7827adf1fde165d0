from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictInt

from microwork.accounts.roles import current_user
from microwork.core.errors import NotFound
from microwork.core.ids import object_id
from microwork.core.pagination import PageParams, keyset_page

from . import payments, selectors, webhooks
from .clearing import earnings_release_due
from .models import Posting, Refund, Topup, TopupState

router = Router(tags=["wallet"])


class WalletOut(Schema):
    available_cents: int
    pending_cents: int
    funds_cents: int
    earnings_cents: int
    currency: str


class LedgerLineOut(Schema):
    id: str
    entry_id: str
    kind: str
    account: str
    amount_cents: int
    memo: str
    ref: str
    created_at: datetime


class LedgerPage(Schema):
    items: list[LedgerLineOut]
    next_cursor: str | None


class TopupIn(Schema):
    amount_cents: StrictInt = Field(ge=1, le=settings.TOPUP_MAX_CENTS)


class TopupOut(Schema):
    id: str
    amount_cents: int
    state: str
    gateway: str
    checkout_url: str | None
    failure_reason: str
    created_at: datetime


class TopupPage(Schema):
    items: list[TopupOut]
    next_cursor: str | None


class RefundIn(Schema):
    amount_cents: StrictInt = Field(ge=1, le=settings.TOPUP_MAX_CENTS)


class RefundOut(Schema):
    id: str
    amount_cents: int
    refunded_cents: int
    state: str
    created_at: datetime


class RefundPage(Schema):
    items: list[RefundOut]
    next_cursor: str | None


class WebhookOut(Schema):
    received: bool
    outcome: str


def ledger_line_out(posting: Posting) -> dict[str, Any]:
    return {
        "id": str(posting.pk),
        "entry_id": str(posting.entry_id),
        "kind": posting.entry.kind,
        "account": posting.account.kind,
        "amount_cents": posting.amount_cents,
        "memo": posting.entry.memo,
        "ref": posting.entry.ref,
        "created_at": posting.entry.created_at,
    }


def topup_out(topup: Topup) -> dict[str, Any]:
    return {
        "id": str(topup.pk),
        "amount_cents": topup.amount_cents,
        "state": topup.state,
        "gateway": topup.gateway,
        # Only while the payer still has to pay.
        "checkout_url": topup.checkout_url if topup.state == TopupState.PENDING and topup.checkout_url else None,
        "failure_reason": topup.failure_reason,
        "created_at": topup.created_at,
    }


@router.get("/me/wallet", response=WalletOut)
def wallet(request: HttpRequest) -> dict[str, Any]:
    user = current_user(request)
    earnings_release_due(user=user)
    balance = selectors.wallet_balance(user)
    return {
        "available_cents": balance.available_cents,
        "pending_cents": balance.pending_cents,
        "funds_cents": balance.funds_cents,
        "earnings_cents": balance.earnings_cents,
        "currency": settings.CURRENCY,
    }


@router.get("/me/ledger", response=LedgerPage)
def ledger(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return keyset_page(
        selectors.wallet_postings(current_user(request)),
        limit=page.limit,
        cursor=page.cursor,
        serialize=ledger_line_out,
    )


@router.post("/me/topups", response={201: TopupOut})
def topup_create(request: HttpRequest, data: TopupIn) -> Status[dict[str, Any]]:
    topup = payments.topup_create(user=current_user(request), amount_cents=data.amount_cents)
    return Status(201, topup_out(topup))


@router.get("/me/topups", response=TopupPage)
def topup_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    topups = selectors.topups_of(current_user(request))
    return keyset_page(topups, limit=page.limit, cursor=page.cursor, serialize=topup_out)


@router.get("/me/topups/{topup_id}", response=TopupOut)
def topup_detail(request: HttpRequest, topup_id: str) -> dict[str, Any]:
    return topup_out(selectors.topup_for(current_user(request), object_id(topup_id)))


def refund_out(refund: Refund) -> dict[str, Any]:
    return {
        "id": str(refund.pk),
        "amount_cents": refund.amount_cents,
        "refunded_cents": refund.refunded_cents,
        "state": refund.state,
        "created_at": refund.created_at,
    }


@router.post("/me/refunds", response={201: RefundOut})
def refund_create(request: HttpRequest, data: RefundIn) -> Status[dict[str, Any]]:
    refund = payments.refund_request(user=current_user(request), amount_cents=data.amount_cents)
    return Status(201, refund_out(refund))


@router.get("/me/refunds", response=RefundPage)
def refund_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    refunds = selectors.refunds_of(current_user(request))
    return keyset_page(refunds, limit=page.limit, cursor=page.cursor, serialize=refund_out)


@router.get("/me/refunds/{refund_id}", response=RefundOut)
def refund_detail(request: HttpRequest, refund_id: str) -> dict[str, Any]:
    return refund_out(selectors.refund_for(current_user(request), object_id(refund_id)))


@router.post("/payments/{provider}/webhook", response=WebhookOut, auth=None, tags=["payments"])
def payment_webhook(request: HttpRequest, provider: str) -> dict[str, Any]:
    """The payment provider's signed event (Stripe: `Stripe-Signature`); each event is applied once."""
    if provider != "stripe":
        raise NotFound()
    outcome = webhooks.stripe_event_apply(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    return {"received": True, "outcome": outcome}
