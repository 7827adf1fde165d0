"""A tasker reports a mission from its page, on a phone; staff find it in
their inbox and suspend the company (AC04)."""

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from microwork.moderation.models import AbuseReport, ReportState
from microwork.moderation.selectors import is_suspended
from microwork.testing import browser_login as login
from microwork.testing import shot

pytestmark = [pytest.mark.browser]


def phone(browser: Browser, browser_context_args: dict[str, Any]) -> Page:
    return browser.new_context(**browser_context_args).new_page()


def test_ac04_a_tasker_reports_a_mission_and_staff_act_on_it(
    browser: Browser, browser_context_args: dict[str, Any], live_server, acme, staff, alice, mission
) -> None:
    # --- the tasker reads the mission and follows its "Signaler" link
    tasker = phone(browser, browser_context_args)
    login(tasker, live_server.url, "alice@example.fr")
    tasker.goto(f"{live_server.url}/missions/{mission.pk}/")
    tasker.get_by_role("link", name="Signaler", exact=True).click()
    expect(tasker.get_by_role("heading", name="Signaler un problème")).to_be_visible()
    expect(tasker.get_by_text(mission.title)).to_be_visible()
    assert tasker.evaluate("document.documentElement.scrollWidth") <= 390
    shot(tasker, "mw-moderation-1-report-form")
    tasker.get_by_label("Fraude ou arnaque").check()
    tasker.get_by_label(re.compile("^Précisions")).fill("On me demande de payer avant de commencer.")
    tasker.get_by_role("button", name="Envoyer le signalement").click()
    expect(tasker.locator(".message.success")).to_contain_text("votre signalement a été transmis")
    expect(tasker.get_by_test_id("instructions")).to_be_visible()  # back on the mission
    report = AbuseReport.objects.get()
    assert (report.reporter, report.subject, report.reason) == (alice, acme, "fraud")

    # --- staff find it in their inbox and suspend the company from it
    moderator = phone(browser, browser_context_args)
    login(moderator, live_server.url, "staff@microwork.fr")
    moderator.get_by_role("link", name="Signalements et messages").click()
    card = moderator.get_by_test_id(f"abuse-report-{report.pk}")
    expect(card).to_contain_text(mission.title)
    expect(card).to_contain_text("On me demande de payer avant de commencer.")
    expect(card).to_contain_text("Fraude ou arnaque")
    assert moderator.evaluate("document.documentElement.scrollWidth") <= 390
    shot(moderator, "mw-moderation-2-staff-inbox")
    card.get_by_label(re.compile("^Motif, tel que")).fill("Missions frauduleuses.")
    card.get_by_role("button", name="Suspendre ce compte").click()
    expect(moderator.locator(".message.success")).to_contain_text("Compte suspendu")
    expect(moderator.get_by_test_id(f"abuse-report-{report.pk}")).to_have_count(0)
    report.refresh_from_db()
    assert report.state == ReportState.ACTIONED
    assert is_suspended(acme)

    # --- the company sees why on its dashboard
    company = phone(browser, browser_context_args)
    login(company, live_server.url, "acme@example.fr")
    expect(company.get_by_test_id("suspension-notice")).to_contain_text("Missions frauduleuses.")
    shot(company, "mw-moderation-3-suspended-dashboard")
