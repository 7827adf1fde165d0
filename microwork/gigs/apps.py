from django.apps import AppConfig


class GigsConfig(AppConfig):
    name = "microwork.gigs"
    label = "gigs"
    verbose_name = "Packaged services"

    def ready(self) -> None:
        from microwork.ledger.selectors import CLOSED_ESCROW_PROVIDERS

        from .selectors import closed_order_escrow_refs

        CLOSED_ESCROW_PROVIDERS.append(closed_order_escrow_refs)
