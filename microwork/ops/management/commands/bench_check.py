"""After a load test: the books audit clean and no mission holds more claims
than places. Exits non-zero on any problem."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from microwork.ledger.selectors import ledger_audit
from microwork.missions.selectors import missions_over_claimed


class Command(BaseCommand):
    help = "ledger_audit, and a check that no mission has more claims than places."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = ledger_audit()
        over = missions_over_claimed()
        if over:
            problems.append(f"missions with more claims than places: {over}")
        if problems:
            raise CommandError("problems: " + "; ".join(problems[:20]))
        self.stdout.write("ledger_audit clean, no mission with more claims than places (problems: none)")
