"""Proof-checked field photos (HM13): a report photo's capture time and GPS,
read before its metadata is stripped, weighed against the claim's window and
the mission's radius; the same photo sent twice, by one tasker or two, is
flagged; staff alone get the originals."""

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageEnhance

from microwork.core.errors import InvalidInput
from microwork.core.photos import HASH_BITS, HASH_MAX_DISTANCE, hash_bands, photo_facts
from microwork.core.uploads import REPORT_PHOTO, upload_check
from microwork.missions import services
from microwork.missions.models import Mission, ReportFile
from microwork.testing import ACCOUNT, api_as, field_photo, make_published, make_tasker, signed_in

pytestmark = pytest.mark.django_db

# Amiens, 8 Boulevard du Port; a point 1 km north of it, and one 12 km north.
AMIENS = (49.897443, 2.290084)
NEARBY = (49.906427, 2.290084)
TWELVE_KM_AWAY = (49.897443 + 12 / 111.32, 2.290084)
PHOTO_QUESTIONS = [{"key": "shelf", "label": "Photo of the shelf", "kind": "photo"}]


def amiens_mission(acme: Any, staff: Any, *, places: int = 3) -> Mission:
    where = services.Location(lat=AMIENS[0], lon=AMIENS[1], radius_km=3, address="8 Boulevard du Port 80000 Amiens")
    return make_published(acme, staff, questions=PHOTO_QUESTIONS, location=where, places=places)


