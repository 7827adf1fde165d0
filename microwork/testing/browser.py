"""The browser tests' helpers: languages, screenshots and sign-in."""

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from microwork.accounts.models import User
from microwork.testing.clients import signed_in

#: The languages the pages speak; browser tests of the phone pages run in each (MW01).
LANGUAGES = ("fr", "en")


def words(language: str) -> Callable[[str], str]:
    """The site's words in `language`, from its own catalogue: a browser test
    finds "Log in" or "Connexion" by the one English text the code uses."""

    def say(text: str) -> str:
        with translation.override(language):
            return translation.gettext(text)

    return say


def browser_speaks(page: Any, base_url: str, language: str) -> Any:
    """The browser chooses `language`, as the language switch does (its cookie)."""
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}])
    return page


#: Where the browser tests leave a phone-size screenshot of each page they
#: pass through, when asked (`make shots`, or SHOTS=<folder>); a plain test
#: run takes none, as they cost a tenth of the browser tests' time.
SHOTS = os.environ.get("SHOTS", "")


def shot(page: Any, name: str) -> None:
    """A full-page screenshot of what the phone shows, when SHOTS names a folder."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def phone_shot(page: Any, name: str, language: str) -> None:
    """`shot`, named by page and language."""
    shot(page, f"{name}-{language}")


def browser_login(page: Any, base_url: str, email: str) -> None:
    """Sign the browser in as `email` and open the dashboard, in the language
    the page speaks: the session of a sign-in (staff past their second factor
    too, PL06) handed to the browser as its cookie. The sign-in pages
    themselves are driven through in their own browser tests (test_browser.py,
    test_pl06_second_factor.py); here they would cost every journey a second."""
    from playwright.sync_api import expect

    user = User.objects.get(email=email)
    session = signed_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])
    page.goto(f"{base_url}{reverse('web:dashboard')}")
    say = words(page.locator("html").get_attribute("lang") or settings.LANGUAGE_CODE)
    hello = say("Hello, %(name)s").split("%")[0]
    expect(page.get_by_role("heading", name=re.compile("^" + re.escape(hello)))).to_be_visible()
