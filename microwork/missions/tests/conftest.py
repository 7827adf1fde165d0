"""Shared helpers for the missions tests: a standard mission, and the books check."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from microwork.accounts.models import User
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.missions.models import Mission
from microwork.testing import make_published


def balance(user: User) -> int:
    return wallet_balance(user).available_cents


def assert_books_right() -> None:
    assert ledger_audit() == []


def photo_upload(image_format: str = "PNG", size: tuple[int, int] = (8, 8)) -> SimpleUploadedFile:
    """A small real image, sent as a phone would send a report photo."""
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, format=image_format)
    extension, content_type = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg")}[image_format]
    return SimpleUploadedFile(f"shelf.{extension}", buffer.getvalue(), content_type=content_type)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    """Report photos are written under a throwaway folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def published(acme: User, staff: User) -> Callable[..., Mission]:
    """Call it to get a published mission of acme's (options as `mission_create`)."""

    def build(**overrides: Any) -> Mission:
        return make_published(acme, staff, **overrides)

    return build
