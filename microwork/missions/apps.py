from django.apps import AppConfig


class MissionsConfig(AppConfig):
    name = "microwork.missions"
    label = "missions"

    def ready(self) -> None:
        from microwork.ledger.selectors import CLOSED_ESCROW_PROVIDERS

        from .selectors import closed_mission_escrow_refs

        CLOSED_ESCROW_PROVIDERS.append(closed_mission_escrow_refs)
