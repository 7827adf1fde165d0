"""A payout asked for, failed, or its voucher code shown.

A request moves the money at once from earnings to "payouts in flight";
a failure brings it back to earnings. Each move is one ledger entry with its
own idempotency key."""

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.accounts.roles import require_role
from microwork.core.errors import Conflict, Forbidden, InvalidInput, required_text
from microwork.core.idempotency import key_first_use, page_scope
from microwork.core.money import format_eur
from microwork.core.states import WrongState, state_require, state_start
from microwork.ledger.clearing import earnings_release_due
from microwork.ledger.models import AccountKind
from microwork.ledger.services import system_account, transfer, wallet_of
from microwork.notifications.services import notify

from ..models import (
    PAYOUT_MOVES,
    Method,
    Payout,
    PayoutAccount,
    PayoutState,
    PayoutTransition,
    VoucherCode,
    VoucherState,
)
from .accounts import in_sepa_zone
from .common import (
    TASKER_MINIMUM_CENTS,
    TASKER_STEP_CENTS,
    IbanNotSepa,
    PayoutAlreadyRequested,
    PayoutBelowMinimum,
    PayoutNotMultiple,
    payout_move,
    require_payee,
)
from .vouchers import voucher_move, voucher_reserve


def payout_request(*, user: User, amount_cents: int, account: PayoutAccount, request_key: str = "") -> Payout:
    """Ask for money out; it leaves the available balance at once (HM16, AM15).

    `request_key` is a page form's one-time token: the same form sent twice
    asks once, and the second is refused with `PayoutAlreadyRequested`.
    """
    earnings_release_due(user=user)
    with transaction.atomic():
        if request_key and not key_first_use(scope=page_scope(user.pk), key=f"payout:{request_key}"):
            raise PayoutAlreadyRequested(_("This request was already sent."))
        return _payout_request(user=user, amount_cents=amount_cents, account=account)


def _payout_request(*, user: User, amount_cents: int, account: PayoutAccount) -> Payout:
    require_payee(user)
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
    if account.method == Method.IBAN and not in_sepa_zone(account.iban):
        raise IbanNotSepa(
            _("This bank account is outside the SEPA zone: choose another payout account."),
            field="payout_account_id",
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
        if account.method == Method.GIFT_VOUCHER:
            # Without a code to hand over, the whole request rolls back: the money stays in the wallet.
            voucher_reserve(payout=payout, by=user)
        state_start(payout, allowed=PAYOUT_MOVES, history=PayoutTransition, by=user, payout=payout)
    return payout


def payout_fail(*, payout: Payout, by: User, reason: str) -> Payout:
    """The payment did not go through: the money returns to the wallet and the user is told why."""
    require_role(by, "staff", message=Forbidden.title)
    reason = required_text(reason, _("Tell the user why the payout failed."))
    with transaction.atomic():
        payout = Payout.objects.select_for_update().select_related("user").get(pk=payout.pk)
        state_require(payout, PayoutState.FAILED, allowed=PAYOUT_MOVES, message=_("Only a payout under way can fail."))
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
        voucher = VoucherCode.objects.select_for_update().filter(payout=payout, state=VoucherState.RESERVED).first()
        if voucher is not None:
            # Nobody saw it: the code goes back on the shelf for the next payout of its value.
            voucher.payout = None
            voucher_move(voucher, VoucherState.IN_STOCK, by=by, reason=reason, fields=("payout",))
            payout.voucher_code_hash = ""
            payout.voucher_last4 = ""
        payout.failure_reason = reason[:300]
        payout.voucher_code_once = ""
        payout_move(
            payout,
            PayoutState.FAILED,
            by=by,
            reason=reason,
            fields=("failure_reason", "voucher_code_once", "voucher_code_hash", "voucher_last4"),
        )
        notify(
            user=payout.user,
            kind="payout_failed",
            title=lambda: (
                _("Your payout of %(amount)s failed; the money is back in your wallet.")
                % {"amount": format_eur(payout.amount_cents)}
            ),
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
        if not code and payout.state == PayoutState.FAILED:
            raise WrongState(_("This payout failed: it has no voucher code."))
        if not code:
            raise Conflict(_("This voucher code has already been shown."), code="voucher_already_shown")
        payout.voucher_code_once = ""
        payout.save(update_fields=["voucher_code_once"])
        VoucherCode.objects.filter(payout=payout).update(code="")
    return code


# --- The gift-voucher stock ------------------------------------------------------------
