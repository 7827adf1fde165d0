"""The table a load test ends with: each figure beside its bare twin's."""

from typing import Any

from bench_config import BURST_USERS, ROUNDS

TWINS = {
    "list": "twin: page of 20",
    "list near=": "twin: page of 20",
    "list keyword": "twin: page of 20",
    "HTML list page": "twin: page of 20",
    "mission page": "twin: one row",
}


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| db | endpoint | req/s | p50 ms | p99 ms | twin | twin req/s | twin p50 ms | ratio (req/s) | queries "
        "| errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def row(
        kind: str, name: str, figures: dict[str, Any], twin: str, twin_figures: dict[str, Any] | None, q: Any
    ) -> None:
        ratio = f"{figures['rps'] / twin_figures['rps']:.2f}" if twin_figures and twin_figures["rps"] else ""
        lines.append(
            f"| {kind} | {name} | {figures['rps']:.0f} | {figures['p50']:.1f} | {figures['p99']:.1f} | {twin} | "
            + (f"{twin_figures['rps']:.0f} | {twin_figures['p50']:.1f} | " if twin_figures else " | | ")
            + f"{ratio} | {q} | {figures['errors']} |"
        )

    for result in results:
        kind, rows, q = result["kind"], result["rows"], result["queries"]
        for name, twin in TWINS.items():
            row(kind, name, rows[name], twin, rows[twin], q.get(name, ""))
        burst = result["bursts"]["claim burst"]
        row(
            kind,
            f"claim burst ({BURST_USERS} taskers, 50 places)",
            burst,
            "burst write",
            result["bursts"]["twin: burst write"],
            "",
        )
        for name, twin in (
            ("cycle: claim", "twin cycle: claim"),
            ("cycle: report", "twin cycle: report"),
            ("company: approve", "twin company: approve"),
        ):
            row(kind, name, result["cycles"][name], "write in the same cycle", result["cycles"][twin], q.get(name, ""))
        for name in ("twin: one row", "twin: page of 20", "twin: write (wrk)"):
            row(kind, name, rows[name], "", None, q.get(name.replace(" (wrk)", ""), ""))
    lines.append("")
    lines.append("| db | list p50 at N missions | p50 ms | ratio to the smallest | queries | seed s |")
    lines.append("|---|---|---|---|---|---|")
    for result in results:
        smallest = next(iter(result["scales"].values()))
        for scale, p50 in result["scales"].items():
            lines.append(
                f"| {result['kind']} | {scale:,} | {p50:.1f} | {p50 / smallest:.2f} | "
                f"{result['scale_queries'].get(scale, '')} | {result['seed_seconds'].get(scale, 0):.0f} |"
            )
    lines.append("")
    for result in results:
        codes = result["bursts"]["claim burst"]["codes"]
        lines.append(f"{result['kind']}: claim burst outcomes over {ROUNDS} round(s): {codes}")
        lines.append(f"{result['kind']}: queries per request: {result['queries']}")
        lines.append(f"{result['kind']}: after the run: {result['check']}")
    return "\n".join(lines)
