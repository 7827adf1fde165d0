"""Rules and refusals every payout step shares (SPEC HM16, AM15, MW03)."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from microwork.accounts.models import User
from microwork.accounts.roles import require_role
from microwork.core.errors import Conflict, InvalidInput
from microwork.core.states import state_move

from ..models import (
    PAYOUT_MOVES,
    Payout,
    PayoutTransition,
)

TASKER_MINIMUM_CENTS = 10_00  # HM16: from 10 EUR...
TASKER_STEP_CENTS = 10_00  # ...in steps of 10 EUR


class PayoutBelowMinimum(InvalidInput):
    code = "payout_below_minimum"


class PayoutNotMultiple(InvalidInput):
    code = "payout_not_multiple"


class IbanNotSepa(InvalidInput):
    code = "iban_not_sepa"


class PayoutAlreadyRequested(Conflict):
    code = "payout_already_requested"


class VoucherOutOfStock(Conflict):
    code = "voucher_out_of_stock"


class VoucherImportInvalid(InvalidInput):
    code = "voucher_import_invalid"

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__(
            ngettext(
                "%(count)s row is not valid; nothing was imported.",
                "%(count)s rows are not valid; nothing was imported.",
                len(errors),
            )
            % {"count": len(errors)},
            field="file",
        )


def require_payee(user: User) -> None:
    require_role(user, "tasker", "expert", message=_("Only taskers and experts take money out."))


def payout_move(payout: Payout, to: str, *, by: User | None, reason: str = "", fields: tuple[str, ...] = ()) -> None:
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
