"""Safe uploads (PL06): one check for every upload, files only through views
that check access, the request body capped before it is read."""

import io
import re
from pathlib import PurePosixPath

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver, reverse
from PIL import ExifTags, Image

from microwork.accounts.models import VerificationDocument
from microwork.api.tests.helpers import assert_problem, error_fields
from microwork.core.limits import body_limit
from microwork.core.uploads import CSV_FIELD_MAX_CHARS
from microwork.gigs.models import OrderFile
from microwork.missions.models import Mission, ReportFile
from microwork.testing import (
    ACCOUNT,
    api_as,
    make_company,
    make_offer,
    make_published,
    make_tasker,
    make_verified_expert,
    png_declaring,
    signed_in,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# A PDF header, then a page: what a browser would run if it were served as text/html.
POLYGLOT = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'
PHOTO_QUESTIONS = [{"key": "shelf", "label": "Photo of the shelf", "kind": "photo"}]
SERVER_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|jpg|png|webp)$")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def bomb() -> SimpleUploadedFile:
    """A 30000 x 30000 PNG of a few hundred bytes: 900 megapixels once decoded."""
    data = png_declaring(30_000, 30_000)
    assert len(data) < 500_000
    return SimpleUploadedFile("bomb.png", data, content_type="image/png")


def gps_photo() -> SimpleUploadedFile:
    """A phone photo: GPS position, camera make, and turned on its side (orientation 6)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (48.0, 51.0, 24.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "orange").save(buffer, format="JPEG", exif=exif)
    return SimpleUploadedFile("IMG_0042.jpg", buffer.getvalue(), content_type="image/jpeg")


def document(api, file, kind="kbis"):
    return api.upload("/me/documents", {"kind": kind, "file": file})


def photo_claim(alice, acme, staff) -> tuple[Mission, str]:
    mission = make_published(acme, staff, questions=PHOTO_QUESTIONS)
    return mission, api_as(alice).post(f"/missions/{mission.pk}/claims").json()["id"]


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def exif_of(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as image:
        return image.getexif()


# --- Decompression bombs ----------------------------------------------------


def test_pl06_a_decompression_bomb_is_refused_on_post_me_documents(emma):
    problem = assert_problem(document(api_as(emma), bomb()), 422, "invalid")
    assert "file" in error_fields(problem)
    assert "pixels" in problem["detail"]
    assert not VerificationDocument.objects.exists()


def test_pl06_a_decompression_bomb_is_refused_on_report_files(alice, acme, staff):
    _mission, claim_id = photo_claim(alice, acme, staff)
    response = api_as(alice).upload(f"/claims/{claim_id}/report/files", {"question": "shelf", "file": bomb()})
    problem = assert_problem(response, 422, "invalid")
    assert "file" in error_fields(problem)
    assert not ReportFile.objects.exists()


def test_pl06_a_decompression_bomb_is_a_form_error_on_the_document_page(client, emma):
    response = signed_in(client, emma).post(reverse("web:document_upload"), {"kind": "kbis", "file": bomb()})
    assert response.status_code == 400
    assert "mégapixels" in " ".join(response.context["document_form"].errors["file"])
    assert not VerificationDocument.objects.exists()


def test_pl06_a_decompression_bomb_is_a_form_error_on_the_report_page(client, alice, acme, staff):
    _mission, claim_id = photo_claim(alice, acme, staff)
    response = signed_in(client, alice).post(
        reverse("missions:report", args=[claim_id]), {"q_shelf": bomb(), "text": ACCOUNT}
    )
    assert response.status_code == 400
    assert "mégapixels" in response.content.decode()
    assert not ReportFile.objects.exists()


def test_pl06_an_image_past_the_pixel_limit_is_refused_even_below_pillows_own(emma, settings):
    # 6000 x 7000 = 42 megapixels: past ours (40), not twice past it (Pillow's hard error)
    buffer = io.BytesIO()
    Image.new("1", (6_000, 7_000)).save(buffer, format="PNG")
    problem = assert_problem(document(api_as(emma), SimpleUploadedFile("big.png", buffer.getvalue())), 422, "invalid")
    assert "40" in problem["detail"]


# --- Types read from the content ----------------------------------------------


def test_pl06_a_pdf_html_polyglot_named_x_html_is_never_served_as_html(client, emma):
    response = document(api_as(emma), SimpleUploadedFile("x.html", POLYGLOT, content_type="text/html"))
    assert response.status_code == 201, response.content
    stored = VerificationDocument.objects.get()
    assert stored.content_type == "application/pdf"
    assert PurePosixPath(stored.file.name).suffix == ".pdf"
    served = signed_in(client, emma).get(reverse("web:document_file", args=[stored.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]


@pytest.mark.parametrize("name", ["logo.svg", "logo.png"])
def test_pl06_an_svg_is_refused_everywhere(emma, alice, acme, staff, name):
    svg = SimpleUploadedFile(name, SVG, content_type="image/svg+xml")
    assert_problem(document(api_as(emma), svg), 422, "invalid")
    _mission, claim_id = photo_claim(alice, acme, staff)
    svg.seek(0)
    response = api_as(alice).upload(f"/claims/{claim_id}/report/files", {"question": "shelf", "file": svg})
    assert_problem(response, 422, "invalid")
    assert not VerificationDocument.objects.exists() and not ReportFile.objects.exists()


def test_pl06_an_svg_or_a_polyglot_in_an_order_message_is_refused_or_kept_a_pdf(staff):
    expert = make_verified_expert("vera@example.fr")
    buyer = make_company("buyer@example.fr", balance_cents=500_00)
    order_id = api_as(buyer).post(f"/offers/{make_offer(expert).pk}/orders").json()["id"]
    svg = SimpleUploadedFile("plan.svg", SVG, content_type="image/svg+xml")
    refused = api_as(buyer).upload(f"/orders/{order_id}/messages", {"body": "le plan", "files": [svg]})
    assert "files" in error_fields(assert_problem(refused, 422, "invalid"))
    polyglot = SimpleUploadedFile("x.html", POLYGLOT, content_type="text/html")
    sent = api_as(buyer).upload(f"/orders/{order_id}/messages", {"body": "le brief", "files": [polyglot]})
    assert sent.status_code == 201, sent.content
    stored = OrderFile.objects.get()
    assert (stored.content_type, stored.name) == ("application/pdf", "x.html")
    assert SERVER_NAME.match(PurePosixPath(stored.file.name).name)
    served = api_as(expert).get(f"/orders/{order_id}/files/{stored.pk}")
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["X-Content-Type-Options"] == "nosniff"


# --- Access -------------------------------------------------------------------


def test_pl06_no_url_serves_media_statically():
    assert not [p for p in get_resolver().url_patterns if "media" in str(p.pattern)]
    assert Client().get("/media/").status_code == 404


def test_pl06_a_document_is_for_its_owner_and_staff_only(emma, staff):
    assert document(api_as(emma), SimpleUploadedFile("kbis.pdf", PDF)).status_code == 201
    url = reverse("web:document_file", args=[VerificationDocument.objects.get().pk])
    other = make_verified_expert("hugo@example.fr", display_name="Hugo")
    assert signed_in(Client(), other).get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("web:login"))
    own = signed_in(Client(), emma).get(url)
    assert own.status_code == 200 and own["X-Content-Type-Options"] == "nosniff"
    assert content(own) == PDF
    assert signed_in(Client(), staff).get(url).status_code == 200


def test_pl06_a_report_photo_is_for_its_tasker_the_company_once_reported_and_staff(alice, acme, staff):
    bob = make_tasker("bob@example.fr", "+33612345679")
    _mission, claim_id = photo_claim(alice, acme, staff)
    added = api_as(alice).upload(f"/claims/{claim_id}/report/files", {"question": "shelf", "file": gps_photo()})
    assert added.status_code == 201, added.content
    url = reverse("missions:report_file", args=[claim_id, ReportFile.objects.get().pk])
    assert signed_in(Client(), acme).get(url).status_code == 404  # not reported yet
    assert api_as(alice).post(f"/claims/{claim_id}/report", {"answers": {}, "text": ACCOUNT}).status_code == 200
    assert signed_in(Client(), bob).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    for viewer in (alice, acme, staff):
        response = signed_in(Client(), viewer).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"].startswith("inline")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_pl06_an_order_file_is_for_the_two_parties_only(alice):
    expert = make_verified_expert("vera@example.fr")
    buyer = make_company("buyer@example.fr", balance_cents=500_00)
    order_id = api_as(buyer).post(f"/offers/{make_offer(expert).pk}/orders").json()["id"]
    pdf = SimpleUploadedFile("brief.pdf", PDF)
    assert api_as(buyer).upload(f"/orders/{order_id}/messages", {"body": "le brief", "files": [pdf]}).status_code == 201
    path = f"/orders/{order_id}/files/{OrderFile.objects.get().pk}"
    assert api_as(alice).get(path).status_code == 404
    assert api_as(None).get(path).status_code == 401
    page = reverse("gigs:order_file", args=[order_id, OrderFile.objects.get().pk])
    assert signed_in(Client(), alice).get(page).status_code == 404
    assert Client().get(page).status_code == 302
    served = signed_in(Client(), expert).get(page)
    assert served.status_code == 200 and served["X-Content-Type-Options"] == "nosniff"
    assert 'filename="brief.pdf"' in served["Content-Disposition"]


def test_pl06_an_offer_image_is_served_by_a_view_while_the_offer_is_live(client):
    expert = make_verified_expert("vera@example.fr")
    offer = make_offer(expert)
    added = api_as(expert).upload(f"/offers/{offer.pk}/images", {"file": gps_photo()})
    assert added.status_code == 201, added.content
    image = added.json()["images"][0]
    assert not image["url"].startswith("/media/")
    served = client.get(image["thumbnail_url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert ExifTags.IFD.GPSInfo not in exif_of(content(served))


# --- Metadata -----------------------------------------------------------------


def test_pl06_exif_gps_is_stripped_from_the_copy_the_company_sees_and_kept_for_staff(alice, acme, staff):
    _mission, claim_id = photo_claim(alice, acme, staff)
    api_as(alice).upload(f"/claims/{claim_id}/report/files", {"question": "shelf", "file": gps_photo()})
    api_as(alice).post(f"/claims/{claim_id}/report", {"answers": {}, "text": ACCOUNT})
    url = reverse("missions:report_file", args=[claim_id, ReportFile.objects.get().pk])
    seen = content(signed_in(Client(), acme).get(url))
    assert len(exif_of(seen)) == 0  # no GPS, no camera, no orientation left
    with Image.open(io.BytesIO(seen)) as upright:
        assert upright.size == (20, 40)  # turned as the phone held it
    original = content(signed_in(Client(), staff).get(url))
    assert exif_of(original).get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert exif_of(original)[ExifTags.Base.Make] == "PhoneCo"


def test_pl06_an_order_image_reaches_the_other_party_without_its_gps():
    expert = make_verified_expert("vera@example.fr")
    buyer = make_company("buyer@example.fr", balance_cents=500_00)
    order_id = api_as(buyer).post(f"/offers/{make_offer(expert).pk}/orders").json()["id"]
    sent = api_as(buyer).upload(f"/orders/{order_id}/messages", {"body": "la vitrine", "files": [gps_photo()]})
    assert sent.status_code == 201, sent.content
    stored = OrderFile.objects.get()
    seen = content(api_as(expert).get(f"/orders/{order_id}/files/{stored.pk}"))
    assert ExifTags.IFD.GPSInfo not in exif_of(seen)
    with stored.original.open("rb") as original:
        assert exif_of(original.read()).get_ifd(ExifTags.IFD.GPSInfo)


# --- Names ----------------------------------------------------------------------


def test_pl06_stored_file_names_are_chosen_by_the_server(emma, alice, acme, staff):
    sneaky = SimpleUploadedFile("../../etc/<script>kbis.pdf", PDF)
    assert document(api_as(emma), sneaky).status_code == 201
    _mission, claim_id = photo_claim(alice, acme, staff)
    api_as(alice).upload(f"/claims/{claim_id}/report/files", {"question": "shelf", "file": gps_photo()})
    report = ReportFile.objects.get()
    names = [VerificationDocument.objects.get().file.name, report.file.name, report.original.name]
    for name in names:
        assert "script" not in name and "IMG_0042" not in name and ".." not in name
        assert SERVER_NAME.match(PurePosixPath(name).name.split("-")[-1]), name


# --- Request bodies -------------------------------------------------------------


class _Unread:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_pl06_a_body_over_the_cap_is_refused_with_413_before_it_is_read(settings, emma):
    too_big = str(settings.MAX_REQUEST_BODY_BYTES + 1)
    extra = {"CONTENT_LENGTH": too_big, "wsgi.input": _Unread()}
    api = api_as(emma)
    response = api.client.generic(
        "POST",
        "/api/v1/me/documents",
        b"x",
        content_type="multipart/form-data; boundary=x",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
        **extra,
    )
    problem = assert_problem(response, 413, "request_too_large")
    assert "11" in problem["detail"]
    page = signed_in(Client(), emma).generic(
        "POST", reverse("web:document_upload"), b"x", content_type="multipart/form-data; boundary=x", **extra
    )
    assert page.status_code == 413
    assert page["Content-Type"].startswith("text/html")
    assert "trop volumineuse" in page.content.decode()


def test_pl06_several_files_at_once_have_a_larger_cap_where_they_are_taken(settings):
    assert body_limit("/api/v1/me/documents") == settings.MAX_REQUEST_BODY_BYTES
    assert body_limit("/api/v1/orders/12/messages") > 5 * 10 * 1024 * 1024
    assert body_limit("/api/v1/orders/12/messages/extra") == settings.MAX_REQUEST_BODY_BYTES


# --- CSV --------------------------------------------------------------------------


@pytest.mark.parametrize("length", [CSV_FIELD_MAX_CHARS + 1, 131_073])
def test_pl06_a_csv_field_over_the_cap_is_a_422(acme, length):
    text = (
        "title,category,instructions,estimated_minutes,reward_cents,places\r\n"
        f'"Photo of the shelf",photo,"{"x" * length}",10,300,1\r\n'
    )
    upload = SimpleUploadedFile("missions.csv", text.encode(), content_type="text/csv")
    problem = assert_problem(api_as(acme).upload("/missions/batch", {"file": upload}), 422, "invalid")
    assert "file" in error_fields(problem)
    assert not Mission.objects.exists()


def test_pl06_a_csv_field_over_the_cap_is_a_form_error_on_the_batch_page(client, acme):
    header = "title,category,instructions,estimated_minutes,reward_cents,places\r\n"
    text = f'{header}"T",photo,"{"x" * 131_073}",10,300,1\r\n'
    upload = SimpleUploadedFile("missions.csv", text.encode(), content_type="text/csv")
    response = signed_in(client, acme).post(reverse("missions:batch"), {"file": upload})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not Mission.objects.exists()


def test_pl06_a_voucher_csv_field_over_the_cap_is_a_422(staff):
    text = f"brand,value,code,expiry\r\nFnac,10.00,{'A' * 131_073},2030-01-01\r\n"
    upload = SimpleUploadedFile("issuer.csv", text.encode(), content_type="text/csv")
    response = api_as(staff).upload("/staff/vouchers/import", {"file": upload})
    assert_problem(response, 422, "invalid")


def test_pl06_a_report_photo_through_the_api_is_for_the_parties_with_a_token(alice, acme, staff):
    bob = make_tasker("bob@example.fr", "+33612345679")
    _mission, claim_id = photo_claim(alice, acme, staff)
    added = api_as(alice).upload(f"/claims/{claim_id}/report/files", {"question": "shelf", "file": gps_photo()})
    path = added.json()["download_url"].removeprefix("/api/v1")
    assert_problem(api_as(acme).get(path), 404, "not_found")  # not reported yet
    api_as(alice).post(f"/claims/{claim_id}/report", {"answers": {}, "text": ACCOUNT})
    assert api_as(bob).get(path).status_code == 404
    assert api_as(None).get(path).status_code == 401
    seen = api_as(acme).get(path)
    assert seen.status_code == 200 and seen["X-Content-Type-Options"] == "nosniff"
    assert ExifTags.IFD.GPSInfo not in exif_of(content(seen))
    assert exif_of(content(api_as(staff).get(path))).get_ifd(ExifTags.IFD.GPSInfo)