def jpeg(data: bytes, name: str = "IMG_0042.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def photo_report(tasker: Any, mission: Mission, photo: bytes, start: datetime) -> str:
    """The tasker claims at `start`, sends `photo` 20 minutes later and reports at 25."""
    with time_machine.travel(start, tick=False):
        claim_id = api_as(tasker).post(f"/missions/{mission.pk}/claims").json()["id"]
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        sent = api_as(tasker).upload(f"/claims/{claim_id}/report/files", {"question": "shelf", "file": jpeg(photo)})
        assert sent.status_code == 201, sent.content
    with time_machine.travel(start + timedelta(minutes=25), tick=False):
        reported = api_as(tasker).post(f"/claims/{claim_id}/report", {"answers": {}, "text": ACCOUNT})
        assert reported.status_code == 200, reported.content
    return claim_id


def proof_of(company: Any, claim_id: str) -> dict[str, Any]:
    files = api_as(company).get(f"/claims/{claim_id}").json()["report"]["files"]
    assert len(files) == 1
    return files[0]["proof"]


def company_page(client: Client, company: Any, mission: Mission) -> str:
    return signed_in(client, company).get(reverse("missions:company_mission", args=[mission.pk])).content.decode()


def content(response: Any) -> bytes:
    return b"".join(response.streaming_content)


# --- Time and place -------------------------------------------------------------


def test_hm13_a_photo_taken_here_during_the_mission_is_shown_as_such(acme, staff, alice, client):
    mission = amiens_mission(acme, staff)
    start = timezone.now()
    photo = field_photo(taken_at=start + timedelta(minutes=12), position=NEARBY)
    claim_id = photo_report(alice, mission, photo, start)
    proof = proof_of(acme, claim_id)
    assert proof["within_window"] is True and proof["within_radius"] is True
    assert proof["distance_km"] == 1.0
    assert proof["warnings"] == [] and proof["duplicate_of"] is None
    assert datetime.fromisoformat(proof["taken_at"]) == (start + timedelta(minutes=12)).replace(microsecond=0)
    page = company_page(client, acme, mission)
    assert 'data-testid="photo-proof-ok"' in page and "Prise ici, pendant la mission" in page
    # the company never gets the photo's position, only its distance from the place
    assert "49.906" not in str(api_as(acme).get(f"/claims/{claim_id}").json())


@pytest.mark.parametrize(
    ("minutes", "within", "warnings"),
    [
        (-120, False, ["taken_before_claim"]),  # two hours before the claim
        (-5, True, []),  # a phone's clock a little behind
        (24, True, []),
        (60 * 24, False, ["taken_after_report"]),  # a day after the report: a clock set wrong
    ],
)
def test_hm13_the_capture_time_is_checked_against_the_claim(acme, staff, alice, client, minutes, within, warnings):
    mission = amiens_mission(acme, staff)
    start = timezone.now()
    claim_id = photo_report(
        alice, mission, field_photo(taken_at=start + timedelta(minutes=minutes), position=NEARBY), start
    )
    proof = proof_of(acme, claim_id)
    assert proof["within_window"] is within and proof["warnings"] == warnings
    if minutes == -120:
        warning = 'data-warning="taken_before_claim"'
        page = company_page(client, acme, mission)
        assert warning in page and "avant le début de la mission" in page


def test_hm13_a_photo_taken_12_km_away_is_flagged(acme, staff, alice, client):
    mission = amiens_mission(acme, staff)
    start = timezone.now()
    claim_id = photo_report(
        alice, mission, field_photo(taken_at=start + timedelta(minutes=5), position=TWELVE_KM_AWAY), start
    )
    proof = proof_of(acme, claim_id)
    assert proof["distance_km"] == 12.0 and proof["within_radius"] is False
    assert proof["within_window"] is True and proof["warnings"] == ["outside_radius"]
    page = company_page(client, acme, mission)
    assert 'data-warning="outside_radius"' in page
    assert "Prise à 12\xa0km du lieu de la mission (rayon\u202f: 3\xa0km)" in page


def test_hm13_a_photo_without_exif_is_flagged(acme, staff, alice, client):
    mission = amiens_mission(acme, staff)
    claim_id = photo_report(alice, mission, field_photo(), timezone.now())
    proof = proof_of(acme, claim_id)
    assert proof["taken_at"] is None and proof["within_window"] is None
    assert proof["distance_km"] is None and proof["within_radius"] is None
    assert proof["warnings"] == ["no_metadata"]
    page = company_page(client, acme, mission)
    assert 'data-warning="no_metadata"' in page and "Ni date ni position dans cette photo" in page


def test_hm13_a_photo_without_its_position_on_a_mission_tied_to_a_place_says_so(acme, staff, alice):
    mission = amiens_mission(acme, staff)
    start = timezone.now()
    claim_id = photo_report(alice, mission, field_photo(taken_at=start + timedelta(minutes=3)), start)
    assert proof_of(acme, claim_id)["warnings"] == ["no_position"]


def test_hm13_on_a_mission_done_anywhere_a_photo_needs_only_its_time(acme, staff, alice, client):
    mission = make_published(acme, staff, questions=PHOTO_QUESTIONS)
    start = timezone.now()
    claim_id = photo_report(alice, mission, field_photo(taken_at=start + timedelta(minutes=3), position=NEARBY), start)
    proof = proof_of(acme, claim_id)
    assert proof["warnings"] == [] and proof["distance_km"] is None and proof["within_radius"] is None
    assert "Prise pendant la mission" in company_page(client, acme, mission)


def test_hm13_a_capture_time_without_offset_is_read_as_french_time(acme, staff, alice):
    mission = amiens_mission(acme, staff)
    start = timezone.now()
    # written as a phone set to Paris time writes it: an hour or two ahead of UTC
    photo = field_photo(taken_at=start + timedelta(minutes=10), offset=None, position=NEARBY)
    proof = proof_of(acme, photo_report(alice, mission, photo, start))
    assert datetime.fromisoformat(proof["taken_at"]) == (start + timedelta(minutes=10)).replace(microsecond=0)
    assert proof["warnings"] == []


def test_hm13_malformed_metadata_is_read_as_absent_never_an_error(alice, acme, staff):
    exif = Image.Exif()
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: "not a date", ExifTags.Base.OffsetTimeOriginal: "+99"}
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (400.0, 0.0, 0.0)}
    buffer = io.BytesIO()
    Image.open(io.BytesIO(field_photo())).save(buffer, format="JPEG", exif=exif)
    facts = photo_facts(jpeg(buffer.getvalue()), REPORT_PHOTO)
    assert (facts.taken_at, facts.latitude, facts.longitude) == (None, None, None)
    mission = amiens_mission(acme, staff)
    assert proof_of(acme, photo_report(alice, mission, buffer.getvalue(), timezone.now()))["warnings"] == [
        "no_metadata"
    ]


