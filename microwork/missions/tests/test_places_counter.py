"""The free-places counter and the earliest deadline kept on each mission row
give, after any sequence of claims, reports, releases, rejections and lapses,
the same places as counting the mission's claims (HM04, HM12)."""

import itertools
import uuid
from datetime import timedelta

from django.db.models import Min
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microwork.core.errors import ApplicationError
from microwork.missions import selectors, services
from microwork.missions.models import Claim, ClaimState, Mission
from microwork.ops.tick import run_due
from microwork.testing import ACCOUNT, MISSION, make_company, make_staff, make_tasker

from .conftest import assert_books_right

TASKERS = 4
_runs = itertools.count(1)

step = st.tuples(
    st.sampled_from(["claim", "claim", "release", "report", "approve", "reject", "hours", "tick"]),
    st.integers(0, TASKERS - 1),
)


def _places_by_counting(mission: Mission) -> int:
    """What the counter must equal: the places minus the claims holding one
    now (active within their 48 hours, reported, or approved)."""
    now = timezone.now()
    holding = Claim.objects.filter(mission=mission, state__in=[ClaimState.SUBMITTED, ClaimState.APPROVED]).count()
    holding += Claim.objects.filter(mission=mission, state=ClaimState.ACTIVE, deadline_at__gt=now).count()
    return mission.places - holding


def _check(mission: Mission) -> None:
    expected = _places_by_counting(mission)
    read = selectors.with_places_left(Mission.objects.filter(pk=mission.pk)).get()
    assert read.places_left == expected
    earliest = Claim.objects.filter(mission=mission, state=ClaimState.ACTIVE).aggregate(d=Min("deadline_at"))["d"]
    assert read.claims_due_at == earliest
    listed = selectors.missions_open().filter(pk=mission.pk).exists()
    assert listed == (expected > 0)
    if listed:
        assert selectors.missions_open().get(pk=mission.pk).places_left == expected


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(places=st.integers(1, 3), steps=st.lists(step, min_size=1, max_size=14))
def test_hm12_places_counter_matches_claims(db, time_machine, places, steps):
    time_machine.move_to(timezone.now())
    run, tag = next(_runs), uuid.uuid4().hex[:8]
    company = make_company(f"count-{tag}@example.fr", balance_cents=100_00)
    staff = make_staff(f"count-staff-{tag}@microwork.fr")
    taskers = [make_tasker(f"count-{tag}-{n}@example.fr", f"+336{run:07d}{n}") for n in range(TASKERS)]
    mission = services.mission_create(company=company, **{**MISSION, "places": places})
    services.mission_submit(mission=mission, by=company)
    services.mission_publish(mission=mission, by=staff)
    mission.refresh_from_db()
    _check(mission)
    for action, who in steps:
        tasker = taskers[who]
        claim = Claim.objects.filter(mission=mission, tasker=tasker).first()
        try:
            if action == "claim":
                services.claim_create(mission=mission, tasker=tasker)
            elif action == "hours":
                # Past one claim's 48 hours in two steps out of three: nothing writes the lapse.
                time_machine.shift(timedelta(hours=25))
            elif action == "tick":
                run_due()
            elif claim is None:
                continue
            elif action == "release":
                services.claim_release(claim=claim, by=tasker)
            elif action == "report":
                services.claim_report(claim=claim, by=tasker, answers={}, text=ACCOUNT)
            elif action == "approve":
                services.claim_approve(claim=claim, by=company, rating=5)
            elif action == "reject":
                services.claim_reject(claim=claim, by=company, reason_code="other", reason="The photo is blurred.")
        except ApplicationError:
            pass
        mission.refresh_from_db()
        _check(mission)
    assert_books_right()
