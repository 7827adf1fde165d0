from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from microwork.missions.services import report_photos_read


class Command(BaseCommand):
    help = (
        "Read the capture time, position and perceptual hash of report photos sent before photos were read "
        "at upload (HM13), from their originals; run it once after upgrading, until it reads 0."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=1000, help="at most this many photos in one run")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"photos read: {report_photos_read(limit=options['limit'])}")
