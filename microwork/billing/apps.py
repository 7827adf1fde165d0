from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "microwork.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        # The ledger sits below billing: its audit learns of this check here,
        # and `ledger_audit` then checks VAT collected equals VAT invoiced.
        from microwork.ledger.selectors import AUDIT_CHECKS

        from .selectors import vat_audit

        if vat_audit not in AUDIT_CHECKS:
            AUDIT_CHECKS.append(vat_audit)
