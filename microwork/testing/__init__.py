"""Named personas, builders and clients for the tests.

acme: a company with a balance; alice and bob: verified taskers; charlie: an
outsider tasker whose phone is not verified; emma: an expert; staff.
It sits above every app so that it may build anything a test needs; a test
reads it as one module (`testing.make_company`, `testing.api_as`), its parts
by subject: `people`, `trade`, `images`, `clients`, `browser`, `production`,
and `shared` (the suite's settings, rows a module's tests share).
"""

from microwork.testing.browser import LANGUAGES, SHOTS, browser_login, browser_speaks, phone_shot, shot, words
from microwork.testing.clients import (
    ApiClient,
    api_as,
    english,
    run_together,
    second_factor_passed,
    signed_in,
    totp_code,
    totp_device,
)
from microwork.testing.images import field_photo, photo_jpeg, png_declaring
from microwork.testing.people import (
    ACME_SIRET,
    EXPERT_SIRET,
    PASSWORD,
    approve_documents,
    approve_expert_profile,
    make_company,
    make_expert,
    make_staff,
    make_tasker,
    make_user,
    make_verified_expert,
    verified_expert,
)
from microwork.testing.production import RAIL_PREFIXES, REAL_RAILS, production_env, run_python
from microwork.testing.shared import module_rows, suite_settings
from microwork.testing.trade import (
    ACCOUNT,
    MISSION,
    OFFER,
    earn,
    make_mission,
    make_offer,
    make_published,
    offer_fields,
)

__all__ = [
    "ACCOUNT",
    "ACME_SIRET",
    "EXPERT_SIRET",
    "LANGUAGES",
    "MISSION",
    "OFFER",
    "PASSWORD",
    "RAIL_PREFIXES",
    "REAL_RAILS",
    "SHOTS",
    "ApiClient",
    "api_as",
    "approve_documents",
    "approve_expert_profile",
    "browser_login",
    "browser_speaks",
    "earn",
    "english",
    "field_photo",
    "make_company",
    "make_expert",
    "make_mission",
    "make_offer",
    "make_published",
    "make_staff",
    "make_tasker",
    "make_user",
    "make_verified_expert",
    "module_rows",
    "offer_fields",
    "phone_shot",
    "photo_jpeg",
    "png_declaring",
    "production_env",
    "run_python",
    "run_together",
    "second_factor_passed",
    "shot",
    "signed_in",
    "suite_settings",
    "totp_code",
    "totp_device",
    "verified_expert",
    "words",
]
