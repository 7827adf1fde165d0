from typing import Any

from django.core.management.base import BaseCommand

from microwork.ops.tick import run_due


class Command(BaseCommand):
    help = "Apply, once, every time-based transition that is due now, and exit."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, count in run_due().items():
            self.stdout.write(f"{name}: {count}")
