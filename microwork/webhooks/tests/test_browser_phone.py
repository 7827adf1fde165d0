"""On a phone, in a real browser: a company pays a bonus on an approved
report and registers a webhook address (issue 15, items 7 and 9; MW01)."""

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from microwork.missions.models import Bonus
from microwork.missions.services import claim_approve, claim_create, claim_report
from microwork.testing import ACCOUNT, make_published
from microwork.testing import browser_login as login
from microwork.webhooks.models import Endpoint

pytestmark = [pytest.mark.browser]


def test_hm10_bonus_and_webhook_pages_on_a_phone(
    browser: Browser, browser_context_args: dict[str, Any], live_server, acme, staff, alice, settings
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    mission = make_published(acme, staff)
    claim = claim_report(claim=claim_create(mission=mission, tasker=alice), by=alice, text=ACCOUNT)
    claim_approve(claim=claim, by=acme, rating=5)
    page = browser.new_context(**browser_context_args).new_page()
    login(page, live_server.url, "acme@example.fr")
    # the bonus, from the mission's page
    page.goto(f"{live_server.url}/missions/entreprise/{mission.pk}/")
    page.get_by_test_id(f"bonus-{claim.pk}").get_by_text("Verser un bonus").click()
    page.get_by_label("Bonus (€)").fill("1,50")
    page.get_by_label("Message pour le micro-travailleur").fill("Merci pour la belle photo")
    page.get_by_role("button", name="Verser le bonus").click()
    expect(page.locator(".message.success")).to_contain_text("Bonus de 1,50")
    expect(page.get_by_test_id(f"bonuses-{claim.pk}")).to_contain_text("Merci pour la belle photo")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert Bonus.objects.get().amount_cents == 150
    # a webhook address, from the dashboard
    page.goto(f"{live_server.url}/webhooks/")
    page.get_by_label("Adresse (URL)").fill("http://127.0.0.1:9/a-rather-long-path/for/the/microwork/webhooks")
    page.get_by_role("button", name="Ajouter").click()
    expect(page.get_by_test_id("webhook-secret")).to_contain_text(Endpoint.objects.get().secret)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
