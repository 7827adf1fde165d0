"""Every write on payouts (SPEC HM16, AM15, MW03), one module per subject."""

from .accounts import payout_account_create, payout_account_make_default
from .batches import payout_batch_create, payout_batch_mark_paid
from .common import (
    TASKER_MINIMUM_CENTS,
    TASKER_STEP_CENTS,
    IbanNotSepa,
    PayoutAlreadyRequested,
    PayoutBelowMinimum,
    PayoutNotMultiple,
    VoucherImportInvalid,
    VoucherOutOfStock,
)
from .requests import payout_fail, payout_request, voucher_code_reveal
from .vouchers import VoucherImport, voucher_reserve, voucher_stock_import

__all__ = [
    "TASKER_MINIMUM_CENTS",
    "TASKER_STEP_CENTS",
    "IbanNotSepa",
    "PayoutAlreadyRequested",
    "PayoutBelowMinimum",
    "PayoutNotMultiple",
    "VoucherImport",
    "VoucherImportInvalid",
    "VoucherOutOfStock",
    "payout_account_create",
    "payout_account_make_default",
    "payout_batch_create",
    "payout_batch_mark_paid",
    "payout_fail",
    "payout_request",
    "voucher_code_reveal",
    "voucher_reserve",
    "voucher_stock_import",
]
