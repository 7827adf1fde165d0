"""Pictures for upload tests: a profile photo, a field photo with its EXIF,
and a PNG that declares a size it does not hold."""

import io
import random
import struct
import zlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image, ImageDraw


def photo_jpeg(size: tuple[int, int] = (8, 8)) -> bytes:
    """A small JPEG, as a profile photo."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def field_photo(
    *,
    seed: int = 1,
    taken_at: datetime | None = None,
    offset: str | None = "+00:00",
    position: tuple[float, float] | None = None,
    size: tuple[int, int] = (320, 240),
    quality: int = 90,
) -> bytes:
    """A phone's field photo as JPEG: a picture of its own for each `seed`
    (coloured blocks), with the capture time (`taken_at`, written in UTC with
    `offset`, or as Paris time when `offset` is None) and the GPS position
    (lat, lon) in its EXIF when given."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(16):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x, y, x + rng.randrange(20, size[0] // 2), y + rng.randrange(20, size[1] // 2))
        draw.rectangle(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    if taken_at is not None:
        local = taken_at.astimezone(UTC if offset else ZoneInfo("Europe/Paris"))
        details = {ExifTags.Base.DateTimeOriginal: local.strftime("%Y:%m:%d %H:%M:%S")}
        if offset:
            details[ExifTags.Base.OffsetTimeOriginal] = offset
        exif[ExifTags.IFD.Exif] = details
    if position is not None:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if position[0] >= 0 else "S",
            ExifTags.GPS.GPSLatitude: _dms(position[0]),
            ExifTags.GPS.GPSLongitudeRef: "E" if position[1] >= 0 else "W",
            ExifTags.GPS.GPSLongitude: _dms(position[1]),
        }
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


def _dms(degrees: float) -> tuple[float, float, float]:
    degrees = abs(degrees)
    minutes = (degrees % 1) * 60
    return (float(int(degrees)), float(int(minutes)), round((minutes % 1) * 60, 4))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares `width` x `height` pixels: a
    decompression bomb, refused from its header before any pixel is decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
