"""A mission's place on a phone, in a real browser (HM12): the company types an
address and picks a suggestion from the national address service (stubbed by
Playwright's route interception: no network), sees the radius on a map; a
tasker's position is checked against it when taking the mission."""

import io
import json
import re
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from microwork.missions.models import Claim, Mission
from microwork.missions.tests.conftest import make_published
from microwork.testing import browser_login as login

pytestmark = [pytest.mark.browser]

SHOTS = "/tmp"
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


def phone(browser: Browser, args: dict[str, Any], asked: list[str], **extra: Any) -> Page:
    return offline(browser.new_context(**args, **extra), asked).new_page()


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_hm12_company_places_a_mission_by_address_on_a_phone(
    browser: Browser, browser_context_args: dict[str, Any], live_server, acme
) -> None:
    asked: list[str] = []
    company = phone(browser, browser_context_args, asked)
    login(company, live_server.url, "acme@example.fr")
    company.goto(f"{live_server.url}/missions/entreprise/nouvelle/")
    company.get_by_label("Titre").fill("Photo de la vitrine du port")
    company.get_by_label("Catégorie").select_option("photo")
    company.get_by_label("Consignes").fill(
        "Allez devant la boutique du port, prenez une photo nette de la vitrine en entier, de face, de jour."
    )
    company.get_by_label("Durée estimée", exact=True).fill("10")
    company.get_by_label("Rémunération par place (€)").fill("3,50")
    # the cost and the tasker's hourly rate come live from the server's pricing rule (HM10, PL04)
    expect(company.get_by_test_id("cost-total")).to_have_text(re.compile(r"4,34"))
    expect(company.get_by_test_id("cost-per-hour")).to_have_text(re.compile(r"21,00\s€/h"))

    company.get_by_text("La lier à un lieu").click()
    company.get_by_label("Adresse du lieu").press_sequentially("8 bd du port amiens", delay=20)
    suggestions = company.get_by_test_id("address-suggestions")
    expect(suggestions.get_by_role("option")).to_have_count(2)
    assert "q=8%20bd%20du%20port" in asked[-1] and "limit=5" in asked[-1]
    suggestions.get_by_role("option", name="8 Boulevard du Port 80000 Amiens").click()
    expect(company.get_by_label("Adresse du lieu")).to_have_value("8 Boulevard du Port 80000 Amiens")
    expect(suggestions).to_be_hidden()
    company.get_by_label("Rayon (km)").fill("2")
    form_map = company.get_by_test_id("form-map")
    expect(form_map).to_be_visible()
    expect(form_map.locator(".leaflet-marker-icon")).to_have_count(1)
    expect(form_map.locator("path.leaflet-interactive")).to_have_count(1)  # the radius
    fits_the_phone(company)
    company.screenshot(path=f"{SHOTS}/mw-place-1-company-form.png", full_page=True)
    company.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(company.locator(".message.success")).to_contain_text("Brouillon enregistré")

    mission = Mission.objects.get(title="Photo de la vitrine du port")
    assert (mission.latitude, mission.longitude) == (49.897443, 2.290084)
    assert mission.radius_km == 2 and mission.address == "8 Boulevard du Port 80000 Amiens"
    expect(company.get_by_text("À moins de 2 km de 8 Boulevard du Port 80000 Amiens")).to_be_visible()
    expect(company.get_by_test_id("place-map").locator(".leaflet-tile-loaded").first).to_be_visible()
    fits_the_phone(company)
    company.screenshot(path=f"{SHOTS}/mw-place-2-company-mission.png", full_page=True)


def test_hm12_tasker_far_away_is_refused_and_nearby_takes_it(
    browser: Browser, browser_context_args: dict[str, Any], live_server, acme, staff, alice, bob
) -> None:
    from microwork.missions import services

    where = services.Location(
        lat=AMIENS["latitude"], lon=AMIENS["longitude"], radius_km=3, address="8 Boulevard du Port 80000 Amiens"
    )
    mission = make_published(acme, staff, location=where)
    asked: list[str] = []

    # a tasker in Paris, who shares the position: refused with the reason
    far = phone(browser, browser_context_args, asked, geolocation=PARIS, permissions=["geolocation"])
    login(far, live_server.url, "alice@example.fr")
    far.goto(f"{live_server.url}/missions/{mission.pk}/")
    expect(far.get_by_test_id("place-map").locator(".leaflet-marker-icon")).to_have_count(1)
    far.get_by_role("button", name="Prendre cette mission").click()
    expect(far.get_by_test_id("claim-error")).to_contain_text("trop loin")
    fits_the_phone(far)
    far.screenshot(path=f"{SHOTS}/mw-place-3-tasker-too-far.png", full_page=True)
    assert not Claim.objects.filter(tasker=alice).exists()

    # a tasker 1 km away takes it
    near = phone(
        browser,
        browser_context_args,
        asked,
        geolocation={"latitude": 49.9072, "longitude": 2.2901},
        permissions=["geolocation"],
    )
    login(near, live_server.url, "bob@example.fr")
    near.goto(f"{live_server.url}/missions/{mission.pk}/")
    near.screenshot(path=f"{SHOTS}/mw-place-4-tasker-mission.png", full_page=True)
    near.get_by_role("button", name="Prendre cette mission").click()
    expect(near.locator(".message.success")).to_contain_text("48")
    assert Claim.objects.filter(tasker=bob, mission=mission).exists()
