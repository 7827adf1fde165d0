"""Where the money goes: PayPal, a SEPA IBAN, or gift vouchers (AM15)."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from microwork.accounts.models import User
from microwork.core.errors import InvalidInput

from ..models import (
    Method,
    PayoutAccount,
)
from .common import IbanNotSepa, require_payee


def in_sepa_zone(iban: str) -> bool:
    try:
        return bool(IBAN(iban).in_sepa_zone)
    except (SchwiftyException, ValueError, TypeError):
        return False


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
    require_payee(user)
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
        if not number.in_sepa_zone:
            # Payouts leave as one SEPA credit transfer file: a bank outside the zone cannot be paid by it.
            raise IbanNotSepa(
                _(
                    "This IBAN is outside the SEPA zone: bank transfers go to SEPA accounts only. "
                    "Choose PayPal or gift vouchers instead."
                ),
                field="iban",
            )
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
        # Parallel clicks queue on the user's row: two swaps at once would leave two defaults.
        User.objects.select_for_update().only("pk").get(pk=account.user_id)
        PayoutAccount.objects.filter(user_id=account.user_id, is_default=True).exclude(pk=account.pk).update(
            is_default=False
        )
        PayoutAccount.objects.filter(pk=account.pk).update(is_default=True)
        account.is_default = True
    return account
