"""Every write on packaged services (SPEC AM), by subject: `offers` (what
experts sell), `orders` (an order's life and its money), `cancellations`,
`messages` (the conversation inside an order) and `custom` (custom orders)."""

from .cancellations import cancellation_answer, cancellation_evaluate, cancellation_request, order_cancel, order_decline
from .common import (
    COMMISSION_CUSTOM_BP,
    COMMISSION_LISTED_BP,
    CancellationNeedsAgreement,
    OrderClosed,
    commission_split,
)
from .custom import custom_request_create, custom_request_invite, proposal_accept, proposal_create
from .messages import carries_contact_details, message_post
from .offers import (
    MAX_OFFERS,
    DuplicateOffer,
    ExtraIn,
    OfferFields,
    OfferLimitReached,
    offer_create,
    offer_image_add,
    offer_update,
    offer_withdraw,
    require_seller,
)
from .orders import (
    order_accept,
    order_deliver,
    order_dispute,
    order_place,
    order_resolve,
    order_revise,
    order_start,
    orders_flag_late_due,
)

__all__ = [
    "COMMISSION_CUSTOM_BP",
    "COMMISSION_LISTED_BP",
    "MAX_OFFERS",
    "CancellationNeedsAgreement",
    "DuplicateOffer",
    "ExtraIn",
    "OfferFields",
    "OfferLimitReached",
    "OrderClosed",
    "cancellation_answer",
    "cancellation_evaluate",
    "cancellation_request",
    "carries_contact_details",
    "commission_split",
    "custom_request_create",
    "custom_request_invite",
    "message_post",
    "offer_create",
    "offer_image_add",
    "offer_update",
    "offer_withdraw",
    "order_accept",
    "order_cancel",
    "order_decline",
    "order_deliver",
    "order_dispute",
    "order_place",
    "order_resolve",
    "order_revise",
    "order_start",
    "orders_flag_late_due",
    "proposal_accept",
    "proposal_create",
    "require_seller",
]
