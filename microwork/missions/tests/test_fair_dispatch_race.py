"""Fair dispatch under real concurrency (issue 15, item 6; MW01, HM05, HM12):
200 taskers, some of them scripts trying to sweep, race for 50 places spread
over 10 missions. Real threads on real connections, released together by a
barrier; fewer threads than taskers, so PostgreSQL's connection limit holds.
No module-level `django_db` mark: the test asks for `transactional_db`."""

import queue
import threading
from collections import Counter, defaultdict
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client

from microwork.ledger.selectors import ledger_audit
from microwork.missions.models import Claim, ClaimState, Mission
from microwork.testing import ACCOUNT, api_as, make_company, make_published, make_staff, make_tasker

from .test_fair_dispatch import window_start

pytestmark = pytest.mark.race

MISSIONS, PLACES = 10, 5
TASKERS, SCRIPTS = 200, 10
BURST = 3
THREADS = 16
WINDOW = 60


def _post(token: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any], str | None]:
    response = Client().post(
        f"/api/v1{path}", body or {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    return response.status_code, response.json(), response.headers.get("Retry-After")


def test_mw01_fair_dispatch_200_taskers_race_for_50_places(transactional_db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "claim_burst": (BURST, WINDOW), "claim_sustained": (50, WINDOW)}
    # given 10 missions of 5 places, 190 taskers and 10 scripts
    company = make_company("fair-acme@example.fr", balance_cents=300_00)
    staff = make_staff("fair-staff@microwork.fr")
    missions = [make_published(company, staff, title=f"Label {n}", places=PLACES) for n in range(MISSIONS)]
    taskers = [make_tasker(f"fair{n}@example.fr", f"+3361500{n:04d}") for n in range(TASKERS)]
    tokens = {t.pk: api_as(t).token for t in taskers}
    scripts = {t.pk for t in taskers[:SCRIPTS]}
    outcomes: dict[int, list[tuple[int, str, str | None]]] = defaultdict(list)

    def script(tasker_pk: int) -> None:
        # a script fires at every mission and reports at once, so HM05 never holds it back
        for mission in missions:
            status, body, retry = _post(tokens[tasker_pk], f"/missions/{mission.pk}/claims")
            outcomes[tasker_pk].append((status, body.get("code", ""), retry))
            if status == 201:
                done, _body, _retry = _post(tokens[tasker_pk], f"/claims/{body['id']}/report", {"text": ACCOUNT})
                assert done == 200

    def person(tasker_pk: int, n: int) -> None:
        # a person tries three missions, and reports later
        for k in (0, 3, 7):
            status, body, retry = _post(tokens[tasker_pk], f"/missions/{missions[(n + k) % MISSIONS].pk}/claims")
            outcomes[tasker_pk].append((status, body.get("code", ""), retry))

    work: queue.Queue[Any] = queue.Queue()
    # the scripts spread among the first in line, where sweeping pays most
    for n, tasker in enumerate(taskers):
        if tasker.pk in scripts:
            work.put(lambda pk=tasker.pk: script(pk))
        else:
            work.put(lambda pk=tasker.pk, n=n: person(pk, n))
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            while True:
                try:
                    job = work.get_nowait()
                except queue.Empty:
                    return
                job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    # when they all race, within one second of the clock (frozen: the windows count
    # over fixed spans of time, and none may end in the middle of the race)
    with time_machine.travel(window_start("claim_burst", taskers[0], WINDOW), tick=False):
        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors

    # then exactly the 50 places are taken, no mission beyond its places
    claims = Claim.objects.filter(mission__in=missions)
    assert claims.count() == MISSIONS * PLACES
    for mission in Mission.objects.filter(pk__in=[m.pk for m in missions]):
        assert mission.places_free == 0
        assert mission.claims.count() == PLACES
    # no tasker beyond their share: a script at most its burst, a person at most HM05's two in progress
    held = Counter(claims.values_list("tasker_id", flat=True))
    assert max(held[pk] for pk in scripts) <= BURST
    assert max(held[t.pk] for t in taskers if t.pk not in scripts) <= 2
    assert not claims.filter(state=ClaimState.ACTIVE, tasker_id__in=scripts).exists()
    # the scripts were held back by the limit (429 with Retry-After), and took at most 30 of the 50
    for pk in scripts:
        refused = [o for o in outcomes[pk] if o[0] == 429]
        assert len(refused) == MISSIONS - BURST
        assert all(code == "too_many_requests" and retry and int(retry) > 0 for _s, code, retry in refused)
    assert sum(held[pk] for pk in scripts) <= SCRIPTS * BURST
    # every other answer is one of first come, first served's
    codes = Counter(code or status for answers in outcomes.values() for status, code, _retry in answers)
    assert set(codes) <= {201, "mission_full", "claim_limit_reached", "too_many_requests"}, codes
    assert codes[201] == MISSIONS * PLACES
    assert ledger_audit() == []
