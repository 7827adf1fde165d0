"""Where a mission is done (HM12): distances, whether a position is within
reach of a mission's place, and the place said in words."""

import math
import re

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from ..models import Mission

KM_PER_DEGREE = 111.32


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Kilometres between two (lat, lon) points, by the same equirectangular
    reckoning as the "near me" filter, so a mission shown near is claimable."""
    (lat1, lon1), (lat2, lon2) = a, b
    dx = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, lat2 - lat1) * KM_PER_DEGREE


def mission_is_within_reach(mission: Mission, position: tuple[float, float]) -> bool:
    """Whether a tasker standing at `position` is inside the mission's radius (HM12);
    a mission done from anywhere is within everyone's reach."""
    if mission.latitude is None or mission.longitude is None or mission.radius_km is None:
        return True
    return distance_km((mission.latitude, mission.longitude), position) <= mission.radius_km


#: The three cities with arrondissements: the postcodes that name each one (75116 is Paris 16e).
ARRONDISSEMENTS = {"Paris": "750", "Lyon": "6900", "Marseille": "130"}
_POSTCODE_CITY = re.compile(r"\b(\d{5})\s+([^\d,]+?)(?:\s+cedex\b.*)?$", re.IGNORECASE)


def _arrondissement(city: str, postcode: str) -> str | None:
    """ "Lyon 3e" for 69003, "Paris 16e" for 75016 and 75116, in the reader's language."""
    for name, prefix in ARRONDISSEMENTS.items():
        if city.casefold().startswith(name.casefold()) and (
            postcode.startswith(prefix) or (name == "Paris" and postcode == "75116")
        ):
            number = int(postcode[-2:])
            if number == 1:
                return _("%(city)s (1st arr.)") % {"city": name}
            if number == 2:
                return _("%(city)s (2nd arr.)") % {"city": name}
            if number == 3:
                return _("%(city)s (3rd arr.)") % {"city": name}
            return _("%(city)s (%(number)sth arr.)") % {"city": name, "number": number}
    return None


def area_of(address: str) -> str | None:
    """The town of an address, with its arrondissement in Paris, Lyon and
    Marseille: what a mission card may say of a place without its street
    (HM12). None when the address names no town one can read."""
    address = " ".join(address.split())
    found = _POSTCODE_CITY.search(address)
    if found:
        postcode, city = found.group(1), found.group(2).strip(" -")
        return _arrondissement(city, postcode) or city
    parts = [part.strip() for part in address.split(",")]
    if len(parts) > 1 and parts[-1] and not any(char.isdigit() for char in parts[-1]):
        return parts[-1]
    return None


def mission_where(mission: Mission, *, full: bool = False) -> str:
    """Where a mission is done, in words (HM12). A card (`full` false) says
    how far it is when the tasker's position is known ("2.3 km from you"),
    else the town ("near Lyon (3rd arr.)"), never the street; the mission's
    own page (`full`) gives the radius around the whole address."""
    if not mission.has_location:
        return _("From anywhere")
    radius = floatformat(mission.radius_km, -1)
    distance = getattr(mission, "distance_km", None)
    if full:
        if mission.address:
            text = _("Within %(radius)s km of %(address)s") % {"radius": radius, "address": mission.address}
        else:
            text = _("Within %(radius)s km") % {"radius": radius}
        if distance is not None:
            text += " · " + _("%(distance)s km from you") % {"distance": floatformat(distance, 1)}
        return text
    if distance is not None:
        return _("%(distance)s km from you") % {"distance": floatformat(distance, 1)}
    area = area_of(mission.address)
    if area:
        return _("near %(place)s") % {"place": area}
    return _("Within %(radius)s km") % {"radius": radius}
