"""In-process API benchmark; prints ratios measured in one run (see README)."""

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microwork.settings")
os.environ.setdefault("SMS_BACKEND", "locmem")
os.environ.setdefault("EMAIL_BACKEND", "locmem")

url = os.environ.get("DATABASE_URL", "")
if url.startswith("postgres"):
    base, _, _name = url.rpartition("/")
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS bench_microwork")
        admin.execute("CREATE DATABASE bench_microwork")
    os.environ["DATABASE_URL"] = f"{base}/bench_microwork"
else:
    db = ROOT / "var" / "bench.sqlite3"
    db.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import check_password, make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

call_command("migrate", verbosity=0)

from microwork import testing  # noqa: E402
from microwork.missions import services as missions  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]


def timed(label: str, fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    median = statistics.median(samples)
    print(f"  {label:<48} median {median * 1000:8.2f} ms over {repeat}")
    return median


def main() -> None:
    print(f"Database: {connection.vendor}")
    staff = testing.make_staff("bench-staff@example.fr")
    company = testing.make_company("bench-co@example.fr", balance_cents=10_000_000)
    taskers = [testing.make_tasker(f"t{i}@example.fr", f"+3361{i:07d}") for i in range(60)]
    for i in range(150):
        mission = missions.mission_create(
            company=company,
            title=f"Mission {i}",
            category="survey",
            instructions="Answer the ten questions of the survey honestly.",
            estimated_minutes=10,
            reward_cents=250,
            places=5,
        )
        missions.mission_submit(mission=mission, by=company)
        missions.mission_publish(mission=mission, by=staff)

    tasker_api = testing.api_as(taskers[0])
    hashed = make_password("correct-horse-battery-staple")

    print("Authentication")
    auth = timed("GET /me with a bearer token", lambda: tasker_api.get("/me"), 200)
    argon = timed("one Argon2 password check", lambda: check_password("correct-horse-battery-staple", hashed), 20)
    print(f"  => one password check costs {argon / auth:.0f}x a whole token-authenticated call")

    print("Tasker's mission list")
    for limit in (20, 100):
        with CaptureQueriesContext(connection) as queries:
            tasker_api.get("/missions", limit=limit)
        print(f"  limit={limit}: {len(queries)} queries")
    small = timed("GET /missions?limit=20", lambda: tasker_api.get("/missions", limit=20), 100)
    large = timed("GET /missions?limit=100", lambda: tasker_api.get("/missions", limit=100), 50)
    print(f"  => 5x the page costs {large / small:.2f}x the time")

    print("Write path")
    ids = iter(range(1, 151))
    company_api = testing.api_as(company)
    tasker_apis = [testing.api_as(t) for t in taskers[1:]]
    state = {"n": 0}

    def claim_report_approve() -> None:
        api = tasker_apis[state["n"] % len(tasker_apis)]
        state["n"] += 1
        claim = api.post(f"/missions/{next(ids)}/claims").json()
        api.post(f"/claims/{claim['id']}/report", {"answers": {}, "text": "Photo taken of the whole shelf, as asked."})
        company_api.post(f"/claims/{claim['id']}/approve", {"rating": 5})

    write = timed("claim + report + approve (3 requests)", claim_report_approve, 40)
    read = timed("GET /missions/{id}", lambda: tasker_api.get("/missions/1"), 100)
    print(f"  => the three writes cost {write / read:.1f}x one mission read")


if __name__ == "__main__":
    main()
