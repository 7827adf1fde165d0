"""Every error is problem+json, and bad input is a 4xx that changes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from microwork.accounts.models import ApiToken, User, VerificationDocument
from microwork.api.tests.helpers import assert_problem, error_fields
from microwork.core.models import IdempotencyRecord
from microwork.ledger.models import Entry, Posting, Topup
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.testing import api_as

pytestmark = pytest.mark.django_db


def _books() -> tuple[int, int, int]:
    return Topup.objects.count(), Entry.objects.count(), Posting.objects.count()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("{not json", "body"),
        ('{"amount_cents": 5000', "body"),
        ("", None),
        ("[]", "amount_cents"),
        ('"5000"', "amount_cents"),
        ("null", None),
        ("{}", "amount_cents"),
        ('{"amount_cents": "abc"}', "amount_cents"),
        ('{"amount_cents": "50 euros"}', "amount_cents"),
        ('{"amount_cents": 10.5}', "amount_cents"),
        ('{"amount_cents": [5000]}', "amount_cents"),
        ('{"amount_cents": {"value": 5000}}', "amount_cents"),
        ('{"amount_cents": null}', "amount_cents"),
        ('{"amount_cents": 1000000000000000000000000000000}', "amount_cents"),
        ('{"amount_cents": -1000000000000000000000000000000}', "amount_cents"),
        ('{"amount_cents": 1e30}', "amount_cents"),
        ('{"amount_cents": 0}', "amount_cents"),
        ('{"amount_cents": -5000}', "amount_cents"),
        ('{"amount_cents": -1}', "amount_cents"),
        ('{"amount_cents": 100000001}', "amount_cents"),
    ],
)
def test_bad_topup_input_is_422_and_moves_no_money(acme, raw, field):
    # given acme with its balance
    api = api_as(acme)
    before_books, before_balance = _books(), wallet_balance(acme)
    # when it posts a broken top-up
    response = api.post("/me/topups", raw=raw)
    # then the input is refused as a problem, never a server error
    problem = assert_problem(response, 422, "invalid")
    if field:
        assert field in error_fields(problem)
    # and no money moved
    assert _books() == before_books
    assert wallet_balance(acme) == before_balance
    assert ledger_audit() == []


@pytest.mark.parametrize("raw", ['{"amount_cents": true}', '{"amount_cents": "5000"}'])
def test_money_amount_must_be_a_json_integer(acme, raw):
    api = api_as(acme)
    before = _books()
    assert_problem(api.post("/me/topups", raw=raw), 422, "invalid")
    assert _books() == before


def test_oversized_json_body_is_422_not_500(acme, settings):
    # given a body larger than Django accepts in memory
    api = api_as(acme)
    raw = '{"amount_cents": 5000, "padding": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'
    before = _books()
    # when it is posted, with and without an Idempotency-Key
    # then it is refused as input, and nothing changes
    assert_problem(api.post("/me/topups", raw=raw), 422, "invalid")
    assert_problem(api.post("/me/topups", raw=raw, key="big-1"), 422, "invalid")
    assert _books() == before
    assert not IdempotencyRecord.objects.exists()


def test_unknown_fields_are_ignored_not_fatal(acme):
    response = api_as(acme).post("/me/topups", {"amount_cents": 700, "currency": "USD", "extra": [1, 2]})
    assert response.status_code == 201
    assert response.json()["amount_cents"] == 700


@pytest.mark.parametrize(
    "path", ["/me/topups/abc", "/me/topups/0", "/me/topups/-1", "/me/topups/99999999999999999999", "/me/topups/1.5"]
)
def test_unknown_topup_ids_are_404(acme, path):
    assert_problem(api_as(acme).get(path), 404, "not_found")


def test_another_users_topup_is_404(acme, alice):
    # given acme's top-up
    topup = Topup.objects.filter(user=acme).get()
    # when alice asks for it
    response = api_as(alice).get(f"/me/topups/{topup.pk}")
    # then it does not exist for her
    assert_problem(response, 404, "not_found")
    assert api_as(acme).get(f"/me/topups/{topup.pk}").status_code == 200


def test_unknown_api_path_is_a_problem_404(alice):
    api = api_as(alice)
    assert_problem(api.get("/no/such/path"), 404, "not_found")
    assert_problem(api.post("/no/such/path", {}), 404, "not_found")


def test_server_error_is_a_problem_500_and_moves_no_money(acme, monkeypatch):
    # given the ledger breaks in the middle of a top-up, after the provider's answer
    from microwork.ledger import payments

    def boom(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(payments, "transfer", boom)
    api = api_as(acme)
    topups, entries, postings = _books()
    # when acme tops up with an Idempotency-Key
    response = api.post("/me/topups", {"amount_cents": 500}, key="boom-1")
    # then a 500 problem comes back, which tells nothing of the cause
    body = assert_problem(response, 500, "server_error")
    assert "disk" not in response.content.decode()
    assert body["status"] == 500
    # and no money moved: the top-up, on record before the provider was asked,
    # waits for the provider's confirmation; the key was let go, so a retry runs afresh
    assert _books() == (topups + 1, entries, postings)
    assert Topup.objects.latest("pk").state == "pending"
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    retry = api.post("/me/topups", {"amount_cents": 500}, key="boom-1")
    assert retry.status_code == 201
    assert retry.json()["state"] == "succeeded"


def test_validation_problem_names_each_bad_field(anon):
    response = anon.post("/accounts", {"role": "pirate", "email": 3, "accept_terms": "maybe"})
    problem = assert_problem(response, 422, "invalid")
    assert {"role", "email", "password", "display_name"} <= error_fields(problem)
    assert not User.objects.exists()


def test_application_problem_keeps_its_code_and_field(anon):
    response = anon.post(
        "/accounts",
        {
            "role": "company",
            "email": "co@example.fr",
            "password": "tangerine-wombat-1987",
            "display_name": "Co",
            "siret": "12345678901234",
            "accept_terms": True,
        },
    )
    problem = assert_problem(response, 422, "invalid_siret")
    assert problem["errors"] == [{"field": "siret", "message": problem["detail"]}]


def test_conflict_is_a_409_problem(anon, alice):
    response = anon.post(
        "/accounts",
        {
            "role": "tasker",
            "email": "alice@example.fr",
            "password": "tangerine-wombat-1987",
            "display_name": "Alice again",
            "phone": "0611111111",
            "accept_terms": True,
        },
    )
    assert_problem(response, 409, "email_taken")
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize("key", [None, "no-boundary"])
@pytest.mark.parametrize(
    ("persona", "path"),
    [("emma", "/me/documents"), ("acme", "/missions/batch"), ("alice", "/claims/1/report/files")],
)
def test_multipart_without_a_boundary_is_422_not_500(request, persona, path, key):
    # given a signed-in user
    api = api_as(request.getfixturevalue(persona))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api.token}"}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    # when an upload says multipart but names no boundary
    response = api.client.post(f"/api/v1{path}", b"garbage", content_type="multipart/form-data", **headers)
    # then the body is refused as input, never a server error
    assert "body" in error_fields(assert_problem(response, 422, "invalid"))
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", [None, "many-files"])
def test_upload_with_too_many_files_is_422_not_500(emma, settings, key):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    api = api_as(emma)
    files = {f"file{n}": SimpleUploadedFile(f"k{n}.pdf", b"%PDF-1.4\n") for n in range(3)}
    response = api.upload("/me/documents", {"kind": "kbis", **files}, key=key)
    assert "body" in error_fields(assert_problem(response, 422, "invalid"))
    assert not VerificationDocument.objects.exists()


def test_query_with_too_many_parameters_is_422_not_500(alice, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    response = api_as(alice).get("/missions", x=["1", "2", "3", "4"])
    assert "body" in error_fields(assert_problem(response, 422, "invalid"))
