# French typography: the page titles checked here use the typographic apostrophe (U+2019).
# ruff: noqa: RUF001
"""Legal pages, consent at signup, and acceptance of a new version (AC03)."""

from typing import Any

import pytest
from django.test import Client

from microwork import testing
from microwork.accounts.models import Consent

pytestmark = pytest.mark.django_db

PAGES = {
    "/conditions-utilisation/": "Conditions générales d’utilisation",
    "/conditions-vente/": "Conditions générales de vente",
    "/confidentialite/": "Politique de confidentialité",
    "/mentions-legales/": "Mentions légales",
}


@pytest.mark.parametrize("path", list(PAGES))
def test_ac03_legal_pages_are_public_versioned_and_in_the_footer(path):
    response = Client().get(path)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Microwork SAS" in text
    assert f"<h1>{PAGES[path]}</h1>" in text
    assert 'data-testid="legal-version"' in text
    home = Client().get("/").content.decode()
    assert f'href="{path}"' in home


def test_ac03_signup_page_links_the_documents_to_accept():
    tasker = Client().get("/inscription/tasker/").content.decode()
    assert 'href="/conditions-utilisation/"' in tasker and 'href="/confidentialite/"' in tasker
    company = Client().get("/inscription/entreprise/").content.decode()
    assert 'href="/conditions-vente/"' in company and 'href="/confidentialite/"' in company


def test_ac03_signup_records_a_consent_per_document_of_the_role(anon, settings):
    response = anon.post(
        "/accounts",
        {
            "role": "company",
            "email": "new@example.fr",
            "password": "a-long-enough-secret",
            "display_name": "Nouvelle",
            "siret": testing.ACME_SIRET,
            "accept_terms": True,
        },
    )
    assert response.status_code == 201, response.content
    consents = Consent.objects.filter(user__email="new@example.fr")
    assert {(c.kind, c.version) for c in consents} == {
        ("terms_of_sale", settings.LEGAL_DOCUMENT_VERSIONS["terms_of_sale"][0]),
        ("privacy", settings.LEGAL_DOCUMENT_VERSIONS["privacy"][0]),
    }
    assert all(c.ip == "127.0.0.1" and c.accepted_at for c in consents)


def test_ac03_signup_page_records_consents():
    Client().post(
        "/inscription/tasker/",
        {
            "display_name": "Dora",
            "email": "dora@example.fr",
            "password": "dora-secret-2026",
            "phone": "06 12 34 56 70",
            "accept_terms": "on",
        },
    )
    assert set(Consent.objects.filter(user__email="dora@example.fr").values_list("kind", flat=True)) == {
        "terms_of_use",
        "privacy",
    }


def new_privacy_version(settings: Any) -> str:
    versions = dict(settings.LEGAL_DOCUMENT_VERSIONS)
    versions["privacy"] = ("2027-06", "2027-06-01")
    settings.LEGAL_DOCUMENT_VERSIONS = versions
    return "2027-06"


def test_ac03_a_new_version_is_asked_at_the_next_page_view_not_on_the_api(alice, settings):
    browser = testing.signed_in(Client(), alice)
    assert browser.get("/tableau-de-bord/").status_code == 200
    # given a new privacy policy is published
    version = new_privacy_version(settings)
    # then alice's next page view goes to the acceptance page first
    response = browser.get("/tableau-de-bord/")
    assert response.status_code == 302
    assert response["Location"] == "/conditions/accepter/?next=%2Ftableau-de-bord%2F"
    page = browser.get(response["Location"])
    assert page.status_code == 200 and 'href="/confidentialite/"' in page.content.decode()
    # the document itself and the API stay reachable
    assert browser.get("/confidentialite/").status_code == 200
    assert testing.api_as(alice).get("/me").status_code == 200
    # an acceptance without the box ticked is refused
    assert browser.post("/conditions/accepter/", {"next": "/tableau-de-bord/"}).status_code == 200
    assert not Consent.objects.filter(user=alice, version=version).exists()
    # when she accepts, the consent is recorded and she goes where she was going
    done = browser.post("/conditions/accepter/", {"accept": "on", "next": "/tableau-de-bord/"})
    assert done.status_code == 302 and done["Location"] == "/tableau-de-bord/"
    consent = Consent.objects.get(user=alice, kind="privacy", version=version)
    assert consent.ip == "127.0.0.1"
    assert browser.get("/tableau-de-bord/").status_code == 200
    # and the export shows what she accepted, and when
    exported = testing.api_as(alice).get("/me/export").json()["consents"]
    assert {"document": "privacy", "version": version} in [
        {"document": c["document"], "version": c["version"]} for c in exported
    ]


def test_ac03_acceptance_page_refuses_an_outside_next(alice, settings):
    new_privacy_version(settings)
    browser = testing.signed_in(Client(), alice)
    done = browser.post("/conditions/accepter/", {"accept": "on", "next": "https://evil.example/"})
    assert done["Location"] == "/tableau-de-bord/"


def test_ac03_staff_are_never_asked(staff, settings):
    new_privacy_version(settings)
    assert testing.signed_in(Client(), staff).get("/tableau-de-bord/").status_code == 200
