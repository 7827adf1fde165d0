"""Many missions from one CSV file (MW04): each row read with the single
mission's schema into what `mission_create` takes, every bad row named."""

import csv
import io
from typing import Any

from django.utils.translation import gettext as _
from pydantic import ValidationError

from microwork.core.errors import InvalidInput, numbered
from microwork.core.uploads import csv_fieldnames, csv_require_columns, csv_rows, csv_text, csv_upload_content

from . import services
from .schemas import MissionRow, schema_errors

# A file of tasks of seconds gives `estimated_seconds` instead of `estimated_minutes` (MW02).
BATCH_COLUMNS = ("title", "category", "instructions", "estimated_minutes", "reward_cents", "places")
BATCH_OPTIONAL = ("lat", "lon", "radius_km", "address", "ends_at", "min_approval_rate", "min_approved_reports")
BATCH_MAX_ROWS = 500
BATCH_MAX_BYTES = 2 * 1024 * 1024
# Where a spreadsheet set in French writes a decimal comma (48,8566), in a file separated by semicolons.
DECIMAL_CELLS = ("lat", "lon", "radius_km", "min_approval_rate")
PLACE_CELLS = ("lat", "lon", "radius_km", "address")


def batch_file_content(upload: Any) -> bytes:
    """The bytes of an uploaded mission CSV, refused past BATCH_MAX_BYTES before it is read."""
    return csv_upload_content(upload, max_bytes=BATCH_MAX_BYTES, too_large=_("The CSV file is larger than 2 MB."))


def _row_body(raw: dict[str, Any], columns: tuple[str, ...], *, decimal_comma: bool) -> dict[str, Any]:
    """A row's cells as the single mission's body: empty cells left out (the
    schema's defaults apply), the place's four cells as its `location`. In a
    file separated by semicolons, as a spreadsheet set in French writes it,
    a decimal comma reads as a point (48,8566)."""
    cells = {name: (raw.get(name) or "").strip() for name in (*columns, *BATCH_OPTIONAL)}
    if decimal_comma:
        for name in DECIMAL_CELLS:
            cells[name] = cells[name].replace(",", ".")
    body = {name: value for name, value in cells.items() if value and name not in PLACE_CELLS}
    if any(cells[name] for name in PLACE_CELLS):
        body["location"] = {name: cells[name] for name in PLACE_CELLS}
    return body


def _unreadable(error: Any) -> bool:
    """A cell that does not read as its type (a word for a number, no date),
    as opposed to a value of the right type that the schema refuses."""
    kind = str(error["type"])
    return kind in ("missing", "int_from_float") or kind.endswith(("_parsing", "_type"))


def parse_batch_csv(content: bytes) -> list[dict[str, Any] | services.RowInvalid]:
    """The rows of a mission CSV (MW04), each read with the single mission's
    schema into what `mission_create` takes, or the `RowInvalid` of the
    fields it breaks (`mission_batch_create` names them beside the rows its
    rules refuse). A cell that does not read at all (a word for a number)
    stops the file before any rule is checked, every row the schema refuses
    named."""
    text = csv_text(content)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:2048], delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    present = csv_fieldnames(reader)
    duration = "estimated_seconds" if "estimated_seconds" in present else "estimated_minutes"
    columns = tuple(duration if name == "estimated_minutes" else name for name in BATCH_COLUMNS)
    csv_require_columns(columns, present)
    rows: list[dict[str, Any] | services.RowInvalid] = []
    refused: list[dict[str, str]] = []
    unreadable = False
    for number, raw in enumerate(csv_rows(reader), start=1):
        if number > BATCH_MAX_ROWS:
            raise InvalidInput(_("At most %(count)s rows per file.") % {"count": BATCH_MAX_ROWS}, field="file")
        try:
            body = _row_body(raw, columns, decimal_comma=dialect.delimiter == ";")
            rows.append(MissionRow.model_validate_strings(body).mission_fields())
            continue
        except ValidationError as exc:
            unreadable = unreadable or any(_unreadable(error) for error in exc.errors())
            invalid = services.RowInvalid(schema_errors(exc))
        except InvalidInput as exc:
            invalid = services.RowInvalid([{"field": exc.field or "row", "message": exc.detail}])
        rows.append(invalid)
        refused.extend(numbered(number, invalid.errors))
    if unreadable:
        raise services.BatchInvalid(refused)
    if not rows:
        raise InvalidInput(_("The file has no mission rows."), field="file")
    return rows
