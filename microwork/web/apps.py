from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "microwork.web"
    label = "web"
