from django.apps import AppConfig
from django.core import checks

from microwork.core.checks import production_rails


class CoreConfig(AppConfig):
    name = "microwork.core"
    label = "core"

    def ready(self) -> None:
        # No tag: the check runs with every command that checks, not only
        # with `check --deploy`.
        checks.register(production_rails)
