"""Time-based transitions, applied once each time they are due.

Every rule still holds without them (a claim past its deadline is refused a
report before anything marks it lapsed); `tick` only writes down what the
clock already decided. `manage.py tick` and the worker's periodic task both
call `run_due`.
"""

from datetime import timedelta

from microwork.accounts import services as accounts
from microwork.billing import services as billing
from microwork.gigs import services as gigs
from microwork.ledger import clearing, payments
from microwork.missions import services as missions
from microwork.webhooks import services as webhooks

from . import closure, experts


def run_due() -> dict[str, int]:
    """Apply every transition due now; returns how many objects each moved."""
    return {
        "claims_lapsed": missions.claims_lapse_due(),
        "reports_auto_approved": missions.claims_auto_approve_due(),
        "missions_expired": missions.missions_expire_due(),
        "batch_waves_released": missions.batches_waves_release_due(),
        "batches_done": missions.batches_done_due(),
        "documents_expired": accounts.documents_expire(),
        "document_expiry_warnings": experts.documents_warn_expiry(),
        "phone_codes_purged": accounts.phone_codes_purge(),
        "topups_abandoned": payments.topups_abandon_due(),
        "refunds_resent": payments.refunds_resend_due(),
        "earnings_cleared": clearing.earnings_release_due(),
        "orders_late": gigs.orders_flag_late_due(),
        "accounts_closed": closure.closures_apply_due(),
        "invoices_issued": billing.invoices_issue_due(),
        # Each delivery has its own task; this catches one whose task was lost.
        "webhooks_sent": webhooks.deliveries_send_due(late_by=timedelta(minutes=2)),
        "tax_details_asked": billing.tax_details_ask_due(),
    }
