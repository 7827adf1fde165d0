"""The load test's settings (environment variables: see bench/README.md), its log,
and the Redis database it empties before each server starts."""

import os
import sys
import time
from pathlib import Path

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
