from django.db.models import QuerySet

from microwork.accounts.models import User
from microwork.core.errors import NotFound

from .models import Payout, PayoutAccount, PayoutBatch


def _pk(raw: object) -> int:
    text = str(raw)
    if not text.isdigit() or len(text) > 18:
        raise NotFound()
    return int(text)


def payout_account_for(user: User, account_id: object) -> PayoutAccount:
    try:
        return PayoutAccount.objects.get(pk=_pk(account_id), user=user)
    except PayoutAccount.DoesNotExist:
        raise NotFound() from None


def payouts_of(user: User) -> QuerySet[Payout]:
    return Payout.objects.filter(user=user).select_related("account")


def own_payout(user: User, payout_id: object) -> Payout:
    try:
        return payouts_of(user).get(pk=_pk(payout_id))
    except Payout.DoesNotExist:
        raise NotFound() from None


def payout_for(user: User, payout_id: object) -> Payout:
    """Any payout for staff; the user's own otherwise."""
    payouts = Payout.objects.select_related("account", "user")
    if not user.is_staff_member:
        payouts = payouts.filter(user=user)
    try:
        return payouts.get(pk=_pk(payout_id))
    except Payout.DoesNotExist:
        raise NotFound() from None


def batch_for(user: User, batch_id: object) -> PayoutBatch:
    if not user.is_staff_member:
        raise NotFound()
    try:
        return PayoutBatch.objects.get(pk=_pk(batch_id))
    except PayoutBatch.DoesNotExist:
        raise NotFound() from None
