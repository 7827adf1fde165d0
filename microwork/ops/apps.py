from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "microwork.ops"
    label = "ops"
