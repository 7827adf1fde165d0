from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "microwork.moderation"
    # The label the app's tables, migrations and permissions were created
    # under (`trust_abusereport`, …): kept, so existing databases need no move.
    label = "trust"
    verbose_name = _("Trust and safety")
