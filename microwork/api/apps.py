from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "microwork.api"
    label = "api"
