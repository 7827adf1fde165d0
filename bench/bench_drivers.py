"""What drives the load: wrk for plain requests, locust for the scenarios,
and single requests that count their queries."""

import json
import os
import re
import statistics
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench_config import BASE, BIN, CONNECTIONS, ROOT, SECONDS, WORK, fresh_cache

# --- wrk ---------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * UNITS[match.group(2)] if match else 0.0


def wrk(path: str, *, token: str | None = None, post: bool = False, seconds: int = SECONDS) -> dict[str, float]:
    # A slow answer is slow, not an error: only a socket failure or a non-2xx is one.
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    if post:
        command += ["-s", str(ROOT / "bench" / "post.lua")]
    output = subprocess.run([*command, BASE + path], capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    # A round that got no answer at all is an error, not a fast round.
    errors = 0 if total else 1
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(n) for n in match.groups())
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1)),  # type: ignore[union-attr]
        "errors": errors,
        "requests": total,
    }


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
    }


# The user classes of each scenario in bench/locustfile.py.
SCENARIOS = {
    "cycle": ("Tasker", "Company"),
    "cycle_twin": ("TaskerTwin", "CompanyTwin"),
    "burst": ("BurstTasker",),
    "burst_twin": ("BurstTwin",),
}


# --- locust ------------------------------------------------------------------


def locust(scenario: str, data: Path, *, users: int, seconds: int, **extra: str) -> list[dict[str, Any]]:
    samples = Path(tempfile.mkstemp(dir=WORK, suffix=".jsonl")[1])
    env = {
        **os.environ,
        "BENCH_DATA": str(data),
        "BENCH_SAMPLES": str(samples),
        "BENCH_USERS": str(users),
        **extra,
    }
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--host",
            BASE,
            "--only-summary",
            "--loglevel",
            "ERROR",
            "--stop-timeout",
            "10",
            *SCENARIOS[scenario],
        ],
        cwd=WORK,
        env=env,
        capture_output=True,
        check=False,
    )
    rows = [json.loads(line) for line in samples.read_text().splitlines() if line.strip()]
    samples.unlink()
    return rows


def summary(samples: list[dict[str, Any]], name: str, *, span: float | None = None) -> dict[str, float]:
    """Throughput over the samples' own span (first start to last end), or over `span` seconds."""
    mine = [s for s in samples if s["name"] == name]
    if not mine:
        return {"rps": 0.0, "p50": 0.0, "p99": 0.0, "errors": 0, "requests": 0}
    times = sorted(s["ms"] for s in mine)
    first = min(s["end"] - s["ms"] / 1000 for s in mine)
    last = max(s["end"] for s in mine)
    return {
        "rps": len(mine) / (span or max(last - first, 0.001)),
        "p50": statistics.median(times),
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
        "errors": sum(1 for s in mine if s["error"]),
        "requests": len(mine),
        "codes": _codes(mine),
    }


def _codes(samples: list[dict[str, Any]]) -> dict[str, int]:
    codes: dict[str, int] = {}
    for sample in samples:
        key = sample["code"] or str(sample["status"])
        codes[key] = codes.get(key, 0) + 1
    return codes


# --- Queries per request -------------------------------------------------------


def queries(path: str, *, token: str | None = None, post: bool = False) -> str:
    """Queries of one request. A read is counted with nothing kept in the
    cache (the database's whole work), then again (what the shared cache
    leaves): "2 / 0" when they differ. A write is counted once."""
    if post:
        return str(count_queries(path, token=token, post=True))
    fresh_cache()
    cold = count_queries(path, token=token)
    kept = count_queries(path, token=token)
    return str(cold) if cold == kept else f"{cold} / {kept}"


def count_queries(path: str, *, token: str | None = None, post: bool = False) -> int:
    headers = {"X-Bench-Count": "1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(BASE + path, headers=headers, method="POST" if post else "GET", data=None)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.headers.get("X-Bench-Queries", "-1"))
    except urllib.error.HTTPError as error:
        return int(error.headers.get("X-Bench-Queries", "-1"))


def write_queries(seed: dict[str, Any], mission_id: int) -> dict[str, int]:
    """Queries of one claim, its report and its approval, by the last tasker."""
    tasker = seed["taskers"][-2]["token"]
    counts = {"cycle: claim": -1, "cycle: report": -1, "company: approve": -1}
    claimed = call("POST", f"/api/v1/missions/{mission_id}/claims", tasker, {})
    counts["cycle: claim"] = claimed["queries"]
    claim_id = claimed["body"].get("id")
    if claim_id:
        body = {"answers": {}, "text": "Mission faite, compte rendu complet du rayon et de la vitrine."}
        counts["cycle: report"] = call("POST", f"/api/v1/claims/{claim_id}/report", tasker, body)["queries"]
        mission = call("GET", f"/api/v1/missions/{mission_id}", tasker, None)["body"]
        owner = next(c["token"] for c in seed["companies"] if str(c["id"]) == str(mission.get("company_id")))
        counts["company: approve"] = call("POST", f"/api/v1/claims/{claim_id}/approve", owner, {"rating": 5})["queries"]
    return counts


def call(method: str, path: str, token: str, body: Any) -> dict[str, Any]:
    headers = {"X-Bench-Count": "1", "Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, headers=headers, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return {"queries": int(answer.headers.get("X-Bench-Queries", "-1")), "body": json.loads(answer.read())}
    except urllib.error.HTTPError as error:
        return {"queries": int(error.headers.get("X-Bench-Queries", "-1")), "body": {}}
