"""The one check of an uploaded CSV file: its size, then its text."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from microwork.core.errors import InvalidInput
from microwork.core.uploads import csv_text, csv_upload_content

TOO_LARGE = "The CSV file is larger than 2 MB."


def test_a_file_within_the_limit_is_read_whole():
    upload = SimpleUploadedFile("items.csv", b"a,b\n1,2\n", content_type="text/csv")
    assert csv_upload_content(upload, max_bytes=8, too_large=TOO_LARGE) == b"a,b\n1,2\n"


def test_a_file_past_the_limit_is_refused_by_its_declared_size_before_it_is_read():
    upload = SimpleUploadedFile("items.csv", b"x" * 9, content_type="text/csv")
    with pytest.raises(InvalidInput) as refused:
        csv_upload_content(upload, max_bytes=8, too_large=TOO_LARGE, field="items")
    assert (refused.value.detail, refused.value.field) == (TOO_LARGE, "items")
    assert upload.tell() == 0


def test_a_stream_without_a_size_is_read_at_most_one_byte_past_the_limit():
    stream = io.BytesIO(b"x" * 100)
    with pytest.raises(InvalidInput) as refused:
        csv_upload_content(stream, max_bytes=8, too_large=TOO_LARGE)
    assert (refused.value.detail, refused.value.field) == (TOO_LARGE, "file")
    assert stream.tell() == 9


def test_the_text_drops_a_spreadsheets_bom():
    assert csv_text("\ufeffname\nÉlodie\n".encode()) == "name\nÉlodie\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name\nÉlodie\n".encode("latin-1"), "The file must be UTF-8 CSV."),
        (b"name\n\x00\x01\x02\n", "The file may not contain NUL characters."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The file must be UTF-8 CSV."),
    ],
)
def test_binary_content_is_refused(content, message):
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        csv_text(content)
    assert (refused.value.detail, refused.value.field) == (message, "file")
