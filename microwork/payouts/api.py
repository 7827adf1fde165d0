from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import StrictInt

from microwork.accounts.roles import current_user, require_role
from microwork.core.pagination import PageParams, keyset_page
from microwork.core.schemas import Text, one_of
from microwork.core.serialisers import history_out

from . import selectors, services
from .models import Method, Payout, PayoutAccount, PayoutBatch

router = Router(tags=["payouts"])
MethodName: Any = one_of(Method)
staff_router = Router(tags=["staff"])


class PayoutAccountIn(Schema):
    method: MethodName
    paypal_email: Text | None = Field(None, max_length=254)
    iban: Text | None = Field(None, max_length=64)
    holder: Text | None = Field(None, max_length=200)
    is_default: bool = False


class PayoutAccountOut(Schema):
    id: str
    method: str
    paypal_email: str | None
    iban: str | None
    bic: str | None
    holder: str | None
    is_default: bool
    created_at: datetime


class PayoutAccountPage(Schema):
    items: list[PayoutAccountOut]
    next_cursor: str | None


class PayoutIn(Schema):
    amount_cents: StrictInt = Field(ge=1, le=10**9)
    payout_account_id: str = Field(max_length=20)


class PayoutTransitionOut(Schema):
    from_state: str
    to_state: str
    at: datetime
    reason: str
    # Who made the change: a user's id (the payee or a staff member), or null for the system.
    by_id: str | None = None


class PayoutOut(Schema):
    id: str
    amount_cents: int
    method: str
    payout_account_id: str
    state: str
    failure_reason: str
    voucher_last4: str | None
    voucher_code_available: bool
    created_at: datetime
    history: list[PayoutTransitionOut] | None = None


class PayoutPage(Schema):
    items: list[PayoutOut]
    next_cursor: str | None


class VoucherCodeOut(Schema):
    code: str


class BatchIn(Schema):
    method: MethodName


class PayoutBatchOut(Schema):
    id: str
    method: str
    count: int
    total_cents: int
    export_name: str
    paid_at: datetime | None
    created_at: datetime
    payout_ids: list[str]


class FailIn(Schema):
    reason: Text = Field(min_length=1, max_length=300)


class VoucherImportOut(Schema):
    imported: int
    total_cents: int
    batch_label: str


class VoucherStockLineOut(Schema):
    brand: str
    value_cents: int
    # On the shelf (expired ones included), and what they are worth.
    count: int
    total_cents: int
    expired: int
    # Set aside for payouts not yet paid.
    reserved: int
    first_expiry: date | None


class VoucherStockOut(Schema):
    items: list[VoucherStockLineOut]
    total_cents: int


def payout_account_out(account: PayoutAccount) -> dict[str, Any]:
    return {
        "id": str(account.pk),
        "method": account.method,
        "paypal_email": account.paypal_email or None,
        "iban": account.iban or None,
        "bic": account.bic or None,
        "holder": account.holder or None,
        "is_default": account.is_default,
        "created_at": account.created_at,
    }


def payout_out(payout: Payout, *, history: bool = False) -> dict[str, Any]:
    return {
        "id": str(payout.pk),
        "amount_cents": payout.amount_cents,
        "method": payout.method,
        "payout_account_id": str(payout.account_id),
        "state": payout.state,
        "failure_reason": payout.failure_reason,
        "voucher_last4": payout.voucher_last4 or None,
        "voucher_code_available": bool(payout.voucher_code_once),
        "created_at": payout.created_at,
        "history": history_out(payout.transitions) if history else None,
    }


def batch_out(batch: PayoutBatch) -> dict[str, Any]:
    return {
        "id": str(batch.pk),
        "method": batch.method,
        "count": batch.count,
        "total_cents": batch.total_cents,
        "export_name": batch.export_name,
        "paid_at": batch.paid_at,
        "created_at": batch.created_at,
        "payout_ids": [str(pk) for pk in batch.payouts.order_by("pk").values_list("pk", flat=True)],
    }


