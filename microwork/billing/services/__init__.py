"""Every write on billing, by subject: `details` (a customer's billing details,
a seller's tax details for DAC7) and `invoices` (the monthly invoices and
credit notes)."""

from .details import (
    MIN_SELLER_AGE,
    InvalidSiret,
    InvalidTin,
    InvalidVatNumber,
    billing_profile_erase,
    billing_profile_save,
    tax_details_ask_due,
    tax_details_save,
    tin_normalise,
    vat_number_normalise,
)
from .invoices import (
    VAT_RATE_BP,
    buyer_identity,
    invoice_issue,
    invoices_issue_closing,
    invoices_issue_due,
    seller_identity,
)

__all__ = [
    "MIN_SELLER_AGE",
    "VAT_RATE_BP",
    "InvalidSiret",
    "InvalidTin",
    "InvalidVatNumber",
    "billing_profile_erase",
    "billing_profile_save",
    "buyer_identity",
    "invoice_issue",
    "invoices_issue_closing",
    "invoices_issue_due",
    "seller_identity",
    "tax_details_ask_due",
    "tax_details_save",
    "tin_normalise",
    "vat_number_normalise",
]
