"""`make bench`: the platform under gunicorn, driven on loopback by wrk (plain
GETs) and locust (claims, reports, approvals, bursts), beside bare twin views
served by the same gunicorn in the same run; one table at the end.

Each database (PostgreSQL, then SQLite) gets a fresh database, `migrate`,
`seed_bench` at the smallest scale, then gunicorn with MICROWORK_BENCH on.
Each figure is the median of BENCH_ROUNDS rounds. The list's p50 is then
measured again after `seed_bench` has grown the table to each larger scale.
After the run: `bench_check` (ledger_audit, and no mission with more claims
than places). Read figures as ratios within one run: the machine is shared.

Settings (environment): see bench/README.md.
"""

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
SMOKE = os.environ.get("BENCH_SMOKE") == "1"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if SMOKE else "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "2" if SMOKE else "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
BURST_USERS = int(os.environ.get("BENCH_BURST_USERS", "40" if SMOKE else "200"))
CYCLE_USERS = int(os.environ.get("BENCH_CYCLE_USERS", "8" if SMOKE else "30"))
DATABASES = os.environ.get("BENCH_DATABASES", "sqlite" if SMOKE else "postgresql,sqlite").split(",")
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/bench_microwork")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
SCALES = {
    "postgresql": [
        int(n) for n in os.environ.get("BENCH_SCALES", "2000" if SMOKE else "10000,100000,1000000").split(",")
    ],
    "sqlite": [int(n) for n in os.environ.get("BENCH_SQLITE_SCALES", "2000" if SMOKE else "10000,100000").split(",")],
}
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
WORK = Path(os.environ.get("BENCH_DIR", ROOT / "var" / "bench"))
NEAR = "48.8566,2.3522"
KEYWORD = "vitrine"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Processes ---------------------------------------------------------------


