"""Quality filters and fair dispatch on a phone, in a real browser (issue 15,
items 5 and 6): the company sets who may take its mission; a tasker whose
record falls short reads why, with their own figures; a tasker claiming too
fast is told how long to wait."""

import re
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from microwork.ledger.payments import topup_create
from microwork.missions import services
from microwork.missions.models import Claim, Mission
from microwork.testing import ACCOUNT, make_published, shot
from microwork.testing import browser_login as login

pytestmark = [pytest.mark.browser]


def phone(browser: Browser, args: dict[str, Any]) -> Page:
    return browser.new_context(**args).new_page()


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_mw01_quality_company_sets_filters_and_tasker_reads_why_on_a_phone(
    browser: Browser, browser_context_args: dict[str, Any], live_server, acme, staff, alice
) -> None:
    company = phone(browser, browser_context_args)
    login(company, live_server.url, "acme@example.fr")
    company.goto(f"{live_server.url}/missions/entreprise/nouvelle/")
    company.get_by_label("Titre").fill("Étiqueter des photos de rayons")
    company.get_by_label("Catégorie").select_option("image_labelling")
    company.get_by_label("Consignes").fill("Pour chaque photo, choisissez le rayon montré : frais ou boissons.")
    company.get_by_label("Durée estimée", exact=True).fill("10")
    company.get_by_label("Rémunération par place (€)").fill("3,00")
    # The cost is worked out as the reward is typed; the lines it adds push
    # the rest of the form down, so the filters are opened once it is shown.
    expect(company.get_by_test_id("cost-total")).to_have_text("3,72 €")
    company.get_by_text("Qui peut la prendre (filtres de qualité)").click()
    expect(company.get_by_test_id("quality-filters")).to_have_attribute("open", "")
    company.get_by_label("Taux de validation minimal (%)").fill("90")
    company.get_by_label("Nombre minimal de rapports validés").fill("5")
    fits_the_phone(company)
    shot(company, "mw-quality-1-company-form")
    company.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(company.locator(".message.success")).to_contain_text("Brouillon enregistré")
    expect(company.get_by_test_id("quality-filters")).to_contain_text("au moins 90")
    mission = Mission.objects.get(title="Étiqueter des photos de rayons")
    assert (mission.min_approval_percent, mission.min_approved_reports) == (90, 5)
    services.mission_submit(mission=mission, by=acme)
    services.mission_publish(mission=mission, by=staff)

    # alice: one report approved, one rejected
    topup_create(user=acme, amount_cents=50_00)
    for n, approve in enumerate((True, False)):
        past = make_published(acme, staff, title=f"Passée {n}")
        claim = services.claim_create(mission=past, tasker=alice)
        services.claim_report(claim=claim, by=alice, answers={}, text=ACCOUNT)
        if approve:
            services.claim_approve(claim=claim, by=acme, rating=5)
        else:
            services.claim_reject(claim=claim, by=acme, reason_code="poor_quality", reason="Floue.")
    tasker = phone(browser, browser_context_args)
    login(tasker, live_server.url, "alice@example.fr")
    tasker.goto(f"{live_server.url}/missions/")
    expect(tasker.get_by_text("Étiqueter des photos de rayons")).to_have_count(0)
    tasker.goto(f"{live_server.url}/missions/{mission.pk}/")
    refusal = tasker.get_by_test_id("claim-refusal")
    expect(refusal).to_contain_text(re.compile(r"au moins 90\s%"))
    expect(refusal).to_contain_text(re.compile(r"vous avez 50\s% de rapports validés, et 1 rapport validé"))
    expect(tasker.get_by_role("button", name="Prendre cette mission")).to_be_disabled()
    fits_the_phone(tasker)
    shot(tasker, "mw-quality-2-tasker-not-qualified")
    assert not Claim.objects.filter(mission=mission).exists()


def test_mw01_fair_dispatch_tasker_claiming_too_fast_is_told_to_wait_on_a_phone(
    browser: Browser, browser_context_args: dict[str, Any], live_server, settings, acme, staff, alice
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "claim_burst": (1, 3600), "claim_sustained": (100, 3600)}
    first, second = (make_published(acme, staff, title=f"Rayon {n}", reward_cents=201) for n in range(2))
    tasker = phone(browser, browser_context_args)
    login(tasker, live_server.url, "alice@example.fr")
    # The clock held still: a limit's window may end at any second of the
    # hour (django-ratelimit staggers them by key), and one ending between
    # the two clicks would count the second claim afresh.
    with time_machine.travel(timezone.now(), tick=False):
        tasker.goto(f"{live_server.url}/missions/{first.pk}/")
        tasker.get_by_role("button", name="Prendre cette mission").click()
        expect(tasker.locator(".message.success")).to_be_visible()
        tasker.goto(f"{live_server.url}/missions/{second.pk}/")
        tasker.get_by_role("button", name="Prendre cette mission").click()
        error = tasker.get_by_test_id("claim-error")
        expect(error).to_contain_text("plus vite que quiconque")
        expect(tasker.get_by_test_id("retry-after")).to_contain_text("Vous pourrez reprendre une mission dans")
    fits_the_phone(tasker)
    shot(tasker, "mw-dispatch-1-too-fast")
    assert not Claim.objects.filter(mission=second).exists()
