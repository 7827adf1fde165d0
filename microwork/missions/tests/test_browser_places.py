"""A mission's place on a phone, in a real browser (HM12): the company types an
address and picks a suggestion from the national address service (stubbed by
Playwright's route interception: no network), sees the radius on a map; a
tasker's position is checked against it when taking the mission."""

import io
import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from microwork.core.money import format_eur
from microwork.missions.models import Claim, Mission
from microwork.testing import browser_login as login
from microwork.testing import browser_speaks, make_published, phone_shot, words

pytestmark = [pytest.mark.browser]

AMIENS = {"latitude": 49.897443, "longitude": 2.290084}
PARIS = {"latitude": 48.850481, "longitude": 2.307496}
BAN_ANSWER = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [2.290084, 49.897443]},
            "properties": {"label": "8 Boulevard du Port 80000 Amiens", "score": 0.96},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [5.369953, 43.295744]},
            "properties": {"label": "2 Quai du Port 13002 Marseille", "score": 0.61},
        },
    ],
}


def _tile() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (226, 232, 222)).save(buffer, "PNG")
    return buffer.getvalue()


TILE = _tile()


def offline(context: BrowserContext, asked: list[str]) -> BrowserContext:
    """The address service and the map tiles answer from here."""

    def address(route: Route) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(BAN_ANSWER))

    context.route(re.compile(r"^https://api-adresse\.data\.gouv\.fr/.*"), address)
    context.route(
        re.compile(r"^https://tile\.openstreetmap\.org/.*"),
        lambda route: route.fulfill(status=200, content_type="image/png", body=TILE),
    )
    return context


def phone(browser: Browser, args: dict[str, Any], asked: list[str], language: str, base_url: str, **extra: Any) -> Page:
    """A phone that reads the pages in `language`, offline but for this server."""
    return browser_speaks(offline(browser.new_context(**args, **extra), asked).new_page(), base_url, language)


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def wait_until(page: Page, condition: Callable[[], bool], seconds: float = 10) -> None:
    """Let the page run (its requests reach the route handlers) until `condition` holds."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        page.wait_for_timeout(50)


def euros(amount_cents: int, language: str) -> str:
    with translation.override(language):
        return format_eur(amount_cents)


def test_hm12_company_places_a_mission_by_address_on_a_phone(
    browser: Browser, browser_context_args: dict[str, Any], live_server, acme, language
) -> None:
    say = words(language)
    asked: list[str] = []
    company = phone(browser, browser_context_args, asked, language, live_server.url)
    login(company, live_server.url, "acme@example.fr")
    company.goto(f"{live_server.url}/missions/entreprise/nouvelle/")
    company.get_by_label(say("Title")).fill("Photo de la vitrine du port")
    company.get_by_label(say("Category")).select_option("photo")
    company.get_by_label(say("Instructions")).fill(
        "Allez devant la boutique du port, prenez une photo nette de la vitrine en entier, de face, de jour."
    )
    company.get_by_label(say("Estimated duration"), exact=True).fill("10")
    company.get_by_label(say("Reward per place (€)")).fill({"fr": "3,50", "en": "3.50"}[language])
    # the cost and the tasker's hourly rate come live from the server's pricing rule (HM10, PL04)
    expect(company.get_by_test_id("cost-total")).to_contain_text(euros(4_34, language))
    expect(company.get_by_test_id("cost-per-hour")).to_contain_text(
        say("%(amount)s/h") % {"amount": euros(21_00, language)}
    )

    company.get_by_text(say("Tie it to a place (near home)")).click()
    company.get_by_label(say("Address of the place")).press_sequentially("8 bd du port amiens", delay=20)
    suggestions = company.get_by_test_id("address-suggestions")
    expect(suggestions.get_by_role("option")).to_have_count(2)
    # a slow machine may show the suggestions of a part of the address first: wait for the whole one
    wait_until(company, lambda: bool(asked) and "amiens" in asked[-1])
    assert "q=8%20bd%20du%20port" in asked[-1] and "limit=5" in asked[-1]
    suggestions.get_by_role("option", name="8 Boulevard du Port 80000 Amiens").click()
    expect(company.get_by_label(say("Address of the place"))).to_have_value("8 Boulevard du Port 80000 Amiens")
    expect(suggestions).to_be_hidden()
    company.get_by_label(say("Radius (km)")).fill("2")
    form_map = company.get_by_test_id("form-map")
    expect(form_map).to_be_visible()
    expect(form_map.locator(".leaflet-marker-icon")).to_have_count(1)
    expect(form_map.locator("path.leaflet-interactive")).to_have_count(1)  # the radius
    fits_the_phone(company)
    phone_shot(company, "place-1-company-form", language)
    company.get_by_role("button", name=say("Save the draft")).click()
    expect(company.locator(".message.success")).to_contain_text(say("Draft saved. Check it, then send it for review."))

    mission = Mission.objects.get(title="Photo de la vitrine du port")
    assert (mission.latitude, mission.longitude) == (49.897443, 2.290084)
    assert mission.radius_km == 2 and mission.address == "8 Boulevard du Port 80000 Amiens"
    place = say("Within %(radius)s km of %(address)s") % {"radius": 2, "address": "8 Boulevard du Port 80000 Amiens"}
    expect(company.get_by_text(place)).to_be_visible()
    expect(company.get_by_test_id("place-map").locator(".leaflet-tile-loaded").first).to_be_visible()
    fits_the_phone(company)
    phone_shot(company, "place-2-company-mission", language)


def test_hm12_tasker_far_away_is_refused_and_nearby_takes_it(
    browser: Browser, browser_context_args: dict[str, Any], live_server, acme, staff, alice, bob, language
) -> None:
    say = words(language)
    from microwork.missions import services

    where = services.Location(
        lat=AMIENS["latitude"], lon=AMIENS["longitude"], radius_km=3, address="8 Boulevard du Port 80000 Amiens"
    )
    mission = make_published(acme, staff, location=where)
    asked: list[str] = []

    # a tasker in Paris, who shares the position: refused with the reason
    far = phone(
        browser, browser_context_args, asked, language, live_server.url, geolocation=PARIS, permissions=["geolocation"]
    )
    login(far, live_server.url, "alice@example.fr")
    far.goto(f"{live_server.url}/missions/{mission.pk}/")
    expect(far.get_by_test_id("place-map").locator(".leaflet-marker-icon")).to_have_count(1)
    far.get_by_role("button", name=say("Take this mission")).click()
    too_far = say("You are too far away: this mission is done within %(radius)s km of its place.") % {"radius": 3}
    expect(far.get_by_test_id("claim-error")).to_contain_text(too_far)
    fits_the_phone(far)
    phone_shot(far, "place-3-tasker-too-far", language)
    assert not Claim.objects.filter(tasker=alice).exists()

    # a tasker 1 km away takes it
    near = phone(
        browser,
        browser_context_args,
        asked,
        language,
        live_server.url,
        geolocation={"latitude": 49.9072, "longitude": 2.2901},
        permissions=["geolocation"],
    )
    login(near, live_server.url, "bob@example.fr")
    near.goto(f"{live_server.url}/missions/{mission.pk}/")
    phone_shot(near, "place-4-tasker-mission", language)
    near.get_by_role("button", name=say("Take this mission")).click()
    expect(near.locator(".message.success")).to_contain_text("48")
    assert Claim.objects.filter(tasker=bob, mission=mission).exists()
