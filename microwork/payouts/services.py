"""Every write on payouts (SPEC HM16, AM15, MW03).

A request moves the money at once from the wallet to "payouts in flight";
paying a batch moves it out of the platform; a failure brings it back to the
wallet. Each move is one ledger entry with its own idempotency key.
"""

import csv
import io
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer

from microwork.accounts.models import User
from microwork.core.errors import Conflict, Forbidden, InvalidInput
from microwork.core.money import format_eur
from microwork.core.states import state_move
from microwork.ledger.models import AccountKind
from microwork.ledger.services import system_account, transfer, wallet_of
from microwork.notifications.services import notify

from .models import PAYOUT_MOVES, Method, Payout, PayoutAccount, PayoutBatch, PayoutState, PayoutTransition

TASKER_MINIMUM_CENTS = 10_00  # HM16: from 10 EUR...
TASKER_STEP_CENTS = 10_00  # ...in steps of 10 EUR
VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class PayoutBelowMinimum(InvalidInput):
    code = "payout_below_minimum"


class PayoutNotMultiple(InvalidInput):
    code = "payout_not_multiple"


def _require_payee(user: User) -> None:
    if not (user.is_tasker or user.is_expert):
        raise Forbidden(_("Only taskers and experts take money out."))


def payout_account_create(
    *,
    user: User,
    method: str,
    paypal_email: str = "",
    iban: str = "",
    holder: str = "",
    make_default: bool = False,
) -> PayoutAccount:
    """Register where the money goes: PayPal, a checked IBAN, or gift vouchers (AM15)."""
    _require_payee(user)
    fields: dict[str, str] = {}
    if method == Method.PAYPAL:
        email = paypal_email.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput(_("Enter the email address of your PayPal account."), field="paypal_email") from None
        fields["paypal_email"] = email
    elif method == Method.IBAN:
        try:
            number = IBAN(iban)
        except (SchwiftyException, ValueError, TypeError):
            raise InvalidInput(_("This IBAN is not valid."), field="iban") from None
        holder = " ".join(holder.split())
        if not holder or len(holder) > 70:
            raise InvalidInput(_("Give the account holder's name (at most 70 characters)."), field="holder")
        bic = number.bic
        fields.update(iban=number.compact, holder=holder, bic=str(bic.compact) if bic else "")
    elif method != Method.GIFT_VOUCHER:
        raise InvalidInput(_("Choose PayPal, IBAN or gift voucher."), field="method")
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=user.pk)
        has_default = PayoutAccount.objects.filter(user=user, is_default=True).exists()
        if make_default and has_default:
            PayoutAccount.objects.filter(user=user, is_default=True).update(is_default=False)
        return PayoutAccount.objects.create(
            user=user, method=method, is_default=make_default or not has_default, **fields
        )


def payout_account_make_default(*, account: PayoutAccount) -> PayoutAccount:
    with transaction.atomic():
        PayoutAccount.objects.filter(user_id=account.user_id, is_default=True).update(is_default=False)
        PayoutAccount.objects.filter(pk=account.pk).update(is_default=True)
        account.is_default = True
    return account


def _move(payout: Payout, to: str, *, by: User | None, reason: str = "", fields: tuple[str, ...] = ()) -> None:
    state_move(
        payout,
        to,
        allowed=PAYOUT_MOVES,
        history=PayoutTransition,
        by=by,
        reason=reason,
        update_fields=fields,
        payout=payout,
    )


def payout_request(*, user: User, amount_cents: int, account: PayoutAccount) -> Payout:
    """Ask for money out; it leaves the available balance at once (HM16, AM15)."""
    _require_payee(user)
    if account.user_id != user.pk:
        raise Forbidden()
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise InvalidInput(_("The amount must be positive."), field="amount_cents")
    if user.is_tasker:
        if amount_cents < TASKER_MINIMUM_CENTS:
            raise PayoutBelowMinimum(
                _("Payouts start at %(minimum)s.") % {"minimum": format_eur(TASKER_MINIMUM_CENTS)},
                field="amount_cents",
            )
        if amount_cents % TASKER_STEP_CENTS:
            raise PayoutNotMultiple(
                _("Payouts go in steps of %(step)s.") % {"step": format_eur(TASKER_STEP_CENTS)}, field="amount_cents"
            )
    with transaction.atomic():
        payout = Payout.objects.create(user=user, account=account, method=account.method, amount_cents=amount_cents)
        # The wallet's row lock inside the posting serialises parallel requests.
        transfer(
            kind="payout_request",
            idempotency_key=f"payout:{payout.pk}",
            source=wallet_of(user),
            destination=system_account(AccountKind.PAYOUTS_IN_FLIGHT),
            amount_cents=amount_cents,
            memo=str(account),
            ref=f"payout:{payout.pk}",
            by=user,
        )
        PayoutTransition.objects.create(
            payout=payout, from_state="", to_state=PayoutState.REQUESTED, by=user, at=timezone.now()
        )
    return payout


