"""A company reviews field photos on a phone, in a real browser (HM13): one
taken here, during the mission, and one taken 12 km away, each said in words
under the photo."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Browser, expect

from microwork.missions import services
from microwork.testing import ACCOUNT, api_as, field_photo, make_published, shot
from microwork.testing import browser_login as login

pytestmark = [pytest.mark.browser]

AMIENS = (49.897443, 2.290084)
NEARBY = (49.906427, 2.290084)
TWELVE_KM_AWAY = (49.897443 + 12 / 111.32, 2.290084)


def _report(tasker: Any, mission: Any, photo: bytes) -> None:
    claim_id = api_as(tasker).post(f"/missions/{mission.pk}/claims").json()["id"]
    upload = SimpleUploadedFile("IMG_0042.jpg", photo, content_type="image/jpeg")
    assert (
        api_as(tasker).upload(f"/claims/{claim_id}/report/files", {"question": "shelf", "file": upload}).status_code
        == 201
    )
    assert api_as(tasker).post(f"/claims/{claim_id}/report", {"answers": {}, "text": ACCOUNT}).status_code == 200


def test_hm13_the_company_sees_each_photo_checked_on_a_phone(
    browser: Browser, browser_context_args: dict[str, Any], live_server, acme, staff, alice, bob
) -> None:
    where = services.Location(lat=AMIENS[0], lon=AMIENS[1], radius_km=3, address="8 Boulevard du Port 80000 Amiens")
    questions = [{"key": "shelf", "label": "Photo du rayon", "kind": "photo"}]
    mission = make_published(acme, staff, questions=questions, location=where, places=2)
    now = timezone.now()
    _report(alice, mission, field_photo(seed=1, taken_at=now - timedelta(seconds=30), position=NEARBY))
    _report(bob, mission, field_photo(seed=2, taken_at=now - timedelta(seconds=30), position=TWELVE_KM_AWAY))

    page = browser.new_context(**browser_context_args).new_page()
    login(page, live_server.url, "acme@example.fr")
    page.goto(f"{live_server.url}/missions/entreprise/{mission.pk}/")
    expect(page.get_by_test_id("photo-proof-ok")).to_have_text("✓ Prise ici, pendant la mission")
    warning = page.locator('[data-warning="outside_radius"]')
    expect(warning).to_contain_text("Prise à 12\xa0km du lieu de la mission (rayon\u202f: 3\xa0km)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    warning.scroll_into_view_if_needed()
    shot(page, "mw-photo-proof-company")