@router.post("/me/payout-accounts", response={201: PayoutAccountOut})
def payout_account_create(request: HttpRequest, data: PayoutAccountIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_role(user, "tasker", "expert")
    account = services.payout_account_create(
        user=user,
        method=data.method,
        paypal_email=data.paypal_email or "",
        iban=data.iban or "",
        holder=data.holder or "",
        make_default=data.is_default,
    )
    return Status(201, payout_account_out(account))


@router.get("/me/payout-accounts", response=PayoutAccountPage)
def payout_account_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    accounts = selectors.payout_accounts_of(current_user(request))
    return keyset_page(accounts, limit=page.limit, cursor=page.cursor, serialize=payout_account_out)


@router.get("/me/payout-accounts/{account_id}", response=PayoutAccountOut)
def payout_account_detail(request: HttpRequest, account_id: str) -> dict[str, Any]:
    return payout_account_out(selectors.payout_account_for(current_user(request), account_id))


@router.post("/me/payouts", response={201: PayoutOut})
def payout_create(request: HttpRequest, data: PayoutIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_role(user, "tasker", "expert")
    account = selectors.payout_account_for(user, data.payout_account_id)
    payout = services.payout_request(user=user, amount_cents=data.amount_cents, account=account)
    return Status(201, payout_out(payout, history=True))


@router.get("/me/payouts", response=PayoutPage)
def payout_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    payouts = selectors.payouts_of(current_user(request))
    return keyset_page(payouts, limit=page.limit, cursor=page.cursor, serialize=payout_out)


@router.get("/me/payouts/{payout_id}", response=PayoutOut)
def payout_detail(request: HttpRequest, payout_id: str) -> dict[str, Any]:
    return payout_out(selectors.payout_for(current_user(request), payout_id), history=True)


@router.post("/me/payouts/{payout_id}/voucher-code", response=VoucherCodeOut)
def voucher_code(request: HttpRequest, payout_id: str) -> dict[str, str]:
    user = current_user(request)
    payout = selectors.payout_for(user, payout_id)
    return {"code": services.voucher_code_reveal(payout=payout, user=user)}


@staff_router.post("/payout-batches", response={201: PayoutBatchOut})
def batch_create(request: HttpRequest, data: BatchIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_role(user, "staff")
    return Status(201, batch_out(services.payout_batch_create(by=user, method=data.method)))


@staff_router.get("/payout-batches/{batch_id}", response=PayoutBatchOut)
def batch_detail(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    return batch_out(selectors.batch_for(current_user(request), batch_id))


@staff_router.get("/payout-batches/{batch_id}/export")
def batch_export(request: HttpRequest, batch_id: str) -> HttpResponse:
    batch = selectors.batch_for(current_user(request), batch_id)
    content_type = "application/xml" if batch.export_name.endswith(".xml") else "text/csv"
    response = HttpResponse(bytes(batch.export), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{batch.export_name or "batch.txt"}"'
    return response


@staff_router.post("/payout-batches/{batch_id}/paid", response=PayoutBatchOut)
def batch_paid(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    user = current_user(request)
    batch = selectors.batch_for(user, batch_id)
    return batch_out(services.payout_batch_mark_paid(batch=batch, by=user))


@staff_router.post("/payouts/{payout_id}/fail", response=PayoutOut)
def payout_fail(request: HttpRequest, payout_id: str, data: FailIn) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "staff")
    payout = selectors.payout_for(user, payout_id, as_staff=True)
    return payout_out(services.payout_fail(payout=payout, by=user, reason=data.reason), history=True)


@staff_router.post("/vouchers/import", response={201: VoucherImportOut})
def voucher_import(request: HttpRequest, file: File[UploadedFile]) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_role(user, "staff")
    done = services.voucher_stock_import(by=user, file=file)
    return Status(201, {"imported": done.imported, "total_cents": done.total_cents, "batch_label": done.batch_label})


@staff_router.get("/vouchers/stock", response=VoucherStockOut)
def voucher_stock(request: HttpRequest) -> dict[str, Any]:
    require_role(current_user(request), "staff")
    lines = selectors.voucher_stock()
    return {
        "items": [
            {
                "brand": line.brand,
                "value_cents": line.value_cents,
                "count": line.count,
                "total_cents": line.total_cents,
                "expired": line.expired,
                "reserved": line.reserved,
                "first_expiry": line.first_expiry,
            }
            for line in lines
        ],
        "total_cents": sum(line.total_cents for line in lines),
    }
