from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "microwork.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import signin  # noqa: F401  (records web sessions at sign-in)
        from .models import ApiToken, User
        from .services.tokens import on_token_write, on_user_write

        # A write to a token or to its user ends the kept lookups of its tokens (PL06).
        for signal in (post_save, post_delete):
            signal.connect(on_token_write, sender=ApiToken, dispatch_uid=f"accounts-token-{signal is post_save}")
            signal.connect(on_user_write, sender=User, dispatch_uid=f"accounts-user-{signal is post_save}")
