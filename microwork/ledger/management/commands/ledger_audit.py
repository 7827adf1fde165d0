from typing import Any

from django.core.management.base import BaseCommand, CommandError

from microwork.ledger.selectors import ledger_audit


class Command(BaseCommand):
    help = "Recompute every balance from the postings and check the books; exit non-zero on any difference."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = ledger_audit()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in the ledger.")
        self.stdout.write(self.style.SUCCESS("Ledger balanced: every account matches its postings."))