_PHONE_PHOTO = field_photo(taken_at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC), position=NEARBY)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns of each corrupt tag it skips
@settings(deadline=None)  # the first example loads the hashing library
@given(flips=st.lists(st.tuples(st.integers(2, 400), st.integers(0, 255)), min_size=1, max_size=8))
def test_hm13_corrupt_metadata_is_a_refusal_or_read_as_far_as_it_goes_never_an_error(flips):
    """Bytes changed in the EXIF block at the head of the file: the upload is
    refused as unreadable, or read; no other outcome."""
    data = bytearray(_PHONE_PHOTO)
    for at, value in flips:
        data[at] = value
    try:
        upload_check(jpeg(bytes(data)), REPORT_PHOTO)
    except InvalidInput:
        return
    facts = photo_facts(jpeg(bytes(data)), REPORT_PHOTO)
    assert facts.taken_at is None or facts.taken_at.tzinfo is not None
    assert facts.latitude is None or -90 <= facts.latitude <= 90


# --- The same photo twice ----------------------------------------------------------


def copied(photo: bytes) -> bytes:
    """The photo as someone else would send it on: smaller, brighter, re-encoded, without its metadata."""
    with Image.open(io.BytesIO(photo)) as image:
        smaller = ImageEnhance.Brightness(image.resize((200, 150))).enhance(1.08)
        buffer = io.BytesIO()
        smaller.save(buffer, format="JPEG", quality=60)
    return buffer.getvalue()


def test_hm13_the_same_photo_sent_by_two_taskers_is_flagged_on_both(acme, staff, alice, bob, client):
    mission = amiens_mission(acme, staff)
    start = timezone.now()
    original = field_photo(seed=7, taken_at=start + timedelta(minutes=5), position=NEARBY)
    alice_claim = photo_report(alice, mission, original, start)
    bob_claim = photo_report(bob, mission, copied(original), start + timedelta(minutes=1))
    carol = make_tasker("carol@example.fr", "+33611112222")
    carol_claim = photo_report(
        carol, mission, field_photo(seed=8, taken_at=start + timedelta(minutes=6), position=NEARBY), start
    )
    alice_file, bob_file = (ReportFile.objects.get(claim_id=claim) for claim in (alice_claim, bob_claim))
    assert proof_of(acme, bob_claim)["duplicate_of"] == str(alice_file.pk)
    assert "duplicate" in proof_of(acme, bob_claim)["warnings"]
    # the first sender's report is flagged too: the company reviewing it learns of the copy
    assert proof_of(acme, alice_claim)["duplicate_of"] == str(bob_file.pk)
    assert proof_of(acme, alice_claim)["warnings"] == ["duplicate"]
    assert proof_of(acme, carol_claim)["warnings"] == [] and proof_of(acme, carol_claim)["duplicate_of"] is None
    page = company_page(client, acme, mission)
    assert page.count('data-warning="duplicate"') == 2 and "Même photo que dans un autre rapport" in page


def test_hm13_one_tasker_sending_the_same_photo_on_two_missions_is_flagged(acme, staff, alice):
    first, second = amiens_mission(acme, staff, places=1), amiens_mission(acme, staff, places=1)
    start = timezone.now()
    photo = field_photo(seed=11, taken_at=start + timedelta(minutes=5), position=NEARBY)
    first_claim = photo_report(alice, first, photo, start)
    second_claim = photo_report(alice, second, photo, start + timedelta(hours=1))
    assert proof_of(acme, second_claim)["duplicate_of"] == str(ReportFile.objects.get(claim_id=first_claim).pk)
    # and the first is also "taken before the claim" of the second, as a reused photo is
    assert proof_of(acme, second_claim)["warnings"] == ["taken_before_claim", "duplicate"]


