# French typography: the page texts checked here use the typographic apostrophe (U+2019).
# ruff: noqa: RUF001
"""The terms at signup, on a phone: read in a dialog without leaving the form,
and the unticked box with its own message (HM01, HM03)."""

import pytest
from playwright.sync_api import Page, expect

from microwork.accounts.models import User
from microwork.testing import shot

pytestmark = [pytest.mark.browser]


def test_hm01_terms_open_in_a_dialog_and_the_box_says_what_it_needs(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/inscription/tasker/")
    page.get_by_label("Prénom ou pseudo").fill("Dora")
    page.get_by_label("Adresse e-mail").fill("dora@example.fr")
    # when she opens the terms of use from the form
    page.get_by_test_id("terms-link").click()
    dialog = page.get_by_test_id("legal-dialog")
    # then they open over the form, readable, and close again with what she typed kept
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", level=1)).to_contain_text("Conditions générales d’utilisation")
    expect(dialog.get_by_test_id("legal-version")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "mw-signup-terms-dialog")
    dialog.get_by_role("button", name="Fermer").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_label("Adresse e-mail")).to_have_value("dora@example.fr")
    # and sent without the box ticked, the box says what it needs
    page.get_by_label("Mot de passe").fill("dora-secret-2026")
    page.get_by_label("Numéro de mobile").fill("06 12 34 56 70")
    page.get_by_role("button", name="Créer mon compte").click()
    box = page.locator(".field.checkbox")
    expect(box.locator(".error")).to_contain_text(
        "Cochez cette case pour accepter les conditions générales d’utilisation"
    )
    shot(page, "mw-signup-terms-error")
    assert not User.objects.exists()
