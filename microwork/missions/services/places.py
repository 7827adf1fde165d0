"""A mission's place: an address typed by the company becomes a position
(HM12). The page asks the national address service (Base Adresse Nationale)
from the browser; when the browser could not, the address is looked up here,
through the geocoder the settings name: `ban` (the same public service), or
`stub` (a few fixed addresses, for tests and development: no network)."""

import json
import logging
import unicodedata
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from microwork.core.errors import InvalidInput

logger = logging.getLogger(__name__)


class AddressNotFound(InvalidInput):
    code = "address_not_found"


@dataclass(frozen=True)
class Place:
    label: str
    lat: float
    lon: float


class Geocoder(Protocol):
    def search(self, query: str) -> Place | None: ...


class BanGeocoder:
    """The Base Adresse Nationale search (https://adresse.data.gouv.fr): the best match, or None."""

    timeout_seconds = 4.0

    def __init__(self, url: str | None = None) -> None:
        self.url = url or settings.ADDRESS_API_URL

    def search(self, query: str) -> Place | None:
        address = f"{self.url}?{urllib.parse.urlencode({'q': query, 'limit': 1})}"
        try:
            with urllib.request.urlopen(address, timeout=self.timeout_seconds) as response:  # noqa: S310 (fixed https URL)
                body = json.load(response)
        except (OSError, ValueError):
            logger.warning("address service unavailable", exc_info=True)
            return None
        return self.first_place(body)

    @staticmethod
    def first_place(body: object) -> Place | None:
        """The first feature of a BAN answer (GeoJSON: coordinates are lon, lat)."""
        try:
            feature = body["features"][0]  # type: ignore[index]
            lon, lat = feature["geometry"]["coordinates"][:2]
            return Place(label=str(feature["properties"]["label"]), lat=float(lat), lon=float(lon))
        except (KeyError, IndexError, TypeError, ValueError):
            return None


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).replace(",", " ").split())


class StubGeocoder:
    """A few real French addresses, matched on any word of the city: tests and development only."""

    PLACES = (
        Place("20 Avenue de Ségur 75007 Paris", 48.850481, 2.307496),
        Place("1 Place Bellecour 69002 Lyon", 45.757814, 4.832011),
        Place("2 Quai du Port 13002 Marseille", 43.295744, 5.369953),
        Place("8 Boulevard du Port 80000 Amiens", 49.897443, 2.290084),
        Place("Place du Capitole 31000 Toulouse", 43.604462, 1.443391),
    )

    def search(self, query: str) -> Place | None:
        words = set(_plain(query).split())
        for place in self.PLACES:
            if words & set(_plain(place.label).split()[-1:]) or _plain(place.label) == _plain(query):
                return place
        return None


GEOCODERS = {"ban": BanGeocoder, "stub": StubGeocoder}


def geocoder() -> Geocoder:
    name = settings.GEOCODER
    factory = GEOCODERS.get(name) or import_string(name)
    instance: Geocoder = factory()
    return instance


def address_geocode(*, address: str) -> Place:
    """The position of a typed address, or a clear refusal (HM12). Slow (a
    network call): never inside a transaction."""
    query = " ".join(address.split())[:200]
    place = geocoder().search(query) if len(query) >= 3 else None
    if place is None:
        raise AddressNotFound(
            _("We could not find this address. Check it, or pick one of the suggestions."), field="address"
        )
    return place
