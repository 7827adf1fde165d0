"""Expert verification documents (AM13): upload, staff review, expiry."""

import io
from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, get_commands
from django.utils import timezone
from PIL import Image

from microwork.accounts.models import ISSUE_DATE_REQUIRED, REQUIRED_DOCUMENTS, DocumentState, VerificationDocument
from microwork.api.tests.helpers import assert_problem, error_fields
from microwork.testing import api_as, approve_expert_profile, make_expert

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def pdf(name: str = "doc.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def upload(api, kind: str, file=None, **extra):
    if kind in ISSUE_DATE_REQUIRED:
        # The attestations and the insurance bear their date, stated on upload (AM13).
        extra.setdefault("issued_on", timezone.localdate().isoformat())
    return api.upload("/me/documents", {"kind": kind, "file": file or pdf(), **extra})


def approve(staff_api, document_id: str, **body):
    return staff_api.post(f"/staff/documents/{document_id}/approve", body)


def verify_fully(expert_api, staff_api) -> dict[str, str]:
    """Upload and approve every required document; returns kind -> id."""
    ids = {}
    for kind in REQUIRED_DOCUMENTS:
        response = upload(expert_api, kind)
        assert response.status_code == 201, response.content
        ids[kind] = response.json()["id"]
        assert approve(staff_api, ids[kind]).status_code == 200
    return ids


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("kbis.pdf", PDF, "application/pdf"),
        ("kbis.jpg", image_bytes("JPEG"), "image/jpeg"),
        ("kbis.png", image_bytes("PNG"), "image/png"),
        ("scan-without-extension", image_bytes("PNG"), "image/png"),
    ],
)
def test_am13_expert_uploads_pdf_jpeg_or_png(emma, name, content, content_type):
    # given emma, an expert
    api = api_as(emma)
    # when she uploads her Kbis
    response = upload(api, "kbis", SimpleUploadedFile(name, content))
    # then it is stored pending, with its sniffed type
    assert response.status_code == 201, response.content
    document = response.json()
    assert document["kind"] == "kbis"
    assert document["state"] == "pending"
    assert document["content_type"] == content_type
    assert document["valid_until"] is None
    # and it is listed with its state
    listed = api.get("/me/documents").json()["items"]
    assert [(d["id"], d["state"]) for d in listed] == [(document["id"], "pending")]
    assert api.get(f"/me/documents/{document['id']}").json()["state"] == "pending"
    assert emma.api_tokens.exists()
    assert VerificationDocument.objects.get(pk=int(document["id"])).file.read() == content


def test_am13_expert_states_an_expiry_on_upload(emma):
    until = timezone.localdate() + timedelta(days=90)
    response = upload(api_as(emma), "vigilance", valid_until=until.isoformat())
    assert response.status_code == 201
    assert response.json()["stated_valid_until"] == until.isoformat()


def test_am13_expiry_in_the_past_is_refused(emma):
    response = upload(api_as(emma), "vigilance", valid_until="2001-01-01")
    problem = assert_problem(response, 422, "invalid")
    assert "valid_until" in error_fields(problem)
    assert not VerificationDocument.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("attestation.pdf", b"this is not a pdf at all, only text" * 10),  # a .pdf name, garbage inside
        ("photo.png", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200),  # an .exe renamed
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),  # a PNG header, broken body
        ("photo.gif", b"GIF89a" + b"\x00" * 100),
        ("page.html", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_am13_disguised_upload_is_refused(emma, name, content):
    response = upload(api_as(emma), "kbis", SimpleUploadedFile(name, content, content_type="application/pdf"))
    problem = assert_problem(response, 422, "invalid")
    assert "file" in error_fields(problem)
    assert not VerificationDocument.objects.exists()


def test_am13_gif_image_is_refused(emma):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    response = upload(api_as(emma), "kbis", SimpleUploadedFile("a.gif", buffer.getvalue()))
    assert_problem(response, 422, "invalid")


def test_am13_empty_file_is_refused(emma):
    response = upload(api_as(emma), "kbis", SimpleUploadedFile("empty.pdf", b""))
    problem = assert_problem(response, 422, "invalid")
    assert "file" in error_fields(problem)
    assert not VerificationDocument.objects.exists()


@pytest.mark.parametrize("key", [None, "big-upload"])
def test_am13_file_over_10_mb_is_refused(emma, key):
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = api_as(emma).upload(
        "/me/documents", {"kind": "kbis", "file": SimpleUploadedFile("big.pdf", big)}, key=key
    )
    problem = assert_problem(response, 422, "invalid")
    assert "file" in error_fields(problem)
    assert not VerificationDocument.objects.exists()


def test_am13_file_of_exactly_10_mb_is_accepted(emma):
    content = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))
    response = upload(api_as(emma), "kbis", SimpleUploadedFile("edge.pdf", content))
    assert response.status_code == 201, response.content


