from django.apps import AppConfig


class MissionsConfig(AppConfig):
    name = "microwork.missions"
    label = "missions"

    def ready(self) -> None:
        from microwork.ledger.selectors import CLOSED_ESCROW_PROVIDERS

        from .selectors import closed_mission_escrow_refs

        CLOSED_ESCROW_PROVIDERS.append(closed_mission_escrow_refs)

        # Any write to a mission or a claim makes the cached pages of open
        # missions out of date once it commits (selectors/feed.py). Every
        # change of places or state saves a mission or a claim.
        from django.db import transaction
        from django.db.models.signals import post_delete, post_save

        from .models import Claim, Mission
        from .selectors import feed_changed

        def on_write(sender: type, **kwargs: object) -> None:
            transaction.on_commit(feed_changed)

        # weak=False: the receiver is defined here, nothing else holds it.
        for model in (Mission, Claim):
            for signal in (post_save, post_delete):
                signal.connect(
                    on_write, sender=model, weak=False, dispatch_uid=f"missions-feed-{model.__name__}-{id(signal)}"
                )
