"""A mission's place: addresses, the server-side geocoding fallback, and the
radius a claim must come from (HM12)."""

import io
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from microwork.api.tests.helpers import assert_problem
from microwork.missions import selectors, services
from microwork.missions.models import Claim, Mission
from microwork.testing import MISSION, api_as, english
from microwork.testing import signed_in as as_user

pytestmark = pytest.mark.django_db

# Amiens, 8 Boulevard du Port; a tasker 1.1 km away, and one in Paris (about 115 km).
AMIENS = (49.897443, 2.290084)
NEARBY = (49.9072, 2.2901)
PARIS = (48.850481, 2.307496)


def amiens_mission(published: Any, radius_km: float = 3) -> Mission:
    where = services.Location(
        lat=AMIENS[0], lon=AMIENS[1], radius_km=radius_km, address="8 Boulevard du Port 80000 Amiens"
    )
    return published(location=where)


# --- Geocoding --------------------------------------------------------------


def test_hm12_stub_geocoder_finds_a_known_city_and_nothing_else(settings):
    settings.GEOCODER = "stub"
    place = services.address_geocode(address="1 place Bellecour, lyon")
    assert place.label.endswith("Lyon") and round(place.lat, 2) == 45.76
    with pytest.raises(services.AddressNotFound):
        services.address_geocode(address="Rue imaginaire, Nullepart")


def test_hm12_ban_geocoder_reads_the_first_feature_without_the_network(monkeypatch):
    answer = {
        "type": "FeatureCollection",
        "features": [
            {
                "geometry": {"type": "Point", "coordinates": [2.290084, 49.897443]},
                "properties": {"label": "8 Boulevard du Port 80000 Amiens", "score": 0.97},
            }
        ],
    }
    asked: list[str] = []

    def fake_urlopen(url: str, timeout: float) -> Any:
        asked.append(url)
        return io.BytesIO(json.dumps(answer).encode())

    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    place = services.BanGeocoder(url="https://api-adresse.data.gouv.fr/search/").search("8 bd du port amiens")
    assert place == services.Place("8 Boulevard du Port 80000 Amiens", 49.897443, 2.290084)
    assert asked[0].startswith("https://api-adresse.data.gouv.fr/search/?q=8+bd+du+port+amiens&limit=1")


def test_hm12_ban_geocoder_down_or_empty_finds_nothing(monkeypatch):
    def down(url: str, timeout: float) -> Any:
        raise OSError("unreachable")

    monkeypatch.setattr("urllib.request.urlopen", down)
    assert services.BanGeocoder().search("Amiens") is None
    assert services.BanGeocoder.first_place({"features": []}) is None


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": MISSION["title"],
        "category": MISSION["category"],
        "instructions": MISSION["instructions"],
        "duration": "10",
        "duration_unit": "minutes",
        "reward": "3,00",
        "places": "1",
        "questions-TOTAL_FORMS": "0",
        "questions-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_hm12_form_geocodes_a_typed_address_on_the_server(client, acme, settings):
    # given a company whose browser could not reach the address service: only the text is sent
    settings.GEOCODER = "stub"
    response = as_user(client, acme).post(
        reverse("missions:create"), _form(address="8 boulevard du Port, Amiens", radius_km="2,5")
    )
    # then the server finds the place, and the mission stores its position and address
    assert response.status_code == 302, response.content.decode()[:2000]
    mission = Mission.objects.get()
    assert (mission.latitude, mission.longitude) == AMIENS
    assert mission.radius_km == 2.5 and mission.address == "8 Boulevard du Port 80000 Amiens"


def test_hm12_form_keeps_the_position_chosen_in_the_browser(client, acme, settings):
    settings.GEOCODER = "tests.nowhere.Geocoder"  # never asked: the browser gave the position
    response = as_user(client, acme).post(
        reverse("missions:create"),
        _form(address="12 Rue de la Paix 75002 Paris", lat="48.8691", lon="2.3315", radius_km="1"),
    )
    assert response.status_code == 302
    mission = Mission.objects.get()
    assert (mission.latitude, mission.longitude, mission.address) == (48.8691, 2.3315, "12 Rue de la Paix 75002 Paris")


def test_hm12_form_says_when_the_address_is_not_found(client, acme, settings):
    settings.GEOCODER = "stub"
    response = english(as_user(client, acme)).post(
        reverse("missions:create"), _form(address="Rue imaginaire, Nullepart", radius_km="3")
    )
    assert response.status_code == 400 and not Mission.objects.exists()
    assert "could not find this address" in response.content.decode()


