"""The data export button, in a real browser (AC03)."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page

from microwork.testing import browser_login as login
from microwork.testing import make_tasker

pytestmark = [pytest.mark.browser]


def test_ac03_export_button_downloads_json(page: Page, live_server) -> None:
    # given alice signed in on her dashboard
    make_tasker("alice@example.fr", "+33612345678")
    login(page, live_server.url, "alice@example.fr")
    # when she clicks "Télécharger mes données"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger mes données").click()
    download = download_info.value
    # then a JSON file of her data arrives
    assert download.suggested_filename.startswith("microwork-mes-donnees-")
    assert download.suggested_filename.endswith(".json")
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["account"]["email"] == "alice@example.fr"
    assert data["account"]["phone"] == "+33612345678"
