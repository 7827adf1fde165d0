import csv

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from PIL import Image

from microwork.core.checks import production_rails


class CoreConfig(AppConfig):
    name = "microwork.core"
    label = "core"

    def ready(self) -> None:
        # No tag: the check runs with every command that checks, not only
        # with `check --deploy`.
        checks.register(production_rails)
        # Wherever an image is opened, Pillow refuses one past this many
        # pixels (a decompression bomb) before decoding it.
        Image.MAX_IMAGE_PIXELS = settings.MAX_IMAGE_PIXELS
        # The csv module stops at a cell just past what any upload may hold.
        from microwork.core.uploads import CSV_FIELD_MAX_CHARS

        csv.field_size_limit(CSV_FIELD_MAX_CHARS + 1)
