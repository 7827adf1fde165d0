"""POST /api/v1/accounts for taskers, companies and experts (HM01, HM02, HM03, AC01)."""

from typing import Any

import pytest

from microwork.accounts.models import Organisation, PhoneCode, User
from microwork.api.tests.helpers import assert_problem, error_fields, last_sms_code
from microwork.notifications import sms
from microwork.testing import make_tasker

PASSWORD = "tangerine-wombat-1987"
pytestmark = pytest.mark.django_db

SIRETS = ["73282932000074", "55208131766522", "35600000000048"]


def body(role: str = "tasker", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "role": role,
        "email": f"new-{role}@example.fr",
        "password": PASSWORD,
        "display_name": f"New {role}",
        "accept_terms": True,
    }
    if role == "tasker":
        data["phone"] = "06 11 22 33 44"
    if role == "company":
        data["siret"] = SIRETS[2]
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_hm01_tasker_signs_up_with_phone_and_gets_one_sms_code(anon, django_capture_on_commit_callbacks):
    # given nobody
    # when a tasker signs up with a nationally written mobile number
    with django_capture_on_commit_callbacks(execute=True):
        response = anon.post("/accounts", body("tasker", email="Zoe@Example.FR"))
    # then the account exists, the number is stored in E.164 and not yet verified
    assert response.status_code == 201, response.content
    account = response.json()
    assert account["role"] == "tasker"
    assert account["email"] == "zoe@example.fr"
    assert account["display_name"] == "New tasker"
    assert account["phone"] == "+33611223344"
    assert account["phone_verified"] is False
    assert account["siret"] is None
    assert account["expert_verified"] is None
    assert account["terms_version"] and account["terms_accepted_at"]
    assert isinstance(account["id"], str) and account["id"]
    assert "password" not in account
    # and one SMS went to that number holding exactly one run of 6 digits
    assert len(sms.outbox) == 1
    assert sms.outbox[0].to == "+33611223344"
    code = last_sms_code("+33611223344")
    # whose hash (never the code) is stored
    stored = PhoneCode.objects.get(user_id=int(account["id"]))
    assert stored.code_hash == PhoneCode.hash(code)
    assert code not in stored.code_hash


def test_hm01_tasker_password_is_hashed_and_usable(anon):
    # when a tasker signs up
    response = anon.post("/accounts", body("tasker"))
    # then the password is stored hashed and opens a token
    assert response.status_code == 201
    user = User.objects.get(email="new-tasker@example.fr")
    assert user.password != PASSWORD and user.check_password(PASSWORD)
    token = anon.post("/tokens", {"email": "new-tasker@example.fr", "password": PASSWORD})
    assert token.status_code == 201


def test_hm03_company_signs_up_with_valid_siret(anon):
    # when a company signs up with a SIRET written with spaces
    response = anon.post("/accounts", body("company", siret="732 829 320 00074", legal_name="Acme SAS"))
    # then the account holds the compact SIRET; no phone is needed and no SMS sent
    assert response.status_code == 201, response.content
    account = response.json()
    assert account["role"] == "company"
    assert account["siret"] == "73282932000074"
    assert account["phone"] is None
    assert Organisation.objects.get(user_id=int(account["id"])).legal_name == "Acme SAS"
    assert sms.outbox == []


def test_expert_signs_up_and_is_not_yet_verified(anon):
    # when an expert signs up
    response = anon.post("/accounts", body("expert", siret=SIRETS[1]))
    # then the expert exists, not verified for selling
    assert response.status_code == 201, response.content
    account = response.json()
    assert account["role"] == "expert"
    assert account["siret"] == SIRETS[1]
    assert account["expert_verified"] is False


@pytest.mark.parametrize("siret", SIRETS)
def test_hm03_each_valid_siret_is_accepted(anon, siret):
    response = anon.post("/accounts", body("company", siret=siret))
    assert response.status_code == 201, response.content
    assert response.json()["siret"] == siret


def test_hm01_tasker_without_phone_is_refused(anon):
    response = anon.post("/accounts", body("tasker", phone=None))
    problem = assert_problem(response, 422, "invalid")
    assert error_fields(problem) == {"phone"}
    assert not User.objects.exists()


@pytest.mark.parametrize("phone", ["", "12", "01 23 45 67 89", "not a phone", "+33 6 12"])
def test_hm01_tasker_with_bad_or_landline_phone_is_refused(anon, phone):
    response = anon.post("/accounts", body("tasker", phone=phone))
    problem = assert_problem(response, 422, "invalid")
    assert error_fields(problem) == {"phone"}
    assert not User.objects.exists()


@pytest.mark.parametrize("siret", [None, "", "73282932000075", "7328293200007", "ABCDEFGHIJKLMN", "00000000000000x"])
def test_hm03_company_without_valid_siret_is_refused(anon, siret):
    response = anon.post("/accounts", body("company", siret=siret))
    problem = assert_problem(response, 422, "invalid_siret")
    assert error_fields(problem) == {"siret"}
    assert not User.objects.exists()
    assert not Organisation.objects.exists()