def test_am13_body_over_the_request_limit_is_refused_with_a_key(emma, settings):
    # a file larger than the whole request limit, sent with an Idempotency-Key
    big = PDF + b"0" * (settings.MAX_REQUEST_BODY_BYTES + 1)
    response = api_as(emma).upload(
        "/me/documents", {"kind": "kbis", "file": SimpleUploadedFile("huge.pdf", big)}, key="huge"
    )
    assert_problem(response, 413, "request_too_large")
    assert not VerificationDocument.objects.exists()


@pytest.mark.parametrize("kind", ["passport", "", "KBIS", "kbis "])
def test_am13_unknown_kind_is_refused(emma, kind):
    problem = assert_problem(upload(api_as(emma), kind), 422, "invalid")
    assert "kind" in error_fields(problem)
    assert not VerificationDocument.objects.exists()


@pytest.mark.parametrize("missing", ["kind", "file"])
def test_am13_missing_field_is_refused(emma, missing):
    data = {"kind": "kbis", "file": pdf()}
    del data[missing]
    problem = assert_problem(api_as(emma).upload("/me/documents", data), 422, "invalid")
    assert missing in error_fields(problem)


def test_am13_bad_valid_until_is_refused(emma):
    problem = assert_problem(upload(api_as(emma), "vigilance", valid_until="next tuesday"), 422, "invalid")
    assert "valid_until" in error_fields(problem)


@pytest.mark.parametrize("persona", ["alice", "acme", "staff"])
def test_am13_only_experts_upload_and_list_documents(persona, request):
    api = api_as(request.getfixturevalue(persona))
    assert_problem(upload(api, "kbis"), 403, "forbidden")
    assert_problem(api.get("/me/documents"), 403, "forbidden")
    assert not VerificationDocument.objects.exists()


@pytest.mark.parametrize("document_id", ["abc", "99999999999999999999", "0", "-1", "999999"])
def test_am13_unknown_document_is_404(emma, document_id):
    assert_problem(api_as(emma).get(f"/me/documents/{document_id}"), 404, "not_found")


def test_am13_another_experts_document_is_404(emma, staff):
    # given emma's Kbis
    document_id = upload(api_as(emma), "kbis").json()["id"]
    # when another expert asks for it, or tries to list it
    other = api_as(make_expert("other@example.fr"))
    # then it does not exist for him
    assert_problem(other.get(f"/me/documents/{document_id}"), 404, "not_found")
    assert other.get("/me/documents").json()["items"] == []
    # while emma and staff see it
    assert api_as(emma).get(f"/me/documents/{document_id}").status_code == 200


@pytest.mark.parametrize(
    ("kind", "days"),
    [("vigilance", 183), ("tax_compliance", 183), ("liability_insurance", 365), ("kbis", None), ("bank_details", None)],
)
def test_am13_approval_sets_the_longest_allowed_validity(emma, staff, kind, days):
    # given emma uploaded a document
    document_id = upload(api_as(emma), kind).json()["id"]
    # when staff approve it without a date
    response = approve(api_as(staff), document_id)
    # then it is valid for the period AM13 allows
    assert response.status_code == 200, response.content
    document = response.json()
    assert document["state"] == "approved"
    expected = (timezone.localdate() + timedelta(days=days)).isoformat() if days else None
    assert document["valid_until"] == expected
    assert api_as(emma).get(f"/me/documents/{document_id}").json()["state"] == "approved"


def test_am13_approval_keeps_the_earlier_stated_expiry(emma, staff):
    stated = timezone.localdate() + timedelta(days=30)
    document_id = upload(api_as(emma), "vigilance", valid_until=stated.isoformat()).json()["id"]
    assert approve(api_as(staff), document_id).json()["valid_until"] == stated.isoformat()


@pytest.mark.parametrize(("kind", "days"), [("vigilance", 183), ("tax_compliance", 183), ("liability_insurance", 365)])
def test_am13_approval_beyond_the_maximum_is_refused(emma, staff, kind, days):
    document_id = upload(api_as(emma), kind).json()["id"]
    staff_api = api_as(staff)
    too_late = timezone.localdate() + timedelta(days=days + 1)
    problem = assert_problem(approve(staff_api, document_id, valid_until=too_late.isoformat()), 422, "invalid")
    assert "valid_until" in error_fields(problem)
    assert VerificationDocument.objects.get(pk=int(document_id)).state == DocumentState.PENDING
    # the maximum itself is fine
    at_most = (timezone.localdate() + timedelta(days=days)).isoformat()
    assert approve(staff_api, document_id, valid_until=at_most).json()["valid_until"] == at_most


