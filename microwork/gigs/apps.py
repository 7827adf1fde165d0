from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GigsConfig(AppConfig):
    name = "microwork.gigs"
    label = "gigs"
    verbose_name = _("Packaged services")

    def ready(self) -> None:
        from microwork.ledger.selectors import CLOSED_ESCROW_PROVIDERS

        from .selectors import closed_order_escrow_refs

        CLOSED_ESCROW_PROVIDERS.append(closed_order_escrow_refs)
