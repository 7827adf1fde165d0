"""One check for every uploaded file: its type is read from its content, never
from its name or the type the browser declares, and it is stored under a name
the server chooses."""

import io
import secrets
import warnings
from collections.abc import Collection

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InvalidInput

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
_PDF_MAGIC = b"%PDF-"
_IMAGE_FORMATS = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP}
_EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", WEBP: ".webp"}
# A 48-megapixel phone photo fits; a small file that unpacks to gigabytes of
# pixels (a decompression bomb) does not, and is refused before it is decoded.
MAX_PIXELS = 50_000_000


def _image_type(upload: UploadedFile) -> str | None:
    try:
        with warnings.catch_warnings():
            # Pillow only warns up to twice its own limit; here a warning is a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                if image.width * image.height > MAX_PIXELS:
                    return None
                image.verify()
                return _IMAGE_FORMATS.get(image.format or "")
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        return None
    finally:
        upload.seek(0)


def upload_content_type(upload: UploadedFile, *, accept: Collection[str], refusal: str) -> str:
    """The type of `upload` among `accept` (PDF, JPEG, PNG, WebP), read from
    its content; anything else is refused with `refusal` on the field "file"."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if PDF in accept and head.startswith(_PDF_MAGIC):
        return PDF
    content_type = _image_type(upload)
    if content_type is None or content_type not in accept:
        raise InvalidInput(refusal, field="file")
    return content_type


def server_file_name(content_type: str) -> str:
    """A name nobody can guess or choose, with the extension of the checked type."""
    return f"{secrets.token_hex(16)}{_EXTENSIONS.get(content_type, '')}"


def image_reencoded(upload: UploadedFile, *, accept: Collection[str], refusal: str, max_side: int = 1024) -> bytes:
    """A checked image (`upload_content_type`), turned upright, shrunk to fit
    `max_side` and re-encoded as a fresh JPEG: no EXIF (GPS, camera, dates), no
    comments, nothing of the original file but its pixels."""
    upload_content_type(upload, accept=accept, refusal=refusal)
    try:
        with Image.open(upload) as original:
            image = ImageOps.exif_transpose(original)
            image.thumbnail((max_side, max_side))
            if image.mode in ("RGBA", "LA", "P"):
                image = image.convert("RGBA")
                flat = Image.new("RGB", image.size, (255, 255, 255))
                flat.paste(image, mask=image.getchannel("A"))
                image = flat
            elif image.mode != "RGB":
                image = image.convert("RGB")
            # Only the pixels cross over: a new image carries no EXIF, comment or profile.
            image = Image.frombytes("RGB", image.size, image.tobytes())
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise InvalidInput(refusal, field="file") from None
    finally:
        upload.seek(0)
    return out.getvalue()


def csv_text(content: bytes) -> str:
    """An uploaded CSV file as text: UTF-8 (a spreadsheet's BOM is dropped), without NUL characters."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("The file must be UTF-8 CSV."), field="file") from None
    if "\x00" in text:
        raise InvalidInput(_("The file may not contain NUL characters."), field="file")
    return text


def csv_require_columns(required: Collection[str], present: Collection[str]) -> None:
    missing = [name for name in required if name not in present]
    if missing:
        raise InvalidInput(_("Missing column(s): %(columns)s.") % {"columns": ", ".join(missing)}, field="file")
