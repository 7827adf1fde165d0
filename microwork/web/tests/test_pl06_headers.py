"""Security headers (PL06): a Content-Security-Policy every page passes in a
real browser, Permissions-Policy, Referrer-Policy, and a production profile
that `check --deploy` finds nothing to say about, not even a warning."""

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page

from microwork import testing
from microwork.gigs import services as gigs
from microwork.missions import services as missions
from microwork.testing import REAL_RAILS, browser_login, offer_fields, production_env, run_python

BASE_DIR = Path(__file__).resolve().parents[3]

# A violation is logged to the console by Chromium ("Refused to ... because it
# violates the following Content Security Policy directive"); the event is
# reported too, by a listener installed before any page script runs.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI
                + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def csp_errors(messages: list[str]) -> list[str]:
    return [m for m in messages if "Content Security Policy" in m or "CSP violation" in m]


@pytest.mark.browser
def test_pl06_pages_pass_content_security_policy(browser: Any, browser_context_args: dict[str, Any], live_server):
    # given a mission with a tasker's claim running, and an offer with an order under way
    staff = testing.make_staff()
    company = testing.make_company("acme@example.fr", balance_cents=500_00)
    tasker = testing.make_tasker("alice@example.fr", "+33612345678")
    expert = testing.make_verified_expert("emma@example.fr", display_name="Emma")
    mission = missions.mission_create(
        company=company,
        title="Photo of the biscuit shelf",
        category="photo",
        instructions="Take one clear photo of the biscuit shelf at the shop entrance, in daylight.",
        estimated_minutes=10,
        reward_cents=300,
        places=2,
    )
    missions.mission_submit(mission=mission, by=company)
    missions.mission_publish(mission=mission, by=staff)
    claim = missions.claim_create(mission=mission, tasker=tasker)
    offer = gigs.offer_create(expert=expert, fields=offer_fields())
    order = gigs.order_place(offer=offer, buyer=company, requirements="Couleurs bleu et or.")
    gigs.order_start(order=order, by=expert)

    pages = {
        None: ["/", "/services/", f"/services/{offer.pk}/", "/connexion/", "/inscription/tasker/", "/api/v1/docs"],
        tasker.email: [
            "/tableau-de-bord/",
            "/missions/",
            f"/missions/{mission.pk}/",
            "/missions/mes-missions/",
            f"/missions/participations/{claim.pk}/rapport/",
            "/credits/",
            "/porte-monnaie/",
        ],
        company.email: [
            "/tableau-de-bord/",
            "/missions/entreprise/",
            "/missions/entreprise/nouvelle/",
            f"/missions/entreprise/{mission.pk}/",
            f"/services/{offer.pk}/",
            f"/commandes/{order.pk}/",
            "/porte-monnaie/",
        ],
        expert.email: ["/tableau-de-bord/", f"/commandes/{order.pk}/", "/mes-offres/"],
        staff.email: [
            "/tableau-de-bord/",
            "/moderation/documents/",
            "/moderation/experts/",
            "/missions/moderation/",
            "/credits/versements/",
            "/admin/",
            "/admin/accounts/user/",
            f"/admin/accounts/user/{tasker.pk}/change/",
            f"/admin/gigs/offer/{offer.pk}/change/",
        ],
    }
    seen: dict[str, list[str]] = {}
    for who, paths in pages.items():
        context = browser.new_context(**browser_context_args)
        context.add_init_script(REPORT_VIOLATIONS)
        page: Page = context.new_page()
        messages: list[str] = []
        page.on("console", lambda message, messages=messages: messages.append(message.text))
        page.on("pageerror", lambda error, messages=messages: messages.append(str(error)))
        if who:
            browser_login(page, live_server.url, who)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, (who, path, response and response.status)
            assert "nonce-" in response.headers["content-security-policy"] or path.startswith(("/admin/", "/api/"))
            page.wait_for_load_state("load")
            # htmx's requests on load done, and a frame painted with what they brought
            page.wait_for_function("() => !document.querySelector('.htmx-request')")
            page.evaluate("() => new Promise(requestAnimationFrame)")
            if path == "/api/v1/docs":
                page.wait_for_selector(".swagger-ui .info")  # Swagger UI has read the document
            seen[f"{who} {path}"] = csp_errors(messages)
            messages.clear()
        context.close()

    # then no page broke the policy (and the scripts ran: the countdown counts)
    assert {key: errors for key, errors in seen.items() if errors} == {}


