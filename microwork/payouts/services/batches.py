"""Staff gather requested payouts into batches, with the file the bank or
PayPal takes, and mark them paid: the money leaves the platform."""

import io
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from sepaxml import SepaTransfer

from microwork.accounts.models import User
from microwork.accounts.roles import require_role
from microwork.core.errors import Conflict, Forbidden, InvalidInput
from microwork.core.money import format_eur
from microwork.core.spreadsheets import csv_writer
from microwork.ledger.models import AccountKind
from microwork.ledger.services import system_account, transfer
from microwork.notifications.services import notify

from ..models import (
    Method,
    Payout,
    PayoutBatch,
    PayoutState,
    VoucherCode,
    VoucherState,
)
from .accounts import in_sepa_zone
from .common import VoucherOutOfStock, payout_move
from .vouchers import voucher_move, voucher_reserve


def _sepa_export(batch: PayoutBatch, payouts: list[Payout]) -> bytes:
    sepa = SepaTransfer(
        {
            "name": settings.PAYOUT_DEBTOR_NAME,
            "IBAN": settings.PAYOUT_DEBTOR_IBAN,
            "BIC": settings.PAYOUT_DEBTOR_BIC,
            "batch": True,
            "currency": "EUR",
        },
        clean=True,
    )
    execution = timezone.localdate() + timedelta(days=1)
    for payout in payouts:
        payment = {
            "name": payout.account.holder,
            "IBAN": payout.account.iban,
            "amount": payout.amount_cents,
            "execution_date": execution,
            "description": f"Microwork payout {payout.pk}",
            "endtoend_id": f"MW-PAYOUT-{payout.pk}",
        }
        if payout.account.bic:
            payment["BIC"] = payout.account.bic
        sepa.add_payment(payment)
    return bytes(sepa.export(validate=True))


def _paypal_export(payouts: list[Payout]) -> bytes:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["Email", "Amount", "Currency", "Reference ID", "Note"])
    for payout in payouts:
        writer.writerow(
            [
                payout.account.paypal_email,
                f"{payout.amount_cents // 100}.{payout.amount_cents % 100:02d}",
                "EUR",
                f"MW-PAYOUT-{payout.pk}",
                "Microwork payout",
            ]
        )
    return out.getvalue().encode()


def payout_batch_create(*, by: User, method: str) -> PayoutBatch:
    """Gather the requested payouts of one method into a batch, with the file the bank or PayPal takes."""
    require_role(by, "staff", message=Forbidden.title)
    if method not in Method.values:
        raise InvalidInput(_("Choose PayPal, IBAN or gift voucher."), field="method")
    with transaction.atomic():
        queue = Payout.objects.filter(state=PayoutState.REQUESTED, method=method).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            # Two staff batching at once split the queue instead of waiting.
            queue = queue.select_for_update(skip_locked=True, of=("self",))
        payouts = list(queue.select_related("account", "user")[:1000])
        vouchers: dict[int, VoucherCode] = {}
        if method == Method.IBAN:
            # An account saved before the SEPA rule would break the bank's file:
            # its payout waits for staff to fail it with a reason.
            payouts = [payout for payout in payouts if in_sepa_zone(payout.account.iban)]
        elif method == Method.GIFT_VOUCHER:
            vouchers = _vouchers_for_batch(payouts, by=by)
            payouts = [payout for payout in payouts if payout.pk in vouchers]
        if not payouts:
            raise Conflict(_("No payout is waiting for this method."), code="nothing_to_batch")
        batch = PayoutBatch.objects.create(
            method=method,
            created_by=by,
            total_cents=sum(p.amount_cents for p in payouts),
            count=len(payouts),
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        if method == Method.IBAN:
            batch.export = _sepa_export(batch, payouts)
            batch.export_name = f"microwork-sepa-{batch.pk}-{stamp}.xml"
        elif method == Method.PAYPAL:
            batch.export = _paypal_export(payouts)
            batch.export_name = f"microwork-paypal-{batch.pk}-{stamp}.csv"
        batch.save(update_fields=["export", "export_name"])
        for payout in payouts:
            payout.batch = batch
            fields: tuple[str, ...] = ("batch",)
            if method == Method.GIFT_VOUCHER:
                code = vouchers[payout.pk].code
                payout.voucher_code_hash = Payout.hash_code(code)
                payout.voucher_code_once = code
                payout.voucher_last4 = code[-4:]
                fields += ("voucher_code_hash", "voucher_code_once", "voucher_last4")
            payout_move(payout, PayoutState.PROCESSING, by=by, fields=fields)
            notify(
                user=payout.user,
                kind="payout_processing",
                title=lambda: (
                    _("Your payout of %(amount)s is being processed.") % {"amount": format_eur(payout.amount_cents)}  # noqa: B023 (called at once)
                ),
                url=reverse("payouts:credits"),
            )
    return batch


def _vouchers_for_batch(payouts: list[Payout], *, by: User) -> dict[int, VoucherCode]:
    """The code reserved for each gift-voucher payout. One asked for before
    codes were held in stock gets one now; with none of its value left, it
    waits for the next batch."""
    reserved = {
        voucher.payout_id: voucher
        for voucher in VoucherCode.objects.select_for_update()
        .filter(payout__in=payouts, state=VoucherState.RESERVED)
        .order_by("pk")
    }
    vouchers: dict[int, VoucherCode] = {}
    for payout in payouts:
        voucher = reserved.get(payout.pk)
        if voucher is None:
            try:
                voucher = voucher_reserve(payout=payout, by=by)
            except VoucherOutOfStock:
                continue
        vouchers[payout.pk] = voucher
    return vouchers


def payout_batch_mark_paid(*, batch: PayoutBatch, by: User) -> PayoutBatch:
    """The bank or PayPal paid the batch: each payout still processing leaves the platform."""
    require_role(by, "staff", message=Forbidden.title)
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
        for payout in (
            Payout.objects.select_for_update().filter(batch=batch, state=PayoutState.PROCESSING).order_by("pk")
        ):
            _pay(payout, by=by)
        if batch.paid_at is None:
            batch.paid_at = timezone.now()
            batch.save(update_fields=["paid_at"])
    return batch


def _pay(payout: Payout, *, by: User) -> None:
    transfer(
        kind="payout_paid",
        idempotency_key=f"payout-paid:{payout.pk}",
        source=system_account(AccountKind.PAYOUTS_IN_FLIGHT),
        destination=system_account(AccountKind.PAYOUTS),
        amount_cents=payout.amount_cents,
        memo=f"{payout.method} payout",
        ref=f"payout:{payout.pk}",
        by=by,
    )
    voucher = VoucherCode.objects.select_for_update().filter(payout=payout, state=VoucherState.RESERVED).first()
    if voucher is not None:
        # The code now belongs to its owner: its value leaves the stock for the issuer it was bought from.
        transfer(
            kind="voucher_delivered",
            idempotency_key=f"voucher-delivered:{voucher.pk}",
            source=system_account(AccountKind.VOUCHER_STOCK),
            destination=system_account(AccountKind.VOUCHER_ISSUER),
            amount_cents=voucher.value_cents,
            memo=f"{voucher.brand} gift voucher …{voucher.last4}",
            ref=f"payout:{payout.pk}",
            by=by,
        )
        voucher_move(voucher, VoucherState.DELIVERED, by=by)
    payout_move(payout, PayoutState.PAID, by=by)
    notify(
        user=payout.user,
        kind="payout_paid",
        title=lambda: _("Your payout of %(amount)s is paid.") % {"amount": format_eur(payout.amount_cents)},
        url=reverse("payouts:credits"),
        email=True,
    )
