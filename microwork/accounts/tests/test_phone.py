"""Phone verification by SMS code (HM01) and one verified number per account (HM02)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from microwork.accounts.models import PhoneCode, User
from microwork.api.tests.helpers import assert_problem, error_fields, last_sms_code, sms_code
from microwork.notifications import sms
from microwork.testing import api_as, make_tasker

pytestmark = pytest.mark.django_db

SIGNUP = {
    "role": "tasker",
    "password": "tangerine-wombat-1987",
    "display_name": "Newcomer",
    "accept_terms": True,
}


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """POST /me/phone/code with the SMS actually sent (after commit)."""

    def _send(api):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post("/me/phone/code")

    return _send


def test_hm01_code_is_sent_by_sms(charlie, send, clock):
    # given charlie, a tasker with an unverified number
    api = api_as(charlie)
    # when he asks for a code
    response = send(api)
    # then it answers 202 and an SMS with one 6-digit code goes to his number
    assert response.status_code == 202, response.content
    assert response.json()["sent"] is True
    assert len(sms.outbox) == 1 and sms.outbox[0].to == charlie.phone
    code = last_sms_code(charlie.phone)
    assert PhoneCode.objects.get(user=charlie).code_hash == PhoneCode.hash(code)


def test_hm01_resend_is_throttled_for_a_minute(charlie, send, clock):
    # given charlie was just sent a code
    api = api_as(charlie)
    assert send(api).status_code == 202
    # when he asks again 59 seconds later
    clock.shift(timedelta(seconds=59))
    again = send(api)
    # then he is told to wait, and no second SMS leaves
    assert_problem(again, 429, "too_many_requests")
    assert len(sms.outbox) == 1
    # and after the minute a fresh code is sent
    clock.shift(timedelta(seconds=2))
    assert send(api).status_code == 202
    assert len(sms.outbox) == 2
    assert PhoneCode.objects.filter(user=charlie).count() == 2


def test_hm01_at_most_five_codes_an_hour(charlie, send, clock):
    # given charlie asked for five codes, a minute apart
    api = api_as(charlie)
    for _ in range(5):
        assert send(api).status_code == 202
        clock.shift(timedelta(seconds=61))
    # when he asks for a sixth within the hour
    # then it is refused
    assert_problem(send(api), 429, "too_many_requests")
    assert len(sms.outbox) == 5
    # and an hour after the first it works again
    clock.shift(timedelta(minutes=60))
    assert send(api).status_code == 202


def test_hm01_right_code_verifies_the_phone(charlie, send, clock):
    # given charlie received a code
    api = api_as(charlie)
    send(api)
    code = last_sms_code(charlie.phone)
    # when he sends it back
    response = api.post("/me/phone/verify", {"code": code})
    # then his number is verified
    assert response.status_code == 200, response.content
    assert response.json()["phone_verified"] is True
    assert api.get("/me").json()["phone_verified"] is True
    charlie.refresh_from_db()
    assert charlie.phone_verified_at is not None
    # and asking for another code is now a conflict
    assert_problem(send(api), 409, "phone_already_verified")


def test_hm01_verify_accepts_surrounding_spaces(charlie, send, clock):
    api = api_as(charlie)
    send(api)
    response = api.post("/me/phone/verify", {"code": f" {last_sms_code()} "})
    assert response.status_code == 200
    assert response.json()["phone_verified"] is True


def test_hm01_wrong_code_is_refused_and_counted(charlie, send, clock):
    # given charlie received a code
    api = api_as(charlie)
    send(api)
    code = last_sms_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    # when he sends a wrong one
    response = api.post("/me/phone/verify", {"code": wrong})
    # then it is refused, the try is counted, nothing is verified
    problem = assert_problem(response, 422, "code_invalid")
    assert error_fields(problem) == {"code"}
    assert PhoneCode.objects.get(user=charlie).attempts == 1
    charlie.refresh_from_db()
    assert charlie.phone_verified_at is None


def test_hm01_wrong_try_is_counted_also_under_an_idempotency_key(charlie, send, clock):
    api = api_as(charlie)
    send(api)
    code = last_sms_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert_problem(api.post("/me/phone/verify", {"code": wrong}, key="try-1"), 422, "code_invalid")
    assert PhoneCode.objects.get(user=charlie).attempts == 1


def test_hm01_after_five_wrong_tries_even_the_right_code_is_refused(charlie, send, clock):
    # given charlie tried five wrong codes
    api = api_as(charlie)
    send(api)
    code = last_sms_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert_problem(api.post("/me/phone/verify", {"code": wrong}), 422, "code_invalid")
    # when he sends the right one
    response = api.post("/me/phone/verify", {"code": code})
    # then it is refused all the same
    assert_problem(response, 422, "code_invalid")
    charlie.refresh_from_db()
    assert charlie.phone_verified_at is None
    # and a fresh code (after the minute) works
    clock.shift(timedelta(seconds=61))
    send(api)
    assert api.post("/me/phone/verify", {"code": last_sms_code()}).status_code == 200


def test_hm01_four_wrong_tries_leave_the_right_code_usable(charlie, send, clock):
    api = api_as(charlie)
    send(api)
    code = last_sms_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        assert_problem(api.post("/me/phone/verify", {"code": wrong}), 422, "code_invalid")
    assert api.post("/me/phone/verify", {"code": code}).status_code == 200


def test_hm01_code_expires_after_ten_minutes(charlie, send, clock):
    # given charlie received a code
    api = api_as(charlie)
    send(api)
    code = last_sms_code()
    # when he sends it back ten minutes later
    clock.shift(timedelta(minutes=10))
    response = api.post("/me/phone/verify", {"code": code})
    # then it has expired
    assert_problem(response, 422, "code_invalid")
    charlie.refresh_from_db()
    assert charlie.phone_verified_at is None


def test_hm01_code_still_good_just_before_ten_minutes(charlie, send, clock):
    api = api_as(charlie)
    send(api)
    clock.shift(timedelta(minutes=9, seconds=59))
    assert api.post("/me/phone/verify", {"code": last_sms_code()}).status_code == 200


def test_hm01_only_the_latest_code_counts(charlie, send, clock):
    # given charlie was sent two codes
    api = api_as(charlie)
    send(api)
    first = last_sms_code()
    clock.shift(timedelta(seconds=61))
    send(api)
    second = last_sms_code()
    if first == second:
        pytest.skip("the two random codes happen to be equal")
    # when he sends the first one
    # then it is refused; the latest works
    assert_problem(api.post("/me/phone/verify", {"code": first}), 422, "code_invalid")
    assert api.post("/me/phone/verify", {"code": second}).status_code == 200


def test_hm01_verify_without_any_code_sent_is_refused(charlie):
    assert_problem(api_as(charlie).post("/me/phone/verify", {"code": "123456"}), 422, "code_invalid")


@pytest.mark.parametrize("payload", [{}, {"code": 123456}, {"code": "x" * 40}, {"code": None}])
def test_hm01_malformed_verify_body_is_refused(charlie, payload):
    problem = assert_problem(api_as(charlie).post("/me/phone/verify", payload), 422, "invalid")
    assert "code" in error_fields(problem)


def test_hm02_verified_number_backs_one_account_only(anon, send, clock, django_capture_on_commit_callbacks):
    # given two taskers signed up with the same number, written differently, neither verified
    with django_capture_on_commit_callbacks(execute=True):
        first = anon.post("/accounts", {**SIGNUP, "email": "first@example.fr", "phone": "06 55 44 33 22"})
        second = anon.post("/accounts", {**SIGNUP, "email": "second@example.fr", "phone": "+33655443322"})
    assert first.status_code == 201 and second.status_code == 201
    assert len(sms.outbox) == 2
    first_code, second_code = (sms_code(message.body) for message in sms.outbox)
    first_user = User.objects.get(email="first@example.fr")
    second_user = User.objects.get(email="second@example.fr")
    # when the first verifies
    assert api_as(first_user).post("/me/phone/verify", {"code": first_code}).status_code == 200
    # then the second's right code is refused: the number is taken
    response = api_as(second_user).post("/me/phone/verify", {"code": second_code})
    assert_problem(response, 409, "phone_taken")
    second_user.refresh_from_db()
    assert second_user.phone_verified_at is None
    assert User.objects.filter(phone="+33655443322", phone_verified_at__isnull=False).count() == 1


def test_hm02_number_verified_by_alice_cannot_be_verified_by_another(alice, send, clock):
    # given a tasker who signed up with alice's number before she verified it
    latecomer = make_tasker("late@example.fr", alice.phone, verified=False)
    api = api_as(latecomer)
    # when he asks for a code and sends it back
    send(api)
    response = api.post("/me/phone/verify", {"code": last_sms_code()})
    # then the number is taken
    assert_problem(response, 409, "phone_taken")
    latecomer.refresh_from_db()
    assert latecomer.phone_verified_at is None


@pytest.mark.parametrize("persona", ["acme", "emma", "staff"])
def test_hm01_non_taskers_may_not_verify_a_phone(persona, request):
    api = api_as(request.getfixturevalue(persona))
    assert_problem(api.post("/me/phone/code"), 403, "forbidden")
    assert_problem(api.post("/me/phone/verify", {"code": "123456"}), 403, "forbidden")
    assert sms.outbox == []


def test_hm01_phone_endpoints_need_a_token(anon):
    assert_problem(anon.post("/me/phone/code"), 401, "unauthenticated")
    assert_problem(anon.post("/me/phone/verify", {"code": "123456"}), 401, "unauthenticated")
