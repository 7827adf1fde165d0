from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "microwork.payouts"
    label = "payouts"