def _new_voucher_code() -> str:
    groups = ["".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(4)) for _ in range(4)]
    return "-".join(groups)


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
    writer = csv.writer(out)
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
    if not by.is_staff_member:
        raise Forbidden()
    if method not in Method.values:
        raise InvalidInput(_("Choose PayPal, IBAN or gift voucher."), field="method")
    with transaction.atomic():
        queue = Payout.objects.filter(state=PayoutState.REQUESTED, method=method).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            # Two staff batching at once split the queue instead of waiting.
            queue = queue.select_for_update(skip_locked=True, of=("self",))
        payouts = list(queue.select_related("account", "user")[:1000])
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
                code = _new_voucher_code()
                payout.voucher_code_hash = Payout.hash_code(code)
                payout.voucher_code_once = code
                payout.voucher_last4 = code[-4:]
                fields += ("voucher_code_hash", "voucher_code_once", "voucher_last4")
            _move(payout, PayoutState.PROCESSING, by=by, fields=fields)
            notify(
                user=payout.user,
                kind="payout_processing",
                title=_("Your payout of %(amount)s is being processed.") % {"amount": format_eur(payout.amount_cents)},
                url=reverse("payouts:credits"),
            )
    return batch


def payout_batch_mark_paid(*, batch: PayoutBatch, by: User) -> PayoutBatch:
    """The bank or PayPal paid the batch: each payout still processing leaves the platform."""
    if not by.is_staff_member:
        raise Forbidden()
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
    _move(payout, PayoutState.PAID, by=by)
    notify(
        user=payout.user,
        kind="payout_paid",
        title=_("Your payout of %(amount)s is paid.") % {"amount": format_eur(payout.amount_cents)},
        url=reverse("payouts:credits"),
        email=True,
    )


def payout_fail(*, payout: Payout, by: User, reason: str) -> Payout:
    """The payment did not go through: the money returns to the wallet and the user is told why."""
    if not by.is_staff_member:
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Tell the user why the payout failed."), field="reason")
    with transaction.atomic():
        payout = Payout.objects.select_for_update().select_related("user").get(pk=payout.pk)
        if payout.state not in (PayoutState.REQUESTED, PayoutState.PROCESSING):
            raise Conflict(_("Only a payout under way can fail."), code="wrong_state")
        if payout.voucher_code_hash and not payout.voucher_code_once:
            # Its owner holds the code: giving the money back as well would pay twice.
            raise Conflict(
                _("The voucher code has already been shown to its owner; it cannot fail now."),
                code="voucher_already_shown",
            )
        transfer(
            kind="payout_failed",
            idempotency_key=f"payout-failed:{payout.pk}",
            source=system_account(AccountKind.PAYOUTS_IN_FLIGHT),
            destination=wallet_of(payout.user),
            amount_cents=payout.amount_cents,
            memo=reason[:200],
            ref=f"payout:{payout.pk}",
            by=by,
        )
        payout.failure_reason = reason[:300]
        payout.voucher_code_once = ""
        _move(payout, PayoutState.FAILED, by=by, reason=reason, fields=("failure_reason", "voucher_code_once"))
        notify(
            user=payout.user,
            kind="payout_failed",
            title=_("Your payout of %(amount)s failed; the money is back in your wallet.")
            % {"amount": format_eur(payout.amount_cents)},
            body=reason,
            url=reverse("payouts:credits"),
            email=True,
        )
    return payout


def voucher_code_reveal(*, payout: Payout, user: User) -> str:
    """The voucher's code, shown to its owner once, then forgotten (only its hash stays)."""
    if payout.user_id != user.pk:
        raise Forbidden()
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        code = payout.voucher_code_once
        if not code and payout.method == Method.GIFT_VOUCHER and payout.state == PayoutState.REQUESTED:
            raise Conflict(_("The voucher code is made when the payout is processed."), code="voucher_not_ready")
        if not code:
            raise Conflict(_("This voucher code has already been shown."), code="voucher_already_shown")
        payout.voucher_code_once = ""
        payout.save(update_fields=["voucher_code_once"])
    return code
