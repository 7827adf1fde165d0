"""Shared helpers for the missions tests: a standard mission, and the books check."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from microwork.accounts.models import User
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.missions import services
from microwork.missions.models import Mission

# Ten minutes of work paid 300 cents: above the minimum wage (201 cents), one place costs 372.
MISSION: dict[str, Any] = {
    "title": "Photo of the biscuit shelf",
    "category": "photo",
    "instructions": "Take one clear photo of the biscuit shelf at the shop entrance, in daylight.",
    "estimated_minutes": 10,
    "reward_cents": 300,
    "places": 1,
}
# A written account: what a report on a mission without questions holds at the least (HM13).
ACCOUNT = "Photo taken in daylight, the whole shelf in frame."


def balance(user: User) -> int:
    return wallet_balance(user).available_cents


def assert_books_right() -> None:
    assert ledger_audit() == []


def make_mission(company: User, **overrides: Any) -> Mission:
    return services.mission_create(company=company, **{**MISSION, **overrides})


def make_published(company: User, staff: User, **overrides: Any) -> Mission:
    mission = make_mission(company, **overrides)
    services.mission_submit(mission=mission, by=company)
    services.mission_publish(mission=mission, by=staff)
    mission.refresh_from_db()
    return mission


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