@pytest.mark.browser
def test_pl06_page_scripts_still_work_under_the_policy(page: Page, live_server):
    # given a tasker with a running claim
    staff = testing.make_staff()
    company = testing.make_company("acme@example.fr", balance_cents=100_00)
    tasker = testing.make_tasker("alice@example.fr", "+33612345678")
    mission = missions.mission_create(
        company=company,
        title="Photo of the biscuit shelf",
        category="photo",
        instructions="Take one clear photo of the biscuit shelf at the shop entrance, in daylight.",
        estimated_minutes=10,
        reward_cents=300,
        places=1,
    )
    missions.mission_submit(mission=mission, by=company)
    missions.mission_publish(mission=mission, by=staff)
    missions.claim_create(mission=mission, tasker=tasker)
    browser_login(page, live_server.url, tasker.email)

    # when she opens her missions, the countdown script (a static file) runs
    page.goto(f"{live_server.url}/missions/mes-missions/")
    countdown = page.locator("[data-deadline]").first
    page.wait_for_function("el => /\\d+ h \\d\\d min \\d\\d s/.test(el.textContent)", arg=countdown.element_handle())

    # and giving the claim back asks first (a data-confirm form, no inline handler)
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    page.get_by_role("button", name="Abandonner").click()
    page.wait_for_timeout(200)
    assert asked and "mission" in asked[0].lower()
    assert page.url.endswith("/missions/mes-missions/")


@pytest.mark.django_db
def test_pl06_pages_carry_a_csp_header_with_a_nonce():
    response = Client().get("/")
    policy = response["Content-Security-Policy"]
    directives = dict([*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip())
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)
    # every script tag of the page carries the header's nonce
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives["default-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    # map tiles (HM12) are the only images from elsewhere; the address service the only other origin asked
    assert directives["img-src"] == "'self' data: https://tile.openstreetmap.org"
    assert directives["connect-src"] == "'self' https://api-adresse.data.gouv.fr"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert directives["form-action"].startswith("'self'")
    # a new nonce for every response
    assert nonce not in Client().get("/")["Content-Security-Policy"]


@pytest.mark.django_db
def test_pl06_the_admin_is_under_the_same_policy():
    site = Client().get("/connexion/")["Content-Security-Policy"]
    admin = Client().get("/admin/login/")["Content-Security-Policy"]
    assert "'unsafe-inline'" not in admin
    # the same directives, but for the nonce (the admin's templates use none)
    assert re.sub(r" 'nonce-[^']+'", "", site) == admin


@pytest.mark.django_db
def test_pl06_permissions_and_referrer_policy():
    response = Client().get("/")
    features = dict(item.split("=", 1) for item in response["Permissions-Policy"].split(", "))
    assert features["camera"] == "()" and features["microphone"] == "()" and features["payment"] == "()"
    assert features["geolocation"] == "(self)"  # "Near me" (HM12)
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    # the API's answers carry them too
    api = Client().get("/api/v1/openapi.json")
    assert "Permissions-Policy" in api and "Content-Security-Policy" in api


# --- The production profile ---------------------------------------------------


def test_pl06_check_deploy_is_clean_at_warning_level_in_production():
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=production_env(**REAL_RAILS))
    assert result.returncode == 0, result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_pl06_production_sends_hsts_secure_cookies_and_the_stripe_form_action():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])"
    )
    env = {**production_env(**REAL_RAILS), "DJANGO_SETTINGS_MODULE": "microwork.settings"}
    result = run_python("-c", code, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:4] == ["31536000", "True", "True", "True"]
    assert "https://checkout.stripe.com" in result.stdout
    # behind a proxy that redirects to HTTPS itself, the redirect can be left to it
    env["SECURE_SSL_REDIRECT"] = "false"
    result = run_python("-c", code, env=env, timeout=60)
    assert result.stdout.split()[3] == "False"


# --- Templates ----------------------------------------------------------------

TEMPLATES = BASE_DIR / "microwork"
INLINE = {
    "an inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")[^>]*>", re.I),
    "a style block": re.compile(r"<style\b", re.I),
    "a style attribute": re.compile(r"\sstyle=", re.I),
    "an event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


def test_pl06_templates_hold_no_inline_script_or_style():
    """What the policy would block in a browser, found in the source: every
    template of the platform (the browser test visits only the main pages)."""
    found = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in sorted(TEMPLATES.rglob("templates/**/*.html"))
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert found == []
