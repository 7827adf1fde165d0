from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "microwork.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks for companies"

    def ready(self) -> None:
        from microwork.core.events import subscribe

        from .services import event_record

        subscribe(event_record)
