"""HM01: a tasker gives an exact French mobile number, metropolitan or
overseas; a landline, a special number or a foreign mobile is refused with a
422 `invalid` on `phone` that says why."""

from typing import Any

import pytest
from django.utils import translation

from microwork.accounts.models import User
from microwork.accounts.services import phone_change, phone_normalise
from microwork.api.tests.helpers import assert_problem, error_fields
from microwork.core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def tasker(phone: str) -> dict[str, Any]:
    return {
        "role": "tasker",
        "email": "zoe@example.fr",
        "password": "tangerine-wombat-1987",
        "display_name": "Zoé",
        "accept_terms": True,
        "phone": phone,
    }


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("06 12 34 56 78", "+33612345678"),  # metropolitan, 06
        ("07 56 78 90 12", "+33756789012"),  # metropolitan, 07
        ("+33 7 56 78 90 12", "+33756789012"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("0690 00 12 34", "+590690001234"),  # Guadeloupe, written nationally
        ("+590 690 00 12 34", "+590690001234"),
        ("+590 691 30 12 34", "+590691301234"),
        ("0696 20 12 34", "+596696201234"),  # Martinique
        ("+596 697 00 12 34", "+596697001234"),
        ("0694 20 12 34", "+594694201234"),  # Guyane
        ("0692 12 34 56", "+262692123456"),  # La Réunion
        ("+262 693 12 34 56", "+262693123456"),
        ("0639 01 23 45", "+262639012345"),  # Mayotte
        ("+508 55 12 34", "+508551234"),  # Saint-Pierre-et-Miquelon
        ("+687 75 12 34", "+687751234"),  # Nouvelle-Calédonie
        ("+689 87 12 34 56", "+68987123456"),  # Polynésie française
        ("+681 82 12 34", "+681821234"),  # Wallis-et-Futuna
    ],
)
def test_hm01_french_mobiles_metropolitan_and_overseas_are_accepted(anon, typed, stored):
    response = anon.post("/accounts", tasker(typed))
    assert response.status_code == 201, response.content
    assert User.objects.get().phone == stored


@pytest.mark.parametrize(
    ("phone", "why"),
    [
        ("01 45 67 89 01", "landline"),  # Paris landline
        ("+590 590 12 34 56", "landline"),  # Guadeloupe landline
        ("08 00 12 34 56", "landline"),  # free number
        ("09 12 34 56 78", "landline"),  # VoIP
        ("+44 7911 123456", "foreign"),  # a British mobile
        ("+32 470 12 34 56", "foreign"),  # a Belgian mobile
        ("+1 202 555 0143", "foreign"),
        ("0044 7911 123456", "foreign"),
        ("06 12", "valid"),
        ("not a phone", "valid"),
    ],
)
def test_hm01_landlines_foreign_and_bad_numbers_are_refused_with_a_clear_message(anon, phone, why):
    response = anon.post("/accounts", tasker(phone))
    problem = assert_problem(response, 422, "invalid")
    assert error_fields(problem) == {"phone"}
    message = next(error["message"] for error in problem["errors"] if error["field"] == "phone")
    expected = {
        "landline": "un fixe ou un numéro spécial ne peut pas recevoir le code par SMS",
        "foreign": "les numéros étrangers ne sont pas acceptés",
        "valid": "Saisissez un numéro de mobile valide.",
    }[why]
    assert expected in message
    assert not User.objects.exists()


def test_hm01_a_foreign_mobile_is_refused_when_changing_the_number(charlie):
    # given a tasker whose number is not verified yet
    # when she changes it to a foreign mobile, then a French one from Martinique
    with pytest.raises(InvalidInput) as refused:
        phone_change(user=charlie, phone="+44 7911 123456")
    assert refused.value.field == "phone"
    charlie.refresh_from_db()
    assert charlie.phone == "+33611223344"
    phone_change(user=charlie, phone="0696 20 12 34")
    charlie.refresh_from_db()
    assert charlie.phone == "+596696201234"


def test_hm01_the_rule_is_one_function():
    assert phone_normalise("06 12 34 56 78") == "+33612345678"
    with translation.override("en"), pytest.raises(InvalidInput, match="foreign"):
        phone_normalise("+49 151 23456789")