def test_hm12_form_asks_for_the_radius_with_an_address(client, acme, settings):
    settings.GEOCODER = "stub"
    response = as_user(client, acme).post(reverse("missions:create"), _form(address="Lyon"))
    assert response.status_code == 400 and not Mission.objects.exists()


def test_hm12_radius_reads_from_the_address(client, published, alice):
    mission = amiens_mission(published)
    page = english(as_user(client, alice)).get(reverse("missions:detail", args=[mission.pk])).content.decode()
    assert "Within 3 km of 8 Boulevard du Port 80000 Amiens" in page
    assert 'data-testid="place-map"' in page


def test_hm12_remote_mission_has_no_map(client, published, alice):
    mission = published()
    page = english(as_user(client, alice)).get(reverse("missions:detail", args=[mission.pk])).content.decode()
    assert 'data-testid="place-map"' not in page and "From anywhere" in page


# --- Where, in words, on a card ----------------------------------------------


@pytest.mark.parametrize(
    ("address", "french", "english_words"),
    [
        ("8 Boulevard du Port 80000 Amiens", "Amiens", "Amiens"),
        ("12 Rue de la Paix 75002 Paris", "Paris 2e", "Paris (2nd arr.)"),
        ("1 Rue de Rivoli 75001 Paris", "Paris 1er", "Paris (1st arr.)"),
        ("5 Avenue Foch 75116 Paris", "Paris 16e", "Paris (16th arr.)"),
        ("10 Cours Gambetta 69003 Lyon", "Lyon 3e", "Lyon (3rd arr.)"),
        ("2 Quai du Port 13008 Marseille", "Marseille 8e", "Marseille (8th arr.)"),
        ("3 Place Carnot 69250 Neuville-sur-Saône", "Neuville-sur-Saône", "Neuville-sur-Saône"),
        ("Tour Montparnasse 75755 Paris Cedex 15", "Paris", "Paris"),
        ("Place Bellecour, Lyon", "Lyon", "Lyon"),
        ("8 rue du Port", None, None),
        ("", None, None),
    ],
)
def test_hm12_area_of_an_address_is_its_town_and_arrondissement(address, french, english_words):
    with translation.override("fr"):
        assert selectors.area_of(address) == french
    with translation.override("en"):
        assert selectors.area_of(address) == english_words


def _lyon(published: Any, title: str = "Shelf in Lyon") -> Mission:
    where = services.Location(lat=45.7597, lon=4.8422, radius_km=2, address="10 Cours Gambetta 69003 Lyon")
    return published(title=title, location=where)


@pytest.mark.parametrize(
    ("language", "area", "distance"),
    [("fr", "près de Lyon 3e", "à 1,1\u00a0km de vous"), ("en", "near Lyon (3rd arr.)", "1.1 km from you")],
)
def test_hm12_cards_say_where_in_words_never_the_street(client, published, alice, language, area, distance):
    _lyon(published)
    published(title="Website from home")
    if language == "en":
        english(client)
    # an anonymous visitor, on the front page and the list: the town and arrondissement, no street
    for path in (reverse("web:home"), reverse("missions:list")):
        page = client.get(path).content.decode()
        assert "Shelf in Lyon" in page and area in page, path
        assert "Gambetta" not in page and "69003" not in page, path
    # a tasker who gave her position: how far it is
    page = as_user(client, alice).get(reverse("missions:list"), {"lat": "45.7597", "lon": "4.8562"}).content.decode()
    assert distance in page and "Gambetta" not in page
    # the mission's own page keeps the whole address
    mission = Mission.objects.get(title="Shelf in Lyon")
    page = client.get(reverse("missions:detail", args=[mission.pk])).content.decode()
    assert "10 Cours Gambetta 69003 Lyon" in page


def test_hm12_card_of_an_address_without_a_town_gives_the_radius_only(client, published):
    where = services.Location(lat=45.7597, lon=4.8422, radius_km=2.5, address="10 Cours Gambetta")
    published(title="Shelf somewhere", location=where)
    page = english(client).get(reverse("missions:list")).content.decode()
    assert "Within 2.5 km" in page and "Gambetta" not in page


