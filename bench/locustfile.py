"""Locust scenarios for `make bench` (run headless by bench/run_bench.py).

BENCH_DATA is the JSON `seed_bench` wrote; the driver runs one scenario at a
time by naming its user classes (SCENARIOS):

* `cycle`: taskers browse, open a mission, claim it and send its report;
  companies list their reports waiting and approve them;
* `burst`: each user is a different tasker claiming the same mission once
  (BENCH_BURST_MISSION), all at once;
* `burst_twin`: the same shape on the bare write (`POST /bench/write/`);
* `cycle_twin`: the cycle's shape on the bare views (page, row, write, write),
  and the company's (page, write).

Every request is written to BENCH_SAMPLES as JSON lines (name, start,
duration, status, problem code) for the driver to summarise. A 409 that the
platform answers on purpose (`mission_full`, `already_claimed`,
`claim_limit_reached`, `mission_not_available`) is an outcome, not an error;
anything else not 2xx is.
"""

import itertools
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, constant, events, task

DATA = json.loads(Path(os.environ["BENCH_DATA"]).read_text())
TASKER_OFFSET = int(os.environ.get("BENCH_TASKER_OFFSET", "0"))
BURST_MISSION = os.environ.get("BENCH_BURST_MISSION", "")
# A cycle opens missions at random: one may have closed a moment before (its
# last place approved), which the platform answers `mission_not_available`.
EXPECTED_CONFLICTS = {"mission_full", "already_claimed", "claim_limit_reached", "mission_not_available"}
REPORT = {"answers": {}, "text": "Mission faite : le rayon est complet et bien rangé, photo prise de face."}

USERS = int(os.environ.get("BENCH_USERS", "0"))

_taskers = itertools.count(TASKER_OFFSET)
_bursts_done = itertools.count(1)
_companies = itertools.count()
_samples: list[dict[str, Any]] = []


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, **_kw):
    status = getattr(response, "status_code", 0) if response is not None else 0
    code = ""
    if status >= 400:
        try:
            code = response.json().get("code", "")
        except Exception:
            code = ""
    _samples.append(
        {
            "name": name,
            "end": time.time(),
            "ms": response_time,
            "status": status,
            "code": code,
            "error": exception is not None and not (status == 409 and code in EXPECTED_CONFLICTS),
        }
    )


@events.quitting.add_listener
def _write(environment, **_kw):
    Path(os.environ["BENCH_SAMPLES"]).write_text("".join(json.dumps(sample) + "\n" for sample in _samples))


def _burst_done(user: HttpUser) -> None:
    """A burst ends when every user has had its one answer: no waiting for the run time."""
    if next(_bursts_done) >= USERS:
        gevent.spawn_later(0.1, user.environment.runner.quit)


def _expect(response: Any, *ok: int) -> bool:
    """Mark an on-purpose 409 as a success; returns whether the call did what it asked."""
    if response.status_code in ok:
        response.success()
        return True
    if response.status_code == 409:
        try:
            code = response.json().get("code")
        except ValueError:
            code = None
        if code in EXPECTED_CONFLICTS:
            response.success()
            return False
    response.failure(f"{response.status_code}")
    return False


class Tasker(HttpUser):
    """Browse, open, claim, report: a tasker's whole cycle (MW01, HM04, HM13)."""

    wait_time = constant(0)
    weight = 10

    def on_start(self) -> None:
        tasker = DATA["taskers"][next(_taskers) % len(DATA["taskers"])]
        self.client.headers["Authorization"] = f"Bearer {tasker['token']}"
        self.first = DATA["missions"]["first_id"]
        self.last = DATA["missions"]["last_id"]

    @task
    def cycle(self) -> None:
        self.client.get("/api/v1/missions?limit=20", name="cycle: list")
        mission_id = random.randint(self.first, self.last)
        self.client.get(f"/api/v1/missions/{mission_id}", name="cycle: mission")
        with self.client.post(
            f"/api/v1/missions/{mission_id}/claims", json={}, name="cycle: claim", catch_response=True
        ) as claimed:
            if not _expect(claimed, 201):
                return
            claim_id = claimed.json()["id"]
        with self.client.post(
            f"/api/v1/claims/{claim_id}/report", json=REPORT, name="cycle: report", catch_response=True
        ) as reported:
            _expect(reported, 200)


class Company(HttpUser):
    """The company's review: the reports waiting, each approved (HM14)."""

    wait_time = constant(0.2)
    weight = 1

    def on_start(self) -> None:
        company = DATA["companies"][next(_companies) % len(DATA["companies"])]
        self.client.headers["Authorization"] = f"Bearer {company['token']}"

    @task
    def approve(self) -> None:
        waiting = self.client.get("/api/v1/claims?state=submitted&limit=20", name="company: reports waiting")
        if waiting.status_code != 200:
            return
        for claim in waiting.json()["items"][:5]:
            with self.client.post(
                f"/api/v1/claims/{claim['id']}/approve",
                json={"rating": 5},
                name="company: approve",
                catch_response=True,
            ) as approved:
                _expect(approved, 200)


class BurstTasker(HttpUser):
    """One claim on the hot mission, then nothing (MW01: first come, first served)."""

    wait_time = constant(3600)

    def on_start(self) -> None:
        tasker = DATA["taskers"][next(_taskers) % len(DATA["taskers"])]
        self.client.headers["Authorization"] = f"Bearer {tasker['token']}"
        self.done = False

    @task
    def claim(self) -> None:
        if self.done:
            return
        self.done = True
        with self.client.post(
            f"/api/v1/missions/{BURST_MISSION}/claims", json={}, name="burst: claim", catch_response=True
        ) as claimed:
            _expect(claimed, 201)
        _burst_done(self)


class BurstTwin(HttpUser):
    """The same burst on the bare write: lock one row, bump it, insert one row."""

    wait_time = constant(3600)

    def on_start(self) -> None:
        self.done = False

    @task
    def write(self) -> None:
        if self.done:
            return
        self.done = True
        with self.client.post("/bench/write/", name="burst twin: write", catch_response=True) as written:
            _expect(written, 201)
        _burst_done(self)


class TaskerTwin(HttpUser):
    """The tasker's cycle on the bare views: a page, a row, two writes."""

    wait_time = constant(0)
    weight = 10

    def on_start(self) -> None:
        self.first = DATA["missions"]["first_id"]
        self.last = DATA["missions"]["last_id"]

    @task
    def cycle(self) -> None:
        self.client.get("/bench/page/", name="twin cycle: list")
        self.client.get(f"/bench/row/{random.randint(self.first, self.last)}/", name="twin cycle: mission")
        self.client.post("/bench/write/", name="twin cycle: claim")
        self.client.post("/bench/write/", name="twin cycle: report")


class CompanyTwin(HttpUser):
    """The company's review on the bare views: a page, then writes."""

    wait_time = constant(0.2)
    weight = 1

    @task
    def approve(self) -> None:
        self.client.get("/bench/page/", name="twin company: reports waiting")
        for _ in range(5):
            self.client.post("/bench/write/", name="twin company: approve")


# The user classes of each scenario, named on locust's command line by the driver.
SCENARIOS = {
    "cycle": ("Tasker", "Company"),
    "cycle_twin": ("TaskerTwin", "CompanyTwin"),
    "burst": ("BurstTasker",),
    "burst_twin": ("BurstTwin",),
}