def test_am13_approval_beyond_the_stated_expiry_is_refused(emma, staff):
    stated = timezone.localdate() + timedelta(days=30)
    document_id = upload(api_as(emma), "vigilance", valid_until=stated.isoformat()).json()["id"]
    later = (stated + timedelta(days=1)).isoformat()
    assert_problem(approve(api_as(staff), document_id, valid_until=later), 422, "invalid")


def test_am13_approval_in_the_past_is_refused(emma, staff):
    document_id = upload(api_as(emma), "kbis").json()["id"]
    assert_problem(approve(api_as(staff), document_id, valid_until="2001-01-01"), 422, "invalid")


def test_am13_approving_twice_is_a_conflict(emma, staff):
    document_id = upload(api_as(emma), "kbis").json()["id"]
    staff_api = api_as(staff)
    assert approve(staff_api, document_id).status_code == 200
    assert_problem(approve(staff_api, document_id), 409, "document_not_pending")
    assert_problem(
        staff_api.post(f"/staff/documents/{document_id}/refuse", {"reason": "late"}), 409, "document_not_pending"
    )


@pytest.mark.parametrize("persona", ["emma", "alice", "acme"])
def test_am13_only_staff_review_documents(emma, persona, request):
    document_id = upload(api_as(emma), "kbis").json()["id"]
    api = api_as(request.getfixturevalue(persona))
    assert_problem(approve(api, document_id), 403, "forbidden")
    assert_problem(api.post(f"/staff/documents/{document_id}/refuse", {"reason": "no"}), 403, "forbidden")
    assert VerificationDocument.objects.get(pk=int(document_id)).state == DocumentState.PENDING


@pytest.mark.parametrize("document_id", ["abc", "99999999999999999999", "424242"])
def test_am13_staff_review_of_unknown_document_is_404(staff, document_id):
    assert_problem(approve(api_as(staff), document_id), 404, "not_found")


def test_am13_refusal_needs_a_reason(emma, staff):
    # given a pending document
    document_id = upload(api_as(emma), "kbis").json()["id"]
    staff_api = api_as(staff)
    path = f"/staff/documents/{document_id}/refuse"
    # when staff refuse it without a reason
    for body in [{}, {"reason": ""}, {"reason": "   "}]:
        problem = assert_problem(staff_api.post(path, body), 422, "invalid")
        assert "reason" in error_fields(problem)
    assert VerificationDocument.objects.get(pk=int(document_id)).state == DocumentState.PENDING
    # and with one
    response = staff_api.post(path, {"reason": "The scan is unreadable."})
    # then it is refused, and the expert sees why
    assert response.status_code == 200
    assert response.json()["state"] == "refused"
    mine = api_as(emma).get(f"/me/documents/{document_id}").json()
    assert mine["state"] == "refused"
    assert mine["refusal_reason"] == "The scan is unreadable."


def test_am13_expert_is_verified_only_with_every_required_document(emma, staff):
    approve_expert_profile(emma)  # staff hand-picked her (AM17); the documents decide
    expert_api, staff_api = api_as(emma), api_as(staff)
    assert expert_api.get("/me").json()["expert_verified"] is False
    # given every required document but the last, approved
    for kind in REQUIRED_DOCUMENTS[:-1]:
        assert approve(staff_api, upload(expert_api, kind).json()["id"]).status_code == 200
        # then emma is still not verified
        assert expert_api.get("/me").json()["expert_verified"] is False
    # and a pending last one is not enough
    last_id = upload(expert_api, REQUIRED_DOCUMENTS[-1]).json()["id"]
    assert expert_api.get("/me").json()["expert_verified"] is False
    # when the last is approved
    approve(staff_api, last_id)
    # then she is verified
    assert expert_api.get("/me").json()["expert_verified"] is True


def test_am13_a_refused_document_does_not_count(emma, staff):
    approve_expert_profile(emma)  # staff hand-picked her (AM17); the documents decide
    expert_api, staff_api = api_as(emma), api_as(staff)
    for kind in REQUIRED_DOCUMENTS[:-1]:
        approve(staff_api, upload(expert_api, kind).json()["id"])
    refused = upload(expert_api, REQUIRED_DOCUMENTS[-1]).json()["id"]
    staff_api.post(f"/staff/documents/{refused}/refuse", {"reason": "Expired policy."})
    assert expert_api.get("/me").json()["expert_verified"] is False


def test_am13_dpae_is_not_required(emma, staff):
    approve_expert_profile(emma)  # staff hand-picked her (AM17); the documents decide
    expert_api, staff_api = api_as(emma), api_as(staff)
    verify_fully(expert_api, staff_api)
    assert not VerificationDocument.objects.filter(kind="dpae").exists()
    assert expert_api.get("/me").json()["expert_verified"] is True