def test_hm13_flat_photos_are_never_taken_for_one_another(acme, staff, alice, bob):
    mission = amiens_mission(acme, staff)
    start = timezone.now()
    claims = []
    for tasker, colour in ((alice, "black"), (bob, "white")):
        buffer = io.BytesIO()
        Image.new("RGB", (320, 240), colour).save(buffer, format="JPEG")
        claims.append(photo_report(tasker, mission, buffer.getvalue(), start))
    assert all(proof_of(acme, claim)["duplicate_of"] is None for claim in claims)
    assert ReportFile.objects.filter(phash="").count() == 2


@given(
    value=st.integers(min_value=0, max_value=2**HASH_BITS - 1),
    flips=st.lists(st.integers(min_value=0, max_value=HASH_BITS - 1), max_size=HASH_MAX_DISTANCE, unique=True),
)
def test_hm13_a_hash_within_the_distance_always_shares_a_band(value, flips):
    """What makes the indexed search complete: no near copy escapes it."""
    other = value
    for bit in flips:
        other ^= 1 << bit
    mine, theirs = hash_bands(f"{value:016x}"), hash_bands(f"{other:016x}")
    assert any(a == b for a, b in zip(mine, theirs, strict=True))


def test_hm13_the_duplicate_search_reads_a_few_rows_through_the_index(
    acme, staff, alice, django_assert_max_num_queries
):
    from microwork.missions.selectors import photo_sent_before

    mission = amiens_mission(acme, staff)
    photo_report(alice, mission, field_photo(seed=3), timezone.now())
    sent = ReportFile.objects.get()
    with django_assert_max_num_queries(1):
        assert photo_sent_before(sent.phash, exclude_pk=sent.pk) is None
    with django_assert_max_num_queries(1):
        assert photo_sent_before(sent.phash) == sent.pk


# --- Originals ---------------------------------------------------------------------


def test_hm13_staff_alone_get_the_original_with_its_metadata(acme, staff, alice, bob):
    mission = amiens_mission(acme, staff)
    start = timezone.now()
    claim_id = photo_report(alice, mission, field_photo(taken_at=start, position=NEARBY), start)
    path = f"/claims/{claim_id}/report/files/{ReportFile.objects.get().pk}"

    def exif_from(user: Any) -> Image.Exif:
        response = api_as(user).get(path)
        assert response.status_code == 200
        with Image.open(io.BytesIO(content(response))) as image:
            return image.getexif()

    assert exif_from(staff).get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert exif_from(staff)[ExifTags.Base.Make] == "PhoneCo"
    assert len(exif_from(acme)) == 0 and len(exif_from(alice)) == 0
    assert api_as(bob).get(path).status_code == 404
    page = reverse("missions:report_file", args=[claim_id, ReportFile.objects.get().pk])
    with Image.open(io.BytesIO(content(signed_in(Client(), acme).get(page)))) as seen:
        assert len(seen.getexif()) == 0


def test_hm13_photos_sent_before_the_checks_are_read_from_their_originals(acme, staff, alice, bob):
    mission = amiens_mission(acme, staff)
    start = timezone.now()
    photo = field_photo(seed=21, taken_at=start + timedelta(minutes=5), position=TWELVE_KM_AWAY)
    claims = [photo_report(tasker, mission, photo, start) for tasker in (alice, bob)]
    # as the photos were stored before they were read at upload
    ReportFile.objects.update(
        phash=None,
        taken_at=None,
        taken_latitude=None,
        taken_longitude=None,
        duplicate_of=None,
        **{f"phash_band_{n}": None for n in range(5)},
    )
    assert proof_of(acme, claims[0]) is None  # not read: no warning made up
    call_command("report_photos_read", stdout=io.StringIO())
    first, second = (proof_of(acme, claim) for claim in claims)
    assert first["warnings"] == second["warnings"] == ["outside_radius", "duplicate"]
    assert first["distance_km"] == 12.0
    assert services.report_photos_read() == 0
