"""The pages on a phone (390 x 844), in French and in English: a visitor sees
live missions, the header is compact with thumb-sized targets, nothing is wider
than the screen, the bell stays folded, money errors read in euros (MW01)."""

import re

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from microwork.accounts.models import User
from microwork.core.money import format_eur
from microwork.ledger.models import Refund
from microwork.missions import services
from microwork.testing import browser_login as login
from microwork.testing import browser_speaks, make_published, make_tasker, phone_shot, words

pytestmark = [pytest.mark.browser]

# Everything one can tap in the header, the menu and the footer.
TARGETS = ".site-header a, .site-header button, .site-header summary, .site-footer a, .tabbar a"
# And the controls of the page itself (WCAG 2.5.5 leaves out links inside a sentence).
CONTROLS = "main button, main summary, main select, main input:not([type=hidden]), main a.button"


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def euros(amount_cents: int, language: str) -> str:
    with translation.override(language):
        return format_eur(amount_cents)


def test_mw01_visitor_sees_a_live_mission_and_is_asked_to_sign_up_to_take_it(
    page: Page, live_server, acme, staff, language
) -> None:
    say = words(language)
    lyon = services.Location(lat=45.7597, lon=4.8422, radius_km=2, address="10 Cours Gambetta 69003 Lyon")
    mission = make_published(acme, staff, title="Photo de la vitrine", reward_cents=3_00, location=lyon)
    browser_speaks(page, live_server.url, language)
    page.context.route(re.compile(r"^https://tile\.openstreetmap\.org/.*"), lambda route: route.abort())  # no network
    # a visitor on the front page sees the live mission: reward, hourly rate, the town, not the street
    page.goto(live_server.url)
    expect(page.locator("html")).to_have_attribute("lang", language)
    card = page.locator(".mission-card", has_text="Photo de la vitrine")
    expect(card.get_by_test_id("reward")).to_contain_text(euros(3_00, language))
    expect(card.get_by_test_id("where")).to_have_text(
        say("near %(place)s") % {"place": say("%(city)s (3rd arr.)") % {"city": "Lyon"}}
    )
    expect(card).not_to_contain_text("Gambetta")
    fits_the_phone(page)
    phone_shot(page, "home", language)
    # the list is open to visitors too, and the mission page asks to sign up to take it
    page.goto(f"{live_server.url}/missions/")
    expect(page.locator(".mission-card", has_text="Photo de la vitrine")).to_be_visible()
    fits_the_phone(page)
    phone_shot(page, "missions-visitor", language)
    page.locator(".mission-card", has_text="Photo de la vitrine").click()
    expect(page).to_have_url(re.compile(rf"/missions/{mission.pk}/$"))
    expect(page.get_by_test_id("signup-to-claim")).to_have_text(say("Sign up to take this mission"))
    fits_the_phone(page)
    phone_shot(page, "mission-visitor", language)


def test_mw01_header_is_compact_with_44px_targets_and_a_long_name_does_not_widen_the_page(
    page: Page, live_server, language
) -> None:
    say = words(language)
    # given a tasker whose display name and email are as long as the form allows
    alice = make_tasker("alice@example.fr", "+33612345678")
    User.objects.filter(pk=alice.pk).update(display_name="Alice" + "x" * 115)
    browser_speaks(page, live_server.url, language)
    login(page, live_server.url, "alice@example.fr")
    for path, name in (
        ("/tableau-de-bord/", "dashboard"),
        ("/missions/", "missions"),
        ("/missions/mes-missions/", "my-missions"),
        ("/porte-monnaie/", "wallet"),
        ("/notifications/", "notifications"),
    ):
        page.goto(live_server.url + path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        # then nothing scrolls sideways on a 390 px phone
        fits_the_phone(page)
        # the header takes two rows at most, not a third of the screen
        assert page.locator(".site-header").bounding_box()["height"] <= 100, path
        # and every target one taps there, and every control of the page, is at least 44 px high
        targets = [target for target in page.locator(TARGETS).all() if target.is_visible()]
        assert len(targets) >= 8, path
        for target in targets + [control for control in page.locator(CONTROLS).all() if control.is_visible()]:
            box = target.bounding_box()
            assert box is not None and box["height"] >= 44, (path, target.inner_text(), box)
            assert box["width"] >= 24, (path, target.inner_text(), box)
        # the bell is folded on every page until tapped
        assert page.locator("#bell").get_attribute("open") is None, path
        phone_shot(page, name, language)
    # the tab bar holds the tasker's main pages at the bottom, each link once on the screen
    tabs = page.get_by_test_id("tabbar").get_by_role("link")
    assert tabs.count() == 5
    # each label whole, in either language, not cut with an ellipsis
    for label in page.get_by_test_id("tabbar").locator(".tab span").all():
        assert label.evaluate("span => span.scrollWidth <= span.clientWidth"), label.inner_text()
    my_missions = say("My missions")
    assert page.get_by_role("link", name=my_missions, exact=True).count() == 1
    page.get_by_role("link", name=my_missions, exact=True).click()
    page.wait_for_url("**/missions/mes-missions/")
    current = page.get_by_test_id("tabbar").locator("[aria-current=page]")
    assert current.get_attribute("aria-label") == my_missions
    bar = page.get_by_test_id("tabbar").bounding_box()
    assert bar is not None and bar["y"] + bar["height"] == 844
    # the bell stays folded until tapped, then its menu fits the screen
    assert page.locator("#bell").get_attribute("open") is None
    page.get_by_test_id("bell").click()
    menu = page.locator(".bell-menu").bounding_box()
    assert menu is not None and menu["x"] >= 0 and menu["x"] + menu["width"] <= 390


def test_pl01_money_error_reads_in_euros(page: Page, live_server, acme, language) -> None:
    say = words(language)
    browser_speaks(page, live_server.url, language)
    login(page, live_server.url, "acme@example.fr")
    page.goto(f"{live_server.url}/porte-monnaie/")
    refund = page.locator("#rembourser")
    # asking back more than the funds: the refusal says the most it can be, in the reader's euros
    refund.get_by_label(say("Amount in euros")).fill("200")
    refund.get_by_role("button", name=say("Refund")).click()
    expect(refund).to_contain_text(euros(100_00, language))
    expect(refund).not_to_contain_text("10000")
    # an amount typed as an exponent is refused, not read as a billion
    refund.get_by_label(say("Amount in euros")).fill("1e9")
    refund.get_by_role("button", name=say("Refund")).click()
    expect(refund.locator(".error")).to_be_visible()
    expect(refund).not_to_contain_text("100000000")
    fits_the_phone(page)
    phone_shot(page, "wallet-refusal", language)
    assert not Refund.objects.exists()
