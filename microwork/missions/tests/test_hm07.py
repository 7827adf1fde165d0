import pytest

from microwork.core.errors import ApplicationError, InvalidInput
from microwork.missions import services
from microwork.missions.models import MissionState
from microwork.testing import MISSION, make_published


def test_hm07_a_mission_is_short_eight_hours_at_most(acme):
    # a task of a working day is accepted; anything longer is not a micro-mission
    assert services.mission_create(company=acme, **{**MISSION, "estimated_minutes": 480, "reward_cents": 10000})
    with pytest.raises(InvalidInput) as refused:
        services.mission_create(company=acme, **{**MISSION, "estimated_minutes": 481, "reward_cents": 10000})
    assert refused.value.field == "estimated_minutes"


def test_hm07_a_closed_mission_does_not_recur(acme, staff):
    # given a published mission the company withdraws
    mission = make_published(acme, staff)
    services.mission_withdraw(mission=mission, by=acme)
    # then it can be neither resubmitted nor published again: a new mission is a new post
    for again in (
        lambda: services.mission_submit(mission=mission, by=acme),
        lambda: services.mission_publish(mission=mission, by=staff),
    ):
        with pytest.raises(ApplicationError):
            again()
    mission.refresh_from_db()
    assert mission.state == MissionState.CLOSED
