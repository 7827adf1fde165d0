"""The "Close my account" page (AC02)."""

import pytest
from django.test import Client

from microwork import testing
from microwork.accounts.models import ClosureRequest, ClosureState
from microwork.gigs import services as gigs
from microwork.testing import make_offer

pytestmark = pytest.mark.django_db


def test_ac02_dashboard_links_the_closure_page(alice):
    browser = testing.signed_in(Client(), alice)
    assert 'href="/tableau-de-bord/fermer-mon-compte/"' in browser.get("/tableau-de-bord/").content.decode()


def test_ac02_page_asks_confirms_and_cancels(alice):
    browser = testing.english(testing.signed_in(Client(), alice))
    page = browser.get("/tableau-de-bord/fermer-mon-compte/")
    assert page.status_code == 200 and "two working days" in page.content.decode()
    # without the box ticked nothing is asked
    assert browser.post("/tableau-de-bord/fermer-mon-compte/", {}).status_code == 400
    assert not ClosureRequest.objects.exists()
    # with it, the closure is requested and its date shown
    done = browser.post("/tableau-de-bord/fermer-mon-compte/", {"confirm": "on"})
    assert done.status_code == 302
    closure = ClosureRequest.objects.get(user=alice)
    assert closure.state == ClosureState.REQUESTED
    page = browser.get("/tableau-de-bord/fermer-mon-compte/").content.decode()
    assert "Closure requested" in page and "Cancel the closure" in page
    # and cancelling keeps the account open
    browser.post("/tableau-de-bord/fermer-mon-compte/annuler/")
    closure.refresh_from_db()
    assert closure.state == ClosureState.CANCELLED


def test_ac02_page_says_what_blocks_the_closure(acme):
    expert = testing.make_verified_expert("vera@example.fr", display_name="Vera")
    gigs.order_place(offer=make_offer(expert, price_cents=50_00, extras=[]), buyer=acme)
    browser = testing.english(testing.signed_in(Client(), acme))
    page = browser.get("/tableau-de-bord/fermer-mon-compte/").content.decode()
    assert "You have orders under way" in page
    assert 'name="confirm"' not in page
    response = browser.post("/tableau-de-bord/fermer-mon-compte/", {"confirm": "on"})
    assert response.status_code == 400
    assert not ClosureRequest.objects.exists()
