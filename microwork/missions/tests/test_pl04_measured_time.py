"""PL04: the platform measures how long a mission really takes (claim to
report, median once 5 reports are in) and warns the company and staff when
that time puts the reward under the prorated SMIC."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from microwork.missions.models import Mission
from microwork.notifications.models import Notice
from microwork.testing import api_as, make_tasker, signed_in

from .conftest import ACCOUNT, make_published

pytestmark = pytest.mark.django_db


def _report_after(tasker, mission, minutes: int, start) -> None:
    with time_machine.travel(start, tick=False):
        claim_id = api_as(tasker).post(f"/missions/{mission.pk}/claims").json()["id"]
    with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
        answer = api_as(tasker).post(f"/claims/{claim_id}/report", {"answers": {}, "text": ACCOUNT})
        assert answer.status_code == 200, answer.json()


def test_pl04_a_mission_taking_longer_than_stated_warns_the_company_and_staff(acme, staff, alice, client):
    # stated: 1 minute for 21 cents, just the SMIC; taskers really take 10 minutes
    mission = make_published(acme, staff, estimated_minutes=1, reward_cents=21, places=6)
    taskers = [make_tasker(f"t{i}@example.fr", f"+3361111{i:04d}") for i in range(6)]
    start = timezone.now()
    for tasker in taskers[:4]:
        _report_after(tasker, mission, 10, start)
    mission.refresh_from_db()
    assert mission.measured_seconds is None  # not before 5 reports
    assert not Notice.objects.filter(user=acme, kind="mission_underpaid").exists()
    _report_after(taskers[4], mission, 10, start)
    mission.refresh_from_db()
    assert mission.measured_seconds == 600 and mission.underpaid_at is not None
    notice = Notice.objects.get(user=acme, kind="mission_underpaid")
    assert "10" in notice.body and "2,01" in notice.body  # 10 min at the SMIC: at least 2,01 €
    # told once, not at every report
    _report_after(taskers[5], mission, 12, start)
    assert Notice.objects.filter(user=acme, kind="mission_underpaid").count() == 1
    # the API and the pages show it
    assert api_as(alice).get(f"/missions/{mission.pk}").json()["measured_seconds"] == 600
    company_page = signed_in(client, acme).get(reverse("missions:company_mission", args=[mission.pk]))
    assert 'data-testid="underpaid"' in company_page.content.decode()
    queue = signed_in(client, staff).get(reverse("missions:review_queue")).content.decode()
    assert 'data-testid="underpaid"' in queue and mission.title in queue
    tasker_page = signed_in(client, alice).get(reverse("missions:detail", args=[mission.pk])).content.decode()
    assert 'data-testid="measured">10\xa0min' in tasker_page


def test_pl04_a_fairly_stated_mission_is_not_flagged(acme, staff):
    mission = make_published(acme, staff, estimated_minutes=10, reward_cents=300, places=5)
    start = timezone.now()
    for i in range(5):
        _report_after(make_tasker(f"f{i}@example.fr", f"+3362222{i:04d}"), mission, 12, start)
    mission.refresh_from_db()
    # 12 minutes at the SMIC is 241 cents: 300 still pays more
    assert mission.measured_seconds == 720 and mission.underpaid_at is None
    assert not Notice.objects.filter(kind="mission_underpaid").exists()
    assert not Mission.objects.filter(underpaid_at__isnull=False).exists()
