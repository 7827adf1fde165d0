"""One check for every uploaded file, and one way to hand it back.

The type is read from the content, never from the name or the type the
browser declares, and must be one the use allows (`UploadRule`); an image is
refused past a pixel limit before it is decoded (a small file that unpacks to
gigabytes of pixels: a decompression bomb), and re-encoded without its
metadata (EXIF: GPS, camera, dates) and turned upright: that clean copy is
what people see, the original being kept for staff only. Files are stored
under names the server chooses, and served only by views that check access
(`file_response`), never from a public URL."""

import csv
import io
import secrets
import warnings
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InvalidInput

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
IMAGE_TYPES = (JPEG, PNG, WEBP)
#: Every type an upload may have: a file of any other type is never stored.
KNOWN_TYPES = (PDF, *IMAGE_TYPES)
_PDF_MAGIC = b"%PDF-"
_IMAGE_FORMATS = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP}
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
_EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", WEBP: ".webp"}
_MB = 1024 * 1024
_CLIENT_NAME_MAX = 200


@dataclass(frozen=True)
class UploadRule:
    """What one use of uploads takes: the types (read from the content), the
    size, and what a refusal says, on which field."""

    accept: tuple[str, ...]
    max_bytes: int
    refusal: str | Promise
    too_large: str | Promise
    field: str = "file"


