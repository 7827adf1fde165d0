"""Many missions from one CSV file (MW04): each row read into what
`mission_create` takes, every bad row named."""

import csv
import io
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from microwork.core.errors import InvalidInput
from microwork.core.uploads import csv_fieldnames, csv_require_columns, csv_rows, csv_text

from . import services

# A file of tasks of seconds gives `estimated_seconds` instead of `estimated_minutes` (MW02).
BATCH_COLUMNS = ("title", "category", "instructions", "estimated_minutes", "reward_cents", "places")
BATCH_OPTIONAL = ("lat", "lon", "radius_km", "address", "ends_at", "min_approval_rate", "min_approved_reports")
BATCH_MAX_ROWS = 500
BATCH_MAX_BYTES = 2 * 1024 * 1024


def _quality_filters(raw: dict[str, Any]) -> dict[str, int]:
    """The optional quality filters of a row, as the API takes them: a rate
    from 0 to 1 and a count; empty cells welcome every tasker."""
    rate = (raw.get("min_approval_rate") or "").strip().replace(",", ".")
    count = (raw.get("min_approved_reports") or "").strip()
    try:
        percent = services.approval_percent(float(rate)) if rate else 0
    except ValueError:
        raise InvalidInput(_("min_approval_rate is a number from 0 to 1."), field="min_approval_rate") from None
    try:
        approved = int(count) if count else 0
    except ValueError:
        raise InvalidInput(_("A whole number is required."), field="min_approved_reports") from None
    return {"min_approval_percent": percent, "min_approved_reports": approved}


def batch_file_content(upload: Any) -> bytes:
    """The bytes of an uploaded mission CSV, refused past BATCH_MAX_BYTES before it is read."""
    if upload.size and upload.size > BATCH_MAX_BYTES:
        raise InvalidInput(_("The CSV file is larger than 2 MB."), field="file")
    return bytes(upload.read())


def parse_batch_csv(content: bytes) -> list[dict[str, Any]]:
    """The rows of a mission CSV (MW04), each ready for `mission_create`; every bad row is named."""
    text = csv_text(content)
    sample = text[:2048]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    present = csv_fieldnames(reader)
    duration = "estimated_seconds" if "estimated_seconds" in present else "estimated_minutes"
    columns = tuple(duration if name == "estimated_minutes" else name for name in BATCH_COLUMNS)
    csv_require_columns(columns, present)
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for number, raw in enumerate(csv_rows(reader), start=1):
        if number > BATCH_MAX_ROWS:
            raise InvalidInput(_("At most %(count)s rows per file.") % {"count": BATCH_MAX_ROWS}, field="file")
        row: dict[str, Any] = {k: (raw.get(k) or "").strip() for k in columns}
        try:
            for name in (duration, "reward_cents", "places"):
                try:
                    row[name] = int(row[name])
                except ValueError:
                    raise InvalidInput(_("A whole number is required."), field=name) from None
            lat, lon, radius = ((raw.get(k) or "").strip() for k in ("lat", "lon", "radius_km"))
            row["location"] = None
            if lat or lon or radius:
                try:
                    row["location"] = services.Location(
                        lat=float(lat),
                        lon=float(lon),
                        radius_km=float(radius),
                        address=(raw.get("address") or "").strip(),
                    )
                except ValueError:
                    raise InvalidInput(
                        _("lat, lon and radius_km are numbers, all three or none."), field="lat"
                    ) from None
            ends_at = (raw.get("ends_at") or "").strip()
            row["ends_at"] = None
            if ends_at:
                try:
                    # A well-formed but impossible date (30 February) raises instead of returning None.
                    row["ends_at"] = parse_datetime(ends_at)
                except ValueError:
                    row["ends_at"] = None
                if row["ends_at"] is None or row["ends_at"].tzinfo is None:
                    raise InvalidInput(_("ends_at is an ISO 8601 date and time with offset."), field="ends_at")
            row.update(_quality_filters(raw))
        except InvalidInput as exc:
            errors.append({"field": f"row {number}: {exc.field}", "message": exc.detail})
            continue
        rows.append(row)
    if errors:
        raise services.BatchInvalid(errors)
    if not rows:
        raise InvalidInput(_("The file has no mission rows."), field="file")
    return rows
