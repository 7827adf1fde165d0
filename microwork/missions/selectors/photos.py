"""Proof-checked photos (HM13): what a report photo says of when and where
it was taken, and whether it was sent before."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Q,
)
from django.utils import timezone

from microwork.core.photos import HASH_MAX_DISTANCE, hash_bands, hash_distance

from ..models import Claim, Mission, ReportFile
from .places import distance_km

# --- Proof-checked photos (HM13) ----------------------------------------------

#: A phone's clock may be a little off the server's.
PHOTO_CLOCK_SKEW = timedelta(minutes=10)
#: A phone's GPS fix may be a little off the photo's real place.
PHOTO_GPS_MARGIN_KM = 0.1
#: The most photos whose hash shares a band with a new one that are measured:
#: a bound on the read even if many unrelated photos happened to share a band.
PHOTO_CANDIDATES_MAX = 500


def photo_sent_before(phash: str, *, exclude_pk: int | None = None) -> int | None:
    """The earliest report photo (its id) whose perceptual hash is within
    HASH_MAX_DISTANCE bits of `phash`, on any claim, by anyone; None if none.

    The index finds the photos sharing one of the hash's bands exactly (at
    least one always is, for a photo within the distance: `hash_bands`); the
    real distance is measured on those only, at most PHOTO_CANDIDATES_MAX of
    them, newest first. A prefix of the hash alone would miss a copy whose
    first bits moved; a scan of every hash grows with every photo ever sent."""
    bands = Q()
    for n, band in enumerate(hash_bands(phash)):
        bands |= Q(**{f"phash_band_{n}": band})
    candidates = ReportFile.objects.filter(bands).order_by("-pk")
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    matches = [
        pk
        for pk, other in candidates.values_list("pk", "phash")[:PHOTO_CANDIDATES_MAX]
        if other and hash_distance(phash, other) <= HASH_MAX_DISTANCE
    ]
    return min(matches, default=None)


@dataclass(frozen=True)
class PhotoProof:
    """A report photo weighed against its claim and its mission (HM13):
    taken during the claim (its window, give or take a phone's clock), within
    the mission's radius, and not a photo sent before. Each check is None when
    it cannot be made (no time or position in the photo, a mission done from
    anywhere); `warnings` names what the company should look at, empty when
    the photo was taken here, during the mission."""

    taken_at: datetime | None
    within_window: bool | None
    distance_km: float | None
    within_radius: bool | None
    radius_km: float | None
    duplicate_of: str | None
    warnings: tuple[str, ...]

    @property
    def trusted(self) -> bool:
        return not self.warnings

    def as_dict(self) -> dict[str, Any]:
        return {
            "taken_at": self.taken_at,
            "within_window": self.within_window,
            "distance_km": self.distance_km,
            "within_radius": self.within_radius,
            "duplicate_of": self.duplicate_of,
            "warnings": list(self.warnings),
        }


#: What a photo's proof may warn of, in the order the page shows them.
PHOTO_WARNINGS = (
    "no_metadata",
    "no_time",
    "taken_before_claim",
    "taken_after_report",
    "no_position",
    "outside_radius",
    "duplicate",
)


def photo_proof(upload: ReportFile, claim: Claim, mission: Mission) -> PhotoProof | None:
    """The proof of a report photo; None for a file that is not an image, or
    a photo sent before photos were read (`services.report_photos_read`)."""
    if not upload.content_type.startswith("image/") or upload.phash is None:
        return None
    warnings = set()
    within_window = None
    if upload.taken_at is not None:
        end = claim.submitted_at or timezone.now()
        if upload.taken_at < claim.claimed_at - PHOTO_CLOCK_SKEW:
            within_window = False
            warnings.add("taken_before_claim")
        elif upload.taken_at > end + PHOTO_CLOCK_SKEW:
            within_window = False
            warnings.add("taken_after_report")
        else:
            within_window = True
    has_position = upload.taken_latitude is not None and upload.taken_longitude is not None
    distance = within_radius = None
    if has_position and mission.has_location:
        exact = distance_km(
            (mission.latitude, mission.longitude),  # type: ignore[arg-type]
            (upload.taken_latitude, upload.taken_longitude),  # type: ignore[arg-type]
        )
        distance = round(exact, 1)
        within_radius = mission.radius_km is None or exact <= mission.radius_km + PHOTO_GPS_MARGIN_KM
        if not within_radius:
            warnings.add("outside_radius")
    if upload.taken_at is None and not has_position:
        warnings.add("no_metadata")
    elif upload.taken_at is None:
        warnings.add("no_time")
    elif not has_position and mission.has_location:
        warnings.add("no_position")
    if upload.duplicate_of_id is not None:
        warnings.add("duplicate")
    return PhotoProof(
        taken_at=upload.taken_at,
        within_window=within_window,
        distance_km=distance,
        within_radius=within_radius,
        radius_km=mission.radius_km if mission.has_location else None,
        duplicate_of=str(upload.duplicate_of_id) if upload.duplicate_of_id is not None else None,
        warnings=tuple(w for w in PHOTO_WARNINGS if w in warnings),
    )
