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
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench_config import (
    BASE,
    BIN,
    BURST_USERS,
    CYCLE_USERS,
    DATABASES,
    KEYWORD,
    NEAR,
    PG_URL,
    PORT,
    PYTHON,
    REDIS_URL,
    ROOT,
    ROUNDS,
    SCALES,
    SECONDS,
    WORK,
    WORKERS,
    fresh_cache,
    log,
)
from bench_drivers import locust, median_of, queries, summary, write_queries, wrk
from bench_report import table

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
