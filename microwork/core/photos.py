"""What a photo says about itself, read from the file as sent, before
`uploads` strips its metadata: when it was taken and where (EXIF), and a
perceptual hash that stays the same when the photo is re-encoded, resized or
lightly retouched, so a photo sent twice is recognised (HM13).

Nothing here trusts the file: the image is opened under the same pixel limit
as every upload (a decompression bomb is refused before it is decoded), and
metadata that is missing, malformed or out of range is read as absent, never
as an error."""

import math
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import timezone as dt_timezone
from typing import Any
from zoneinfo import ZoneInfo

import imagehash
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from .uploads import UploadRule, open_image

#: A perceptual hash is 64 bits, kept as 16 hexadecimal digits.
HASH_BITS = 64
#: The hash is cut into this many bands for the duplicate search (see `hash_bands`).
HASH_BANDS = 5
#: Two photos whose hashes differ in at most this many bits are the same photo.
#: Re-encoding or resizing a photo moves its hash by 0 to 2 bits; two different
#: photos of the same shelf differ by 20 or more. With HASH_BANDS bands, any
#: hash within this distance shares at least one band exactly (pigeonhole).
HASH_MAX_DISTANCE = HASH_BANDS - 1
#: A flat photo (a black frame, a blank wall) hashes to nearly all zeros or
#: all ones: too many unrelated photos share it, so it is never compared. The
#: hash splits coefficients at their median, so a photo with any content sets
#: about half its bits.
_INFORMATIVE_BITS = range(16, 49)
#: Decoding a JPEG at a reduced scale is enough for a 32 x 32 hash, and fast.
_HASH_DRAFT_SIDE = 256


@dataclass(frozen=True)
class PhotoFacts:
    """When and where the camera says the photo was taken (each None when it
    does not say), and its perceptual hash ("" for a flat photo)."""

    taken_at: datetime | None
    latitude: float | None
    longitude: float | None
    phash: str


def photo_facts(upload: UploadedFile, rule: UploadRule) -> PhotoFacts:
    """The facts of an image upload that already passed `upload_check`."""
    try:
        with open_image(upload, rule) as image:
            exif = _exif(image)
            taken_at, (latitude, longitude) = _taken_at(exif), _position(exif)
            phash = _phash(image, exif)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return PhotoFacts(None, None, None, "")
    finally:
        upload.seek(0)
    return PhotoFacts(taken_at, latitude, longitude, phash)


def _exif(image: Image.Image) -> Image.Exif:
    """The image's EXIF, or none: a block Pillow cannot parse says nothing."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns of each corrupt tag it skips
            exif = image.getexif()
            for ifd in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo):
                exif.get_ifd(ifd)
            return exif
    except Exception:  # untrusted bytes: Pillow's TIFF parser raises errors of many kinds
        return Image.Exif()


def hash_bands(phash: str) -> list[int]:
    """The hash cut into HASH_BANDS bands of 13 or 12 bits, each stored in an
    indexed column: a photo within HASH_MAX_DISTANCE bits of another shares at
    least one band with it exactly, so the search asks the index for equal
    bands and measures the real distance on those few candidates only
    (multi-index hashing), never on every photo ever sent."""
    value = int(phash, 16)
    bands, start = [], 0
    for index in range(HASH_BANDS):
        width = HASH_BITS // HASH_BANDS + (1 if index < HASH_BITS % HASH_BANDS else 0)
        bands.append((value >> (HASH_BITS - start - width)) & ((1 << width) - 1))
        start += width
    return bands


def hash_distance(a: str, b: str) -> int:
    """How many bits two hashes differ by (Hamming distance)."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _phash(image: Image.Image, exif: Image.Exif) -> str:
    if image.format == "JPEG":
        image.draft("L", (_HASH_DRAFT_SIDE, _HASH_DRAFT_SIDE))
    image.load()
    # Turned upright first: a phone's photo and the same photo rotated by its
    # EXIF orientation are one photo.
    orientation = exif.get(ExifTags.Base.Orientation)
    upright = ImageOps.exif_transpose(image) if orientation not in (None, 1) else image
    value = str(imagehash.phash(upright.convert("L")))
    return value if int(value, 16).bit_count() in _INFORMATIVE_BITS else ""


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    return str(value).strip("\x00 ") if value is not None else ""


def _offset(text: str) -> tzinfo | None:
    """An EXIF offset such as "+02:00"."""
    try:
        sign = -1 if text[0] == "-" else 1
        hours, minutes = text[1:].split(":")
        return _fixed(sign * (int(hours) * 60 + int(minutes)))
    except (IndexError, ValueError):
        return None


def _fixed(minutes: int) -> tzinfo | None:
    if abs(minutes) > 14 * 60:
        return None
    return dt_timezone(timedelta(minutes=minutes))


def _taken_at(exif: Image.Exif) -> datetime | None:
    """The capture time: the original time with its offset when the camera
    wrote one; else the GPS time (always UTC); else the original time read as
    this platform's local time, as a phone set to French time writes it."""
    details = exif.get_ifd(ExifTags.IFD.Exif)
    local = _exif_time(details.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime))
    offset = _offset(_text(details.get(ExifTags.Base.OffsetTimeOriginal)))
    if local is not None and offset is not None:
        return local.replace(tzinfo=offset).astimezone(UTC)
    gps_time = _gps_time(exif.get_ifd(ExifTags.IFD.GPSInfo))
    if gps_time is not None:
        return gps_time
    if local is not None:
        return local.replace(tzinfo=ZoneInfo(settings.TIME_ZONE)).astimezone(UTC)
    return None


def _exif_time(value: Any) -> datetime | None:
    text = _text(value)
    try:
        taken = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return taken if taken.year >= 2000 else None


def _gps_time(gps: dict[int, Any]) -> datetime | None:
    try:
        day = datetime.strptime(_text(gps[ExifTags.GPS.GPSDateStamp]), "%Y:%m:%d")
        hours, minutes, seconds = (float(part) for part in gps[ExifTags.GPS.GPSTimeStamp])
        return day.replace(tzinfo=UTC) + timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None


def _degrees(parts: Any, ref: Any, negative: str) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in parts)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(value):
        return None
    return -value if _text(ref).upper() == negative else value


def _position(exif: Image.Exif) -> tuple[float | None, float | None]:
    """The GPS position (latitude, longitude) in degrees, or (None, None)."""
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    latitude = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S")
    longitude = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "W")
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    if latitude == 0 and longitude == 0:  # a camera without a fix writes zeros
        return None, None
    return latitude, longitude
