"""A customer's billing details (PL02) and a seller's tax details for DAC7
(PL03)."""

from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import nif as fr_nif
from stdnum.fr import siret as fr_siret

from microwork.accounts.models import User
from microwork.accounts.roles import require_role
from microwork.core.errors import Forbidden, InvalidInput
from microwork.notifications.services import notify

from .. import statements
from ..models import (
    BillingProfile,
    SellerTaxDetails,
    TaxDetailsRequest,
)


class InvalidVatNumber(InvalidInput):
    code = "invalid_vat_number"


class InvalidSiret(InvalidInput):
    code = "invalid_siret"


class InvalidTin(InvalidInput):
    code = "invalid_tin"


# --- Billing details ---------------------------------------------------------


def _address_clean(
    *, address_line1: str, address_line2: str, postcode: str, city: str, country: str, **required: str
) -> dict[str, str]:
    """A postal address stripped, cut to its columns' sizes, each required part
    present (`required` adds more, as `billing_name`) and the country a
    two-letter code."""
    address = {
        **{field: value.strip() for field, value in required.items()},
        "address_line1": address_line1.strip(),
        "address_line2": address_line2.strip(),
        "postcode": postcode.strip(),
        "city": city.strip(),
    }
    for field in (*required, "address_line1", "postcode", "city"):
        if not address[field]:
            raise InvalidInput(_("This field is required."), field=field)
    country = (country or "FR").strip().upper()
    if len(country) != 2 or not country.isalpha() or not country.isascii():
        raise InvalidInput(_("Give the country as its two-letter code (FR)."), field="country")
    sizes = {"billing_name": 200, "address_line1": 200, "address_line2": 200, "postcode": 16, "city": 100}
    return {**{field: value[: sizes[field]] for field, value in address.items()}, "country": country}


def vat_number_normalise(raw: str) -> str:
    """An intra-community VAT number, compact, its format and key checked."""
    if not (raw or "").strip():
        return ""
    try:
        number = eu_vat.compact(raw)
    except StdnumError:
        number = "?"
    if not eu_vat.is_valid(number):
        raise InvalidVatNumber(_("This VAT number is not valid."), field="vat_number")
    return number


def billing_profile_save(
    *,
    user: User,
    billing_name: str,
    address_line1: str,
    postcode: str,
    city: str,
    address_line2: str = "",
    country: str = "FR",
    vat_number: str = "",
    siret: str = "",
) -> BillingProfile:
    """The name and address the user's invoices are made out to (issue 13, item 5)."""
    if user.is_staff_member:
        raise Forbidden(_("Staff accounts are not invoiced."))
    address = _address_clean(
        billing_name=billing_name,
        address_line1=address_line1,
        address_line2=address_line2,
        postcode=postcode,
        city=city,
        country=country,
    )
    country = address["country"]
    number = vat_number_normalise(vat_number)
    if number and number[:2] not in {country, "EL" if country == "GR" else country}:
        raise InvalidVatNumber(_("This VAT number is not from the country of the address."), field="vat_number")
    siret_compact = fr_siret.compact(siret or "")
    if siret_compact and not fr_siret.is_valid(siret_compact):
        raise InvalidSiret(_("This SIRET number is not valid."), field="siret")
    profile, _created = BillingProfile.objects.update_or_create(
        user=user,
        defaults={**address, "vat_number": number, "siret": siret_compact},
    )
    return profile


def billing_profile_erase(*, user: User) -> None:
    """A closed account's billing details go; its issued invoices keep the copy they were made with."""
    BillingProfile.objects.filter(user=user).delete()


# --- DAC7: the seller's tax details (PL03) ----------------------------------------

#: A seller is at least this old (the platform's terms), and born after 1900.
MIN_SELLER_AGE = 16


def tin_normalise(raw: str, *, country: str) -> str:
    """A tax identification number: a French resident's NIF has 13 digits and
    a check key (python-stdnum); another country's TIN is kept as given, compact."""
    compact = "".join(ch for ch in (raw or "") if ch.isascii() and ch.isalnum()).upper()
    if country == "FR":
        if not fr_nif.is_valid(compact):
            raise InvalidTin(_("This tax number (NIF) is not valid: 13 digits, as on your tax notice."), field="tin")
        return compact
    if not 5 <= len(compact) <= 20:
        raise InvalidTin(_("Give the tax identification number of your country of residence."), field="tin")
    return compact


def tax_details_save(
    *,
    user: User,
    tin: str,
    birth_date: date,
    address_line1: str,
    postcode: str,
    city: str,
    address_line2: str = "",
    country: str = "FR",
) -> SellerTaxDetails:
    """A seller's tax identification number, date of birth and address of
    residence, which DAC7 reports once they reach its threshold (PL03)."""
    require_role(user, "tasker", "expert", message=_("Only taskers and experts give tax details."))
    address = _address_clean(
        address_line1=address_line1, address_line2=address_line2, postcode=postcode, city=city, country=country
    )
    today = timezone.localdate()
    latest = today.replace(year=today.year - MIN_SELLER_AGE, day=28 if today.month == 2 else today.day)
    if not date(1900, 1, 1) <= birth_date <= latest:
        raise InvalidInput(_("Give your real date of birth."), field="birth_date")
    details, _created = SellerTaxDetails.objects.update_or_create(
        user=user,
        defaults={**address, "tin": tin_normalise(tin, country=address["country"]), "birth_date": birth_date},
    )
    return details


def tax_details_ask_due(now: Any = None) -> int:
    """Tell each seller who reached DAC7's threshold this year, once a year,
    that their tax details are needed (PL03). Returns how many were told."""
    now = now or timezone.now()
    year = timezone.localdate(now).year
    unasked = set(
        User.objects.filter(pk__in=statements.dac7_candidates(year), tax_details__isnull=True)
        .exclude(pk__in=TaxDetailsRequest.objects.filter(year=year).values("user_id"))
        .values_list("pk", flat=True)
    )
    # One read of the candidates' sales, then the exact threshold for each.
    records = statements.sellers_year(year, seller_ids=unasked) if unasked else {}
    crossed = sorted(pk for pk, record in records.items() if statements.reaches_dac7(record))
    asked = 0
    for seller in User.objects.filter(pk__in=crossed).order_by("pk"):
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            _request, created = TaxDetailsRequest.objects.get_or_create(
                user=seller, year=year, defaults={"asked_at": now}
            )
            if not created:
                continue
            url = reverse("billing:tax_details")
            notify(
                user=seller,
                kind="tax_details_needed",
                title=lambda: _("Your tax details are needed"),
                body=lambda: (
                    _(
                        "You reached 30 sales or 2,000 EUR on Microwork this year. The EU DAC7 directive "
                        "requires the platform to report you to the tax authority: please give your tax "
                        "identification number, date of birth and address: %(url)s"
                    )
                    % {"url": settings.SITE_URL + url}  # noqa: B023 - notify calls it at once
                ),
                url=url,
                email=True,
            )
            asked += 1
    return asked
