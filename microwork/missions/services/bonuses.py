"""Bonuses: money a company adds on top of an approved report, with a message
for the tasker. The company pays the bonus plus the fee and its VAT exactly
as for a reward (HM10, `pricing.place_price`); the tasker's earnings get the
bonus."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.core.errors import InvalidInput
from microwork.core.money import format_eur
from microwork.core.states import WrongState
from microwork.ledger.models import AccountKind
from microwork.ledger.services import spend, system_account, wallet_of
from microwork.notifications.services import notify

from ..models import Bonus, Claim
from ..selectors import claim_takes_bonus
from .pricing import place_price
from .reviews import _require_company_of

BONUS_MESSAGE_MAX_CHARS = 2000


class BonusAboveCap(InvalidInput):
    code = "bonus_above_cap"


def bonus_amount_check(amount_cents: int) -> None:
    """A bonus is a positive whole number of cents, at most the cap."""
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise InvalidInput(_("A bonus is a positive amount."), field="amount_cents")
    if amount_cents > settings.BONUS_CAP_CENTS:
        raise BonusAboveCap(
            _("A bonus is at most %(cap)s.") % {"cap": format_eur(settings.BONUS_CAP_CENTS)}, field="amount_cents"
        )


def claim_bonus_add(*, claim: Claim, by: User, amount_cents: int, message: str = "") -> Bonus:
    """The company adds a bonus to an approved report of its own mission."""
    _require_company_of(claim, by)
    bonus_amount_check(amount_cents)
    message = (message or "").strip()
    if len(message) > BONUS_MESSAGE_MAX_CHARS:
        raise InvalidInput(
            _("The message is at most %(count)s characters.") % {"count": BONUS_MESSAGE_MAX_CHARS}, field="message"
        )
    fee, vat = place_price(amount_cents)
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("mission", "tasker").get(pk=claim.pk)
        if not claim_takes_bonus(claim):
            raise WrongState(_("A bonus can only be added to an approved report."))
        bonus = Bonus.objects.create(
            claim=claim, amount_cents=amount_cents, fee_cents=fee, vat_cents=vat, message=message, created_by=by
        )
        spend(
            kind="claim_bonus",
            idempotency_key=f"claim-bonus:{bonus.pk}",
            payer=by,
            to=[
                (wallet_of(claim.tasker), amount_cents),
                (system_account(AccountKind.REVENUE), fee),
                (system_account(AccountKind.VAT), vat),
            ],
            memo=claim.mission.title,
            # On the claim's reference: the company's invoice lists it with the mission (PL02).
            ref=f"claim:{claim.pk}",
            by=by,
        )
        notify(
            user=claim.tasker,
            kind="claim_bonus",
            title=lambda: (
                _("Bonus of %(amount)s on “%(title)s”")
                % {"amount": format_eur(amount_cents), "title": claim.mission.title}
            ),
            body=message,
            url=reverse("missions:my_claims") + f"#claim-{claim.pk}",
            email=True,
        )
    return bonus
