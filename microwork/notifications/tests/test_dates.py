"""Dates read as a European reader expects, in each language."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse

from microwork.notifications.services import notify
from microwork.testing import english


def test_notice_dates_in_french_and_in_english_with_24_hour_time(client, alice):
    # given a notice written at 17:11 Paris time on 1 December 2026
    with time_machine.travel(datetime(2026, 12, 1, 17, 11, tzinfo=ZoneInfo("Europe/Paris")), tick=False):
        notify(user=alice, kind="test", title="Votre participation est validée")
    client.force_login(alice)
    # then the French page says 01/12/2026 17:11
    page = client.get(reverse("notifications:list")).content.decode()
    assert "01/12/2026 17:11" in page
    # and the English one 1 Dec 2026, 17:11, not 12/01/2026 5:11 p.m.
    english(client)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "1 Dec 2026, 17:11" in page
    assert "p.m." not in page and "12/01/2026" not in page
