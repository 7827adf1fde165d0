from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart

from microwork.accounts.models import VerificationDocument
from microwork.testing import api_as

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _post_form(api, boundary: str, data: dict, key: str):
    return api.client.post(
        "/api/v1/me/documents",
        encode_multipart(boundary, data),
        content_type=f"multipart/form-data; boundary={boundary}",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_am13_upload_retried_with_another_boundary_is_replayed_not_refused(emma):
    # given an expert uploading a document with an Idempotency-Key
    api = api_as(emma)
    first = _post_form(api, "first-boundary", {"kind": "kbis", "file": SimpleUploadedFile("k.pdf", PDF)}, "up-1")
    # when the client retries the same form, encoded with a new boundary
    again = _post_form(api, "second-boundary", {"kind": "kbis", "file": SimpleUploadedFile("k.pdf", PDF)}, "up-1")
    # then the first answer is replayed and one document exists
    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json() == first.json()
    assert VerificationDocument.objects.filter(user=emma).count() == 1


def test_upload_with_other_content_under_the_same_key_is_refused(emma):
    api = api_as(emma)
    _post_form(api, "b1", {"kind": "kbis", "file": SimpleUploadedFile("k.pdf", PDF)}, "up-2")
    other = _post_form(api, "b2", {"kind": "kbis", "file": SimpleUploadedFile("k.pdf", PDF + b"%changed\n")}, "up-2")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert VerificationDocument.objects.filter(user=emma).count() == 1
