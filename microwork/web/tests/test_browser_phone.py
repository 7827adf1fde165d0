"""The header on a phone: compact, thumb-sized targets, never wider than the screen."""

import pytest
from playwright.sync_api import Page

from microwork.accounts.models import User
from microwork.testing import browser_login as login
from microwork.testing import make_tasker

pytestmark = [pytest.mark.browser]

# Everything one can tap in the header, the menu and the footer.
TARGETS = ".site-header a, .site-header button, .site-header summary, .site-footer a, .tabbar a"


def test_header_is_compact_with_44px_targets_and_a_long_name_does_not_widen_the_page(page: Page, live_server) -> None:
    # given a tasker whose display name and email are as long as the form allows
    alice = make_tasker("alice@example.fr", "+33612345678")
    User.objects.filter(pk=alice.pk).update(display_name="Alice" + "x" * 115)
    login(page, live_server.url, "alice@example.fr")
    for path in ("/tableau-de-bord/", "/missions/", "/notifications/"):
        page.goto(live_server.url + path)
        # then nothing scrolls sideways on a 390 px phone
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        # the header takes two rows at most, not a third of the screen
        assert page.locator(".site-header").bounding_box()["height"] <= 100, path
        # and every target one taps there is at least 44 px high and wide enough
        targets = [target for target in page.locator(TARGETS).all() if target.is_visible()]
        assert len(targets) >= 8, path
        for target in targets:
            box = target.bounding_box()
            assert box is not None and box["height"] >= 44, (path, target.inner_text())
            assert box["width"] >= 24, (path, target.inner_text())
    # the tab bar holds the tasker's main pages at the bottom, each link once on the screen
    tabs = page.get_by_test_id("tabbar").get_by_role("link")
    assert tabs.count() == 5
    assert page.get_by_role("link", name="Mes missions", exact=True).count() == 1
    page.get_by_role("link", name="Mes missions", exact=True).click()
    page.wait_for_url("**/missions/mes-missions/")
    current = page.get_by_test_id("tabbar").locator("[aria-current=page]")
    assert current.get_attribute("aria-label") == "Mes missions"
    bar = page.get_by_test_id("tabbar").bounding_box()
    assert bar is not None and bar["y"] + bar["height"] == 844
    # the bell stays folded until tapped, then its menu fits the screen
    assert page.locator("#bell").get_attribute("open") is None
    page.get_by_test_id("bell").click()
    menu = page.locator(".bell-menu").bounding_box()
    assert menu is not None and menu["x"] >= 0 and menu["x"] + menu["width"] <= 390
