"""Fill the configured database for the benchmarks: `seed_bench --missions N
--taskers M --companies K --out FILE` (see bench/README.md)."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from microwork.ops.bench_seed import seed


class Command(BaseCommand):
    help = "Bulk-insert funded companies, verified taskers with API tokens and published missions; write them as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--missions", type=int, default=10_000)
        parser.add_argument("--taskers", type=int, default=500)
        parser.add_argument("--companies", type=int, default=20)
        parser.add_argument("--bursts", type=int, default=0, help="more missions of 50 places, for claim bursts")
        parser.add_argument("--batch", type=int, default=5000, help="rows per bulk insert")
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed draws the same missions")
        parser.add_argument("--out", required=True, help="JSON file for the ids and API tokens")

    def handle(self, *args: Any, **options: Any) -> None:
        seeded = seed(
            missions=options["missions"],
            taskers=options["taskers"],
            companies=options["companies"],
            bursts=options["bursts"],
            batch=options["batch"],
            seed_value=options["seed"],
        )
        Path(options["out"]).write_text(json.dumps(seeded.as_json(), indent=1))
        self.stdout.write(
            f"{seeded.missions} missions, {len(seeded.taskers)} taskers, {len(seeded.companies)} companies "
            f"in {seeded.seconds['total']} s ({seeded.seconds}); tokens in {options['out']}"
        )
