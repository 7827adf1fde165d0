from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "microwork.trust"
    label = "trust"
    verbose_name = "Trust and safety"
