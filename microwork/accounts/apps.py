from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "microwork.accounts"
    label = "accounts"

    def ready(self) -> None:
        from . import signin  # noqa: F401  (records web sessions at sign-in)
