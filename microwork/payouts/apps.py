from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "microwork.payouts"
    label = "payouts"

    def ready(self) -> None:
        from microwork.ledger.selectors import AUDIT_CHECKS

        from .selectors import voucher_stock_differences

        AUDIT_CHECKS.append(voucher_stock_differences)