def environment(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.update(
        DATABASE_URL=database_url,
        MICROWORK_BENCH="1",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        EMAIL_BACKEND="locmem",
        SMS_BACKEND="locmem",
        PAYMENT_GATEWAY="sandbox",
        MEDIA_ROOT=str(WORK / "media"),
        PYTHONPATH=str(ROOT),
    )
    if fresh_cache():
        # As in production: one cache for every worker (rate limits, the missions feed).
        env["REDIS_URL"] = REDIS_URL
    return env


def fresh_cache() -> bool:
    """Empty the bench's Redis database; False when no Redis answers (the
    platform then runs on each worker's own memory, without the shared caches)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        log(f"no Redis at {REDIS_URL} ({error}): each worker keeps its own cache")
        return False
    return True


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def fresh_database(kind: str) -> str:
    if kind == "sqlite":
        path = WORK / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    name = PG_URL.rsplit("/", 1)[1]
    admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return PG_URL


def analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would give soon after."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute("ANALYZE")


class Server:
    """gunicorn with sync workers, as in production (Procfile)."""

    def __init__(self, env: dict[str, str]):
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "microwork.wsgi:application",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{PORT}",
                "--log-level",
                "warning",
                "--timeout",
                "120",
                # Django is loaded once, before the workers fork: none starts cold.
                "--preload",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(WORK / "gunicorn.log", "a"),  # noqa: SIM115 (kept open while it runs)
            start_new_session=True,
        )
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{BASE}/bench/page/", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        self.stop()
        raise SystemExit(f"gunicorn did not answer; see {WORK / 'gunicorn.log'}")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


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


# --- One database --------------------------------------------------------------


def run_database(kind: str) -> dict[str, Any]:
    scales = SCALES[kind]
    log(f"{kind}: fresh database, migrate")
    env = environment(fresh_database(kind))
    manage(env, "migrate", "--noinput", "-v0")
    data = WORK / f"seed-{kind}.json"
    taskers = BURST_USERS * ROUNDS + CYCLE_USERS * ROUNDS + 50
    log(f"{kind}: seed_bench {scales[0]} missions, {taskers} taskers")
    seeded_at = time.monotonic()
    manage(
        env,
        "seed_bench",
        f"--missions={scales[0]}",
        f"--taskers={taskers}",
        "--companies=10",
        f"--bursts={ROUNDS}",
        f"--out={data}",
    )
    seed_seconds = {scales[0]: time.monotonic() - seeded_at}
    seed = json.loads(data.read_text())
    tasker_token = seed["taskers"][-1]["token"]
    first, last = seed["missions"]["first_id"], seed["missions"]["last_id"]
    middle = (first + last) // 2
    server = Server(env)
    result: dict[str, Any] = {"kind": kind, "rows": {}, "scales": {}, "queries": {}, "seed_seconds": seed_seconds}
    try:
        gets = {
            "list": ("/api/v1/missions?limit=20", tasker_token),
            "list near=": (f"/api/v1/missions?limit=20&near={NEAR}", tasker_token),
            "list keyword": (f"/api/v1/missions?limit=20&q={KEYWORD}", tasker_token),
            "mission page": (f"/api/v1/missions/{middle}", tasker_token),
            "HTML list page": ("/missions/", None),
            "twin: one row": (f"/bench/row/{middle}/", None),
            "twin: page of 20": ("/bench/page/", None),
        }
        for name, (path, token) in gets.items():
            result["queries"][name] = queries(path, token=token)
        result["queries"]["list (limit=100)"] = queries("/api/v1/missions?limit=100", token=tasker_token)
        result["queries"]["twin: write"] = queries("/bench/write/", post=True)
        result["queries"].update(write_queries(seed, middle))
        # Warm every worker before the timed rounds.
        for path, token in gets.values():
            wrk(path, token=token, seconds=1)
        for round_number in range(ROUNDS):
            log(f"{kind}: round {round_number + 1}/{ROUNDS} of the GETs")
            for name, (path, token) in gets.items():
                result["rows"].setdefault(name, []).append(wrk(path, token=token))
            result["rows"].setdefault("twin: write (wrk)", []).append(wrk("/bench/write/", post=True))
        result["rows"] = {name: median_of(runs) for name, runs in result["rows"].items()}

        cycles: dict[str, list[dict[str, float]]] = {}
        bursts: dict[str, list[dict[str, float]]] = {}
        for round_number in range(ROUNDS):
            log(f"{kind}: round {round_number + 1}/{ROUNDS} of the claim bursts and the claim/report cycles")
            offset = round_number * BURST_USERS
            burst = locust(
                "burst",
                data,
                users=BURST_USERS,
                seconds=60,
                BENCH_TASKER_OFFSET=str(offset),
                BENCH_BURST_MISSION=str(seed["burst_mission_ids"][round_number]),
            )
            bursts.setdefault("claim burst", []).append(summary(burst, "burst: claim"))
            twin = locust("burst_twin", data, users=BURST_USERS, seconds=60)
            bursts.setdefault("twin: burst write", []).append(summary(twin, "burst twin: write"))
            cycle_offset = BURST_USERS * ROUNDS + round_number * CYCLE_USERS
            cycle = locust(
                "cycle",
                data,
                users=CYCLE_USERS + 2,
                seconds=SECONDS * 2,
                BENCH_TASKER_OFFSET=str(cycle_offset),
            )
            for name in ("cycle: claim", "cycle: report", "company: approve"):
                cycles.setdefault(name, []).append(summary(cycle, name))
            twin_cycle = locust("cycle_twin", data, users=CYCLE_USERS + 2, seconds=SECONDS * 2)
            for name in ("twin cycle: claim", "twin cycle: report", "twin company: approve"):
                cycles.setdefault(name, []).append(summary(twin_cycle, name))
        result["bursts"] = {name: _median_locust(runs) for name, runs in bursts.items()}
        result["cycles"] = {name: _median_locust(runs) for name, runs in cycles.items()}

        result["scales"][scales[0]] = result["rows"]["list"]["p50"]
        result["scale_queries"] = {scales[0]: result["queries"]["list"]}
        have = seed["missions"]["count"]
        for scale in scales[1:]:
            log(f"{kind}: growing the table to {scale} missions")
            started = time.monotonic()
            manage(
                env,
                "seed_bench",
                f"--missions={scale - have}",
                "--taskers=1",
                "--companies=10",
                f"--seed={scale}",
                f"--out={WORK / 'seed-more.json'}",
            )
            have = scale
            result["seed_seconds"][scale] = time.monotonic() - started
            if kind == "postgresql":
                analyze()
            wrk("/api/v1/missions?limit=20", token=tasker_token, seconds=1)
            runs = [wrk("/api/v1/missions?limit=20", token=tasker_token) for _ in range(ROUNDS)]
            result["scales"][scale] = median_of(runs)["p50"]
            result["scale_queries"][scale] = queries("/api/v1/missions?limit=20", token=tasker_token)
    finally:
        server.stop()
    log(f"{kind}: bench_check (ledger_audit, claims within places)")
    result["check"] = manage(env, "bench_check").strip()
    return result


def _median_locust(runs: list[dict[str, Any]]) -> dict[str, Any]:
    merged = median_of(runs)
    merged["codes"] = {}
    for run in runs:
        for code, count in run.get("codes", {}).items():
            merged["codes"][code] = merged["codes"].get(code, 0) + count
    return merged


# --- The table -----------------------------------------------------------------

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


def main() -> int:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install wrk).")
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results = [run_database(kind) for kind in DATABASES]
    text = table(results)
    (WORK / "last.md").write_text(text + "\n")
    (WORK / "last.json").write_text(json.dumps(results, indent=1, default=str))
    print(text)
    log(f"done in {time.monotonic() - started:.0f} s; table in {WORK / 'last.md'}")
    errors = sum(
        figures["errors"]
        for result in results
        for group in ("rows", "bursts", "cycles")
        for figures in result[group].values()
    )
    clean = all("problems: none" in result["check"] for result in results)
    return 0 if errors == 0 and clean else 1


if __name__ == "__main__":
    sys.exit(main())