#: The allow-list and size of each use: one place to read them all.
DOCUMENT = UploadRule(
    (PDF, JPEG, PNG),
    10 * _MB,
    gettext_lazy("Upload a PDF, JPEG or PNG file."),
    gettext_lazy("The file is larger than 10 MB."),
)
REPORT_PHOTO = UploadRule(
    IMAGE_TYPES,
    10 * _MB,
    gettext_lazy("Upload a JPEG, PNG or WebP photo."),
    gettext_lazy("The file is larger than 10 MB."),
)
REPORT_FILE = UploadRule(
    KNOWN_TYPES, 10 * _MB, gettext_lazy("Upload a PDF or an image."), gettext_lazy("The file is larger than 10 MB.")
)
ORDER_FILE = UploadRule(
    KNOWN_TYPES,
    10 * _MB,
    gettext_lazy("Send PDF, JPEG, PNG or WebP files."),
    gettext_lazy("A file is at most 10 MB."),
    field="files",
)
OFFER_IMAGE = UploadRule(
    IMAGE_TYPES, 8 * _MB, gettext_lazy("Send a JPEG, PNG or WebP image."), gettext_lazy("An image is at most 8 MB.")
)
PROFILE_PHOTO = UploadRule(
    IMAGE_TYPES,
    8 * _MB,
    gettext_lazy("Upload a JPEG, PNG or WebP photo."),
    gettext_lazy("The photo is larger than 8 MB."),
)


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed its rule."""

    upload: UploadedFile
    content_type: str
    #: The client's name, for display only: never part of a stored path.
    client_name: str
    size: int
    #: For an image: the copy without metadata, upright, in its own format.
    clean: bytes | None

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES


def max_image_pixels() -> int:
    return int(settings.MAX_IMAGE_PIXELS)


def _too_many_pixels(rule: UploadRule) -> InvalidInput:
    return InvalidInput(
        _("This image has too many pixels: at most %(count)s megapixels.") % {"count": max_image_pixels() // 1_000_000},
        field=rule.field,
    )


def open_image(upload: UploadedFile, rule: UploadRule) -> Image.Image:
    """The image, its size checked before any pixel is decoded."""
    upload.seek(0)
    with warnings.catch_warnings():
        # Pillow only warns up to twice its own limit; here a warning is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(upload)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(rule) from None
    if image.width * image.height > max_image_pixels():
        image.close()
        raise _too_many_pixels(rule)
    return image


def _image_type(upload: UploadedFile, rule: UploadRule) -> str | None:
    try:
        with open_image(upload, rule) as image:
            image.verify()
            return _IMAGE_FORMATS.get(image.format or "")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    finally:
        upload.seek(0)


def _content_type(upload: UploadedFile, rule: UploadRule) -> str:
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(_PDF_MAGIC):
        content_type: str | None = PDF
    else:
        content_type = _image_type(upload, rule)
    if content_type is None or content_type not in rule.accept:
        raise InvalidInput(str(rule.refusal), field=rule.field)
    return content_type


def client_name(upload: UploadedFile) -> str:
    """The name the client gave, without any folder, for display only."""
    name = PureWindowsPath(PurePosixPath(upload.name or "").name).name
    return "".join(ch for ch in name if ch.isprintable())[-_CLIENT_NAME_MAX:] or "file"


def upload_check(upload: UploadedFile, rule: UploadRule) -> CheckedUpload:
    """`upload` checked against `rule`, or a refusal (`InvalidInput`, a 422 on
    the API and a form error on pages) naming what is wrong."""
    size = upload.size or 0
    if size == 0:
        raise InvalidInput(_("The file is empty."), field=rule.field)
    if size > rule.max_bytes:
        raise InvalidInput(str(rule.too_large), field=rule.field)
    content_type = _content_type(upload, rule)
    clean = image_clean(upload, rule=rule, content_type=content_type) if content_type in IMAGE_TYPES else None
    return CheckedUpload(
        upload=upload, content_type=content_type, client_name=client_name(upload), size=size, clean=clean
    )


def uploads_check(uploads: Sequence[UploadedFile], rule: UploadRule) -> list[CheckedUpload]:
    return [upload_check(upload, rule) for upload in uploads]


def upload_content_type(upload: UploadedFile, *, rule: UploadRule) -> str:
    """The type of `upload` among those `rule` accepts, read from its content."""
    return upload_check(upload, rule).content_type


def server_file_name(content_type: str) -> str:
    """A name nobody can guess or choose, with the extension of the checked type."""
    return f"{secrets.token_hex(16)}{_EXTENSIONS.get(content_type, '')}"


def _pixels_only(image: Image.Image, *, alpha: bool) -> Image.Image:
    """A new image holding only the pixels: no EXIF, comment, profile or text chunk."""
    has_alpha = alpha and (image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info)
    mode = "RGBA" if has_alpha else "RGB"
    if image.mode != mode:
        image = image.convert(mode)
    return Image.frombytes(mode, image.size, image.tobytes())


def _decoded(upload: UploadedFile, rule: UploadRule) -> Image.Image:
    """The image decoded and turned upright (EXIF orientation applied)."""
    try:
        with open_image(upload, rule) as original:
            original.load()
            upright = ImageOps.exif_transpose(original)
            upright.load()
            return upright
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        # A file that passes the type check yet cannot be decoded (truncated,
        # corrupt) is bad input, never a server error.
        raise InvalidInput(_("This image cannot be read: send it again."), field=rule.field) from None
    finally:
        upload.seek(0)


def image_clean(upload: UploadedFile, *, rule: UploadRule, content_type: str) -> bytes:
    """The image re-encoded in its own format, upright, with its pixels only."""
    image = _pixels_only(_decoded(upload, rule), alpha=content_type != JPEG)
    out = io.BytesIO()
    options: dict[str, Any] = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}, "PNG": {}}[_PIL_FORMATS[content_type]]
    image.save(out, format=_PIL_FORMATS[content_type], **options)
    return out.getvalue()


def image_jpegs(upload: UploadedFile, *, rule: UploadRule, sides: Sequence[int]) -> list[bytes]:
    """A checked image as fresh JPEGs, one fitting each of `sides` (a full
    view, a thumbnail): upright, without metadata, on white where it was
    transparent."""
    upload_check(upload, rule)
    image = _pixels_only(_decoded(upload, rule), alpha=True)
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    copies = []
    for side in sides:
        copy = image.copy()
        copy.thumbnail((side, side))
        out = io.BytesIO()
        copy.save(out, format="JPEG", quality=85, optimize=True)
        copies.append(out.getvalue())
    return copies


def image_reencoded(upload: UploadedFile, *, rule: UploadRule, max_side: int = 1024) -> bytes:
    """A checked image as one fresh JPEG fitting `max_side` (see `image_jpegs`)."""
    return image_jpegs(upload, rule=rule, sides=(max_side,))[0]


# --- Serving ----------------------------------------------------------------


def file_response(file: File, *, content_type: str, download_name: str = "") -> FileResponse:
    """A stored upload for a viewer whose access was checked: an image of a
    checked type shown inline with that type, anything else as an attachment;
    never sniffed by the browser, never cached by a shared cache, and never
    run as a page (its own sandboxed Content-Security-Policy)."""
    inline = content_type in IMAGE_TYPES
    known = content_type if content_type in KNOWN_TYPES else "application/octet-stream"
    name = download_name or PurePosixPath(file.name or "").name
    response = FileResponse(file.open("rb"), as_attachment=not inline, filename=name, content_type=known)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- CSV --------------------------------------------------------------------

#: The longest cell a CSV upload may hold (mission instructions fit easily).
CSV_FIELD_MAX_CHARS = 10_000


def csv_upload_content(upload: IO[bytes], *, max_bytes: int, too_large: str | Promise, field: str = "file") -> bytes:
    """The bytes of an uploaded CSV file, refused (`too_large`, on `field`)
    past `max_bytes`: by its declared size before anything is read, and never
    more than one byte past the limit read. `csv_text` then reads them as text."""
    size = getattr(upload, "size", None)
    if size and size > max_bytes:
        raise InvalidInput(str(too_large), field=field)
    content = bytes(upload.read(max_bytes + 1))
    if len(content) > max_bytes:
        raise InvalidInput(str(too_large), field=field)
    return content


def csv_text(content: bytes) -> str:
    """An uploaded CSV file as text: UTF-8 (a spreadsheet's BOM is dropped),
    refusing binary content (bytes that are not UTF-8, NUL characters)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("The file must be UTF-8 CSV."), field="file") from None
    if "\x00" in text:
        raise InvalidInput(_("The file may not contain NUL characters."), field="file")
    return text


