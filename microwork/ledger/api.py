from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictInt

from microwork.api.auth import current_user
from microwork.api.pagination import PageParams, keyset_page
from microwork.core.errors import NotFound
from microwork.core.ids import object_id

from . import selectors, services
from .models import Posting, Topup

router = Router(tags=["wallet"])


class WalletOut(Schema):
    available_cents: int
    pending_cents: int
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
    failure_reason: str
    created_at: datetime


class TopupPage(Schema):
    items: list[TopupOut]
    next_cursor: str | None


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
        "failure_reason": topup.failure_reason,
        "created_at": topup.created_at,
    }


@router.get("/me/wallet", response=WalletOut)
def wallet(request: HttpRequest) -> dict[str, Any]:
    balance = selectors.wallet_balance(current_user(request))
    return {
        "available_cents": balance.available_cents,
        "pending_cents": balance.pending_cents,
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
    topup = services.topup_create(user=current_user(request), amount_cents=data.amount_cents)
    return Status(201, topup_out(topup))


@router.get("/me/topups", response=TopupPage)
def topup_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    topups = Topup.objects.filter(user=current_user(request))
    return keyset_page(topups, limit=page.limit, cursor=page.cursor, serialize=topup_out)


@router.get("/me/topups/{topup_id}", response=TopupOut)
def topup_detail(request: HttpRequest, topup_id: str) -> dict[str, Any]:
    topup = Topup.objects.filter(user=current_user(request), pk=object_id(topup_id)).first()
    if topup is None:
        raise NotFound()
    return topup_out(topup)
