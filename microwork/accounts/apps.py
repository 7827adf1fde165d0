from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "microwork.accounts"
    label = "accounts"