def _cell_too_long() -> InvalidInput:
    return InvalidInput(
        _("A cell is longer than %(count)s characters.") % {"count": f"{CSV_FIELD_MAX_CHARS:,}".replace(",", "\u202f")},
        field="file",
    )


def _csv_refusal(exc: csv.Error) -> InvalidInput:
    if "field larger than field limit" in str(exc):
        return _cell_too_long()
    return InvalidInput(_("This CSV file cannot be read."), field="file")


def csv_rows(reader: Iterator[Any]) -> Iterator[Any]:
    """The rows of a `csv.reader` or `csv.DictReader`, each cell at most
    `CSV_FIELD_MAX_CHARS` long; a file the csv module cannot read (a cell past
    its own limit, set just above ours by the core app, or a broken quote) is
    refused as input, never a server error."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _csv_refusal(exc) from None
        cells = row.values() if isinstance(row, dict) else row
        if any(_cell_length(cell) > CSV_FIELD_MAX_CHARS for cell in cells):
            raise _cell_too_long()
        yield row


def csv_fieldnames(reader: "csv.DictReader[str]") -> list[str]:
    """The header of a `csv.DictReader`, read under the same limits as its rows."""
    try:
        names = list(reader.fieldnames or [])
    except csv.Error as exc:
        raise _csv_refusal(exc) from None
    if any(len(name) > CSV_FIELD_MAX_CHARS for name in names):
        raise _cell_too_long()
    return names


def _cell_length(cell: Any) -> int:
    if isinstance(cell, list):  # DictReader's extra cells, under its restkey
        return max((len(str(item)) for item in cell), default=0)
    return len(cell) if isinstance(cell, str) else 0


def csv_require_columns(required: Collection[str], present: Collection[str]) -> None:
    missing = [name for name in required if name not in present]
    if missing:
        raise InvalidInput(_("Missing column(s): %(columns)s.") % {"columns": ", ".join(missing)}, field="file")