@pytest.mark.parametrize("near", [False, True])
def test_hm12_where_in_words_adds_no_query_to_the_list(client, published, alice, near):
    as_user(client, alice)
    _lyon(published, "Shelf 0")
    params = {"lat": "45.76", "lon": "4.84"} if near else {}

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("missions:list"), params).status_code == 200
        return len(captured.captured_queries)

    count()  # warm: the session, the categories
    small = count()
    for n in range(1, 12):
        _lyon(published, f"Shelf {n}")
    assert count() == small


# --- Claims from inside the radius -----------------------------------------


def test_hm12_distance_matches_the_near_me_reckoning():
    assert selectors.distance_km(AMIENS, NEARBY) == pytest.approx(1.1, abs=0.05)
    assert selectors.distance_km(AMIENS, PARIS) == pytest.approx(116, abs=2)


def test_hm12_claim_from_outside_the_radius_refused(published, alice):
    mission = amiens_mission(published)
    response = api_as(alice).post(f"/missions/{mission.pk}/claims", {"position": {"lat": PARIS[0], "lon": PARIS[1]}})
    assert_problem(response, 409, "outside_radius")
    assert not Claim.objects.exists()
    assert Mission.objects.get(pk=mission.pk).places_free == mission.places


def test_hm12_claim_from_inside_the_radius_accepted(published, alice):
    mission = amiens_mission(published)
    response = api_as(alice).post(f"/missions/{mission.pk}/claims", {"position": {"lat": NEARBY[0], "lon": NEARBY[1]}})
    assert response.status_code == 201, response.json()


def test_hm12_claim_without_a_position_stays_possible_through_the_api(published, alice):
    mission = amiens_mission(published)
    assert api_as(alice).post(f"/missions/{mission.pk}/claims").status_code == 201


def test_hm12_position_is_ignored_for_a_mission_done_from_anywhere(published, alice):
    mission = published()
    response = api_as(alice).post(f"/missions/{mission.pk}/claims", {"position": {"lat": PARIS[0], "lon": PARIS[1]}})
    assert response.status_code == 201


def test_hm12_bad_position_is_invalid(published, alice):
    mission = amiens_mission(published)
    response = api_as(alice).post(f"/missions/{mission.pk}/claims", {"position": {"lat": 123, "lon": 2}})
    assert_problem(response, 422, "invalid")


def test_hm12_page_claim_from_outside_the_radius_refused_with_the_reason(client, published, alice):
    mission = amiens_mission(published)
    response = english(as_user(client, alice)).post(
        reverse("missions:claim", args=[mission.pk]), {"lat": PARIS[0], "lon": PARIS[1]}
    )
    assert response.status_code == 400 and not Claim.objects.exists()
    assert "too far away" in response.content.decode()


def test_hm12_page_claim_refused_when_the_tasker_declines_to_share(client, published, alice):
    mission = amiens_mission(published)
    response = english(as_user(client, alice)).post(reverse("missions:claim", args=[mission.pk]), {"geo": "refused"})
    assert response.status_code == 400 and not Claim.objects.exists()
    assert "share your position" in response.content.decode()


def test_hm12_page_claim_from_inside_the_radius_taken(client, published, alice):
    mission = amiens_mission(published)
    response = as_user(client, alice).post(
        reverse("missions:claim", args=[mission.pk]), {"lat": str(NEARBY[0]), "lon": str(NEARBY[1])}
    )
    assert response.status_code == 302
    assert Claim.objects.get().tasker == alice


def test_hm12_api_shows_the_address(published, alice):
    mission = amiens_mission(published)
    body = api_as(alice).get(f"/missions/{mission.pk}").json()
    assert body["address"] == "8 Boulevard du Port 80000 Amiens"


def test_mw04_hm12_batch_rows_carry_an_address_beside_the_position(acme):
    from microwork.missions.batch import parse_batch_csv

    content = (
        b"title,category,instructions,estimated_minutes,reward_cents,places,lat,lon,radius_km,address\r\n"
        b'"Photo de la vitrine",photo,"Prenez une photo nette de la vitrine du port, de face, de jour.",10,300,1,'
        b'49.897443,2.290084,2,"8 Boulevard du Port 80000 Amiens"\r\n'
    )
    created = services.mission_batch_create(company=acme, rows=parse_batch_csv(content))
    assert created[0].address == "8 Boulevard du Port 80000 Amiens" and created[0].radius_km == 2
