"""The one upload check: the type comes from the content, a decompression bomb is refused."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from microwork.core.errors import InvalidInput
from microwork.core.uploads import (
    DOCUMENT,
    JPEG,
    PDF,
    PNG,
    REPORT_PHOTO,
    UploadRule,
    server_file_name,
    upload_content_type,
)


def _png(size: tuple[int, int], mode: str = "RGB") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, "PNG")
    return SimpleUploadedFile("photo.pdf", buffer.getvalue(), content_type="application/pdf")


def test_the_type_is_read_from_the_content_not_the_name():
    assert upload_content_type(_png((40, 30)), rule=DOCUMENT) == PNG
    pdf = SimpleUploadedFile("scan.png", b"%PDF-1.7\n...", content_type="image/png")
    assert upload_content_type(pdf, rule=DOCUMENT) == PDF


def test_a_type_not_accepted_is_refused_with_the_callers_message():
    pdf = SimpleUploadedFile("scan.pdf", b"%PDF-1.7\n...")
    with pytest.raises(InvalidInput) as refused:
        upload_content_type(pdf, rule=UploadRule((JPEG, PNG), 1000, "Upload a photo.", "Too large."))
    assert (refused.value.detail, refused.value.field) == ("Upload a photo.", "file")


def test_a_small_file_with_too_many_pixels_is_refused_before_it_is_decoded():
    bomb = _png((10_000, 10_000), mode="1")
    assert bomb.size < 100_000
    with pytest.raises(InvalidInput):
        upload_content_type(bomb, rule=REPORT_PHOTO)


def test_stored_names_are_the_servers():
    first, second = server_file_name(PNG), server_file_name(PNG)
    assert first != second
    assert first.endswith(".png") and "photo" not in first