def test_email_taken_whatever_the_case(anon, alice):
    # given alice@example.fr exists
    # when someone signs up with the same address in capitals
    response = anon.post("/accounts", body("company", email="ALICE@Example.fr"))
    # then it is refused as a conflict
    problem = assert_problem(response, 409, "email_taken")
    assert "email" in error_fields(problem)
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "spelling", ["06 12 34 56 78", "+33612345678", "+33 6 12 34 56 78", "0612345678", "06.12.34.56.78"]
)
def test_hm02_phone_taken_when_verified_elsewhere_whatever_the_spelling(anon, alice, spelling):
    # given alice verified +33612345678
    assert alice.phone == "+33612345678" and alice.phone_verified
    # when a new tasker signs up with that number, written any way
    response = anon.post("/accounts", body("tasker", phone=spelling))
    # then it is refused and nothing is created
    problem = assert_problem(response, 409, "phone_taken")
    assert "phone" in error_fields(problem)
    assert User.objects.count() == 1
    assert sms.outbox == []


def test_hm02_unverified_number_elsewhere_does_not_block_signup(anon, charlie):
    # given charlie holds +33611223344 but never verified it
    # when another tasker signs up with it
    response = anon.post("/accounts", body("tasker", phone="06 11 22 33 44"))
    # then the signup goes through (the number backs nobody yet)
    assert response.status_code == 201, response.content
    assert User.objects.filter(phone="+33611223344").count() == 2


@pytest.mark.parametrize("accept", [False, None])
def test_hm01_terms_must_be_accepted(anon, accept):
    response = anon.post("/accounts", body("tasker", accept_terms=accept))
    problem = assert_problem(response, 422, "terms_not_accepted")
    assert error_fields(problem) == {"accept_terms"}
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "password",
    [
        "short1!",  # under 8 characters
        "password",  # common
        "azertyuiop",  # common
        "8463920175",  # only digits
        "",
    ],
)
def test_ac01_weak_password_is_refused(anon, password):
    response = anon.post("/accounts", body("tasker", password=password))
    problem = assert_problem(response, 422, "weak_password")
    assert error_fields(problem) == {"password"}
    assert not User.objects.exists()


def test_ac01_password_like_the_email_is_refused(anon):
    response = anon.post("/accounts", body("company", email="gaspard.dupont@example.fr", password="gaspard.dupont"))
    assert_problem(response, 422, "weak_password")
    assert not User.objects.exists()


@pytest.mark.parametrize("role", ["staff", "admin", "", None, 1])
def test_staff_or_unknown_role_cannot_sign_up(anon, role):
    response = anon.post("/accounts", {**body("tasker"), "role": role})
    problem = assert_problem(response, 422, "invalid")
    assert "role" in error_fields(problem)
    assert not User.objects.exists()


@pytest.mark.parametrize("field", ["email", "password", "display_name", "role"])
def test_missing_field_is_refused(anon, field):
    data = body("tasker")
    del data[field]
    problem = assert_problem(anon.post("/accounts", data), 422, "invalid")
    assert field in error_fields(problem)
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.fr", "two@@example.fr", "  "])
def test_malformed_email_is_refused(anon, email):
    problem = assert_problem(anon.post("/accounts", body("company", email=email)), 422, "invalid")
    assert "email" in error_fields(problem)
    assert not User.objects.exists()


def test_blank_display_name_is_refused(anon):
    problem = assert_problem(anon.post("/accounts", body("company", display_name="   ")), 422, "invalid")
    assert "display_name" in error_fields(problem)
    assert not User.objects.exists()


def test_signup_needs_no_token_and_ignores_one(anon, alice):
    # a garbage bearer token on the public signup does not stand in the way
    anon.token = "garbage"
    response = anon.post("/accounts", body("company"))
    assert response.status_code == 201, response.content


def test_second_tasker_with_unverified_number_gets_code_too(anon, django_capture_on_commit_callbacks):
    # given a tasker signed up with a number
    make_tasker("first@example.fr", "+33611223344", verified=False)
    # when a second one signs up with it
    with django_capture_on_commit_callbacks(execute=True):
        response = anon.post("/accounts", body("tasker", phone="+33611223344"))
    # then the second gets a code too
    assert response.status_code == 201
    assert [m.to for m in sms.outbox] == ["+33611223344"]


@pytest.mark.parametrize(
    ("role", "field"),
    [
        ("tasker", "email"),
        ("tasker", "display_name"),
        ("tasker", "phone"),
        ("company", "siret"),
        ("company", "legal_name"),
    ],
)
def test_nul_characters_are_refused_not_a_server_error(anon, role, field):
    # given a signup whose text carries a NUL character, which PostgreSQL cannot store
    value = {"email": "n\x00ul@example.fr", "phone": "06 11 22\x0033 44", "siret": SIRETS[2] + "\x00"}.get(
        field, "Nul\x00"
    )
    # when it is posted
    response = anon.post("/accounts", body(role, **{field: value}))
    # then it is refused as input naming the field, and no account exists
    assert field in error_fields(assert_problem(response, 422, "invalid"))
    assert not User.objects.filter(email__startswith="n").exists()
    assert not User.objects.filter(display_name__contains="Nul").exists()


def test_nul_in_a_sign_in_email_is_refused_not_a_server_error(anon):
    response = anon.post("/tokens", {"email": "alice\x00@example.fr", "password": PASSWORD})
    assert "email" in error_fields(assert_problem(response, 422, "invalid"))


def test_hm01_api_signup_lists_every_field_error(anon):
    # given several bad fields in one request
    response = anon.post(
        "/accounts", body("tasker", email="not-an-email", password="abc", phone="01 23 45 67 89", accept_terms=False)
    )
    # then the first refusal answers (as before), and `errors` names every field
    problem = response.json()
    assert response.status_code == 422 and problem["code"] == "terms_not_accepted"
    assert {error["field"] for error in problem["errors"]} == {"accept_terms", "email", "phone", "password"}
    assert not User.objects.exists()
