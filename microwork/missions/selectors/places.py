"""Where a mission is done (HM12): distances, and whether a position is
within reach of a mission's place."""

import math

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
