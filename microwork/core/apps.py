from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "microwork.core"
    label = "core"