def test_am13_expired_document_suspends_verification(emma, staff, clock):
    approve_expert_profile(emma)  # staff hand-picked her (AM17); the documents decide
    # given emma fully verified today
    expert_api, staff_api = api_as(emma), api_as(staff)
    ids = verify_fully(expert_api, staff_api)
    vigilance_until = date.fromisoformat(expert_api.get(f"/me/documents/{ids['vigilance']}").json()["valid_until"])
    # when the clock reaches the last day of the attestation de vigilance
    clock.move_to(timezone.make_aware(timezone.datetime.combine(vigilance_until, timezone.datetime.min.time())))
    # then she is still verified
    assert expert_api.get("/me").json()["expert_verified"] is True
    # and the day after, the attestation reads expired and she is no longer verified
    clock.shift(timedelta(days=1))
    assert expert_api.get(f"/me/documents/{ids['vigilance']}").json()["state"] == "expired"
    states = {d["kind"]: d["state"] for d in expert_api.get("/me/documents").json()["items"]}
    assert states["vigilance"] == states["tax_compliance"] == "expired"
    assert states["kbis"] == states["bank_details"] == states["liability_insurance"] == "approved"
    assert expert_api.get("/me").json()["expert_verified"] is False
    # even before anything marked it in the database
    assert VerificationDocument.objects.get(pk=int(ids["vigilance"])).state == DocumentState.APPROVED
    # and a renewed, approved attestation restores her
    for kind in ("vigilance", "tax_compliance"):
        approve(staff_api, upload(expert_api, kind).json()["id"])
    assert expert_api.get("/me").json()["expert_verified"] is True


def test_am13_tick_marks_expired_documents_in_the_database(emma, staff, clock):
    approve_expert_profile(emma)  # staff hand-picked her (AM17); the documents decide
    if "tick" not in get_commands():
        pytest.skip("the tick command is not there yet")
    # given emma fully verified today
    expert_api, staff_api = api_as(emma), api_as(staff)
    ids = verify_fully(expert_api, staff_api)
    # when a year and a day later the tick runs
    clock.shift(timedelta(days=366))
    call_command("tick")
    # then every document with an expiry is expired in the database, the others untouched
    states = dict(VerificationDocument.objects.values_list("kind", "state"))
    assert states == {
        "kbis": "approved",
        "bank_details": "approved",
        "vigilance": "expired",
        "tax_compliance": "expired",
        "liability_insurance": "expired",
    }
    assert expert_api.get(f"/me/documents/{ids['liability_insurance']}").json()["state"] == "expired"
    assert expert_api.get("/me").json()["expert_verified"] is False
    # and a second tick changes nothing
    call_command("tick")
    assert dict(VerificationDocument.objects.values_list("kind", "state")) == states


def test_nul_characters_in_staff_document_input_are_refused_not_a_server_error(emma, staff):
    # given a pending document
    document_id = upload(api_as(emma), "kbis").json()["id"]
    staff_api = api_as(staff)
    # when staff filter on a state, or refuse the document, with a NUL character
    listed = staff_api.get("/staff/documents", state="pending\x00")
    refused = staff_api.post(f"/staff/documents/{document_id}/refuse", {"reason": "Blurred\x00"})
    # then both are refused as input naming the field, and the document stays pending
    assert "state" in error_fields(assert_problem(listed, 422, "invalid"))
    assert "reason" in error_fields(assert_problem(refused, 422, "invalid"))
    assert VerificationDocument.objects.get(pk=document_id).state == DocumentState.PENDING


def test_an_unknown_document_state_filter_is_refused(staff):
    assert "state" in error_fields(assert_problem(api_as(staff).get("/staff/documents", state="lost"), 422, "invalid"))


def test_am13_every_document_decision_is_recorded_with_who_and_when(emma, staff, time_machine):
    # given two documents, one approved and one refused by staff
    from microwork.accounts import services
    from microwork.accounts.models import DocumentTransition, VerificationDocument
    from microwork.ops.tick import run_due

    time_machine.move_to(timezone.now())
    approved = VerificationDocument.objects.create(
        user=emma, kind="vigilance", file="documents/v.pdf", content_type="application/pdf"
    )
    refused = VerificationDocument.objects.create(
        user=emma, kind="kbis", file="documents/k.pdf", content_type="application/pdf"
    )
    services.document_approve(document=approved, by=staff)
    services.document_refuse(document=refused, by=staff, reason="Unreadable scan")
    # when its validity ends and tick runs
    time_machine.shift(timedelta(days=200))
    run_due()
    # then each move is written down: from, to, by whom, why
    moves = list(
        DocumentTransition.objects.order_by("pk").values_list("document_id", "from_state", "to_state", "by_id")
    )
    assert moves == [
        (approved.pk, "pending", "approved", staff.pk),
        (refused.pk, "pending", "refused", staff.pk),
        (approved.pk, "approved", "expired", None),
    ]
    assert DocumentTransition.objects.get(document=refused).reason == "Unreadable scan"
