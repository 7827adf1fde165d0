"""Experts hand-picked and verified (AM13, AM17): the profile and its review,
the documents each status needs, validity from the document's own date."""

import io
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image

from microwork.accounts import selectors, services
from microwork.accounts.models import (
    REQUIRED_DOCUMENTS,
    DocumentState,
    ExpertProfile,
    ExpertProfileState,
    ExpertProfileTransition,
    User,
    VerificationDocument,
)
from microwork.api.tests.helpers import assert_problem, error_fields
from microwork.notifications.models import Notice
from microwork.testing import (
    api_as,
    approve_documents,
    approve_expert_profile,
    make_expert,
    make_staff,
    make_user,
    photo_jpeg,
    signed_in,
    verified_expert,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def at_noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def upload(api, kind: str, **extra):
    data = {"kind": kind, "file": SimpleUploadedFile(f"{kind}.pdf", PDF), **extra}
    return api.upload("/me/documents", data)


def approve_document(staff_api, document_id: str, **body):
    return staff_api.post(f"/staff/documents/{document_id}/approve", body)


def fill_profile(api, **overrides):
    body = {
        "status": "company",
        "headline": "Consultante data",
        "bio": "Dix ans d'analyse de données.",
        "skills": ["Python", "SQL"],
        **overrides,
    }
    response = api.client.put("/api/v1/me/expert-profile", body, content_type="application/json", **api._headers(None))
    assert response.status_code == 200, response.content
    photo = api.upload("/me/expert-profile/photo", {"file": SimpleUploadedFile("me.jpg", photo_jpeg())})
    assert photo.status_code == 200, photo.content
    return photo.json()


def submitted_expert(email: str) -> User:
    expert = make_expert(email)
    fill_profile(api_as(expert))
    assert api_as(expert).post("/me/expert-profile/submit").status_code == 200
    return expert


# --- AM13: which documents, and for how long -------------------------------------


def test_am13_dpae_is_needed_only_for_wage_portage(db):
    # given two hand-picked experts with the five common documents approved
    company = make_expert("societe@example.fr")
    approve_expert_profile(company, status="company")
    approve_documents(company, status="company")
    portage = make_expert("portage@example.fr")
    approve_expert_profile(portage, status="wage_portage")
    approve_documents(portage, status="company")
    micro = make_expert("micro@example.fr")
    approve_expert_profile(micro, status="micro_entrepreneur")
    approve_documents(micro, status="micro_entrepreneur")
    # then the company and the micro-entrepreneur sell, the expert in wage portage needs a DPAE
    assert selectors.expert_is_verified(company)
    assert selectors.expert_is_verified(micro)
    assert not selectors.expert_is_verified(portage)
    with translation.override("en"):
        assert selectors.expert_verification_missing(portage)["documents"] == ["DPAE (wage portage)"]
    # and once the DPAE is approved, she sells too
    staff_api = api_as(make_staff())
    dpae = upload(api_as(portage), "dpae").json()["id"]
    assert approve_document(staff_api, dpae).status_code == 200
    assert selectors.expert_is_verified(portage)
    assert api_as(portage).get("/me/expert-profile").json()["required_documents"][-1] == {
        "kind": "dpae",
        "state": "approved",
    }


def test_am13_an_expert_switching_to_wage_portage_needs_a_dpae(db):
    expert = verified_expert("switch@example.fr")
    api = api_as(expert)
    assert api.get("/me").json()["expert_verified"] is True
    # when she edits her status (the edit also sends her profile back to review)
    fill_profile(api, status="wage_portage")
    approve_expert_profile(expert, status="wage_portage")
    # then the DPAE is missing
    assert api.get("/me").json()["expert_verified"] is False


@pytest.mark.parametrize(("kind", "days"), [("vigilance", 183), ("tax_compliance", 183), ("liability_insurance", 365)])
def test_am13_validity_is_counted_from_the_documents_own_date(emma, staff, clock, kind, days):
    # given an attestation dated 100 days ago, approved today without a date
    issued = timezone.localdate() - timedelta(days=100)
    document_id = upload(api_as(emma), kind, issued_on=issued.isoformat()).json()["id"]
    response = approve_document(api_as(staff), document_id)
    # then it is valid for its period counted from its own date, not from today
    assert response.status_code == 200, response.content
    assert response.json()["issued_on"] == issued.isoformat()
    last_day = issued + timedelta(days=days)
    assert response.json()["valid_until"] == last_day.isoformat()
    # and staff cannot approve it one day longer
    later = upload(api_as(emma), kind, issued_on=issued.isoformat()).json()["id"]
    too_long = (last_day + timedelta(days=1)).isoformat()
    assert "valid_until" in error_fields(
        assert_problem(approve_document(api_as(staff), later, valid_until=too_long), 422, "invalid")
    )


def test_am13_a_document_is_valid_on_its_last_day_and_expired_the_next(emma, staff, clock):
    # given emma hand-picked, with every document; her vigilance dated 180 days ago
    approve_expert_profile(emma)
    expert_api, staff_api = api_as(emma), api_as(staff)
    issued = timezone.localdate() - timedelta(days=180)
    for kind in REQUIRED_DOCUMENTS:
        extra = {"issued_on": issued.isoformat()} if kind == "vigilance" else {}
        if kind in ("tax_compliance", "liability_insurance"):
            extra = {"issued_on": timezone.localdate().isoformat()}
        assert approve_document(staff_api, upload(expert_api, kind, **extra).json()["id"]).status_code == 200
    last_day = issued + timedelta(days=183)
    # when the clock reaches its last day, she is verified
    clock.move_to(at_noon(last_day))
    assert expert_api.get("/me").json()["expert_verified"] is True
    # and the day after, she is not
    clock.move_to(at_noon(last_day + timedelta(days=1)))
    assert expert_api.get("/me").json()["expert_verified"] is False
    with translation.override("en"):
        assert selectors.expert_verification_missing(emma)["documents"] == ["Attestation de vigilance (URSSAF)"]


@pytest.mark.parametrize("kind", ["vigilance", "tax_compliance", "liability_insurance"])
def test_am13_the_issue_date_is_required_for_attestations_and_insurance(emma, kind):
    problem = assert_problem(upload(api_as(emma), kind), 422, "invalid")
    assert "issued_on" in error_fields(problem)
    assert not VerificationDocument.objects.exists()


@pytest.mark.parametrize("kind", ["kbis", "bank_details", "dpae"])
def test_am13_the_issue_date_is_optional_for_the_others(emma, kind):
    response = upload(api_as(emma), kind)
    assert response.status_code == 201, response.content
    assert response.json()["issued_on"] is None


def test_am13_an_issue_date_in_the_future_or_too_old_is_refused(emma):
    api = api_as(emma)
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert "issued_on" in error_fields(
        assert_problem(upload(api, "vigilance", issued_on=tomorrow.isoformat()), 422, "invalid")
    )
    stale = timezone.localdate() - timedelta(days=184)
    problem = assert_problem(upload(api, "vigilance", issued_on=stale.isoformat()), 422, "invalid")
    assert "issued_on" in error_fields(problem)
    assert "trop ancien" in problem["detail"]
    # the last day is still accepted
    edge = timezone.localdate() - timedelta(days=183)
    assert upload(api, "vigilance", issued_on=edge.isoformat()).status_code == 201


def test_am13_a_document_that_expired_while_pending_cannot_be_approved(emma, staff, clock):
    issued = timezone.localdate() - timedelta(days=180)
    document_id = upload(api_as(emma), "vigilance", issued_on=issued.isoformat()).json()["id"]
    clock.shift(timedelta(days=4))
    assert_problem(approve_document(api_as(staff), document_id), 409, "document_expired")
    assert VerificationDocument.objects.get(pk=document_id).state == DocumentState.PENDING


def test_am13_stated_expiry_still_caps_the_validity(emma, staff):
    stated = timezone.localdate() + timedelta(days=20)
    document_id = upload(
        api_as(emma), "liability_insurance", issued_on=timezone.localdate().isoformat(), valid_until=stated.isoformat()
    ).json()["id"]
    assert approve_document(api_as(staff), document_id).json()["valid_until"] == stated.isoformat()


# --- AM17: hand-picked by staff --------------------------------------------------


def test_am17_documents_alone_do_not_make_an_expert_verified(emma):
    # given every document approved but a profile never approved
    approve_documents(emma)
    api = api_as(emma)
    assert api.get("/me").json()["expert_verified"] is False
    assert api.get("/me").json()["expert_profile_state"] == "draft"
    assert selectors.expert_verification_missing(emma) == {
        "status": "company",
        "profile": True,
        "profile_state": "draft",
        "documents": [],
    }
    # when staff approve her profile
    approve_expert_profile(emma)
    # then she is verified
    assert api.get("/me").json()["expert_verified"] is True
    assert api.get("/me").json()["expert_profile_state"] == "approved"


def test_am17_an_approved_profile_without_documents_is_not_verified(emma):
    approve_expert_profile(emma)
    assert not selectors.expert_is_verified(emma)


def test_am13_an_expired_document_makes_a_verified_expert_unverified(db, clock):
    expert = verified_expert()
    assert selectors.expert_is_verified(expert)
    clock.shift(timedelta(days=184))
    assert not selectors.expert_is_verified(expert)
    assert set(selectors.verified_expert_ids()) == set()


def test_am17_me_shows_the_profile_state_for_experts_only(emma, alice, acme):
    assert api_as(emma).get("/me").json()["expert_profile_state"] == "draft"
    assert api_as(alice).get("/me").json()["expert_profile_state"] is None
    assert api_as(acme).get("/me").json()["expert_profile_state"] is None


def test_am17_the_expert_fills_in_and_submits_the_profile(emma, staff):
    api = api_as(emma)
    profile = api.get("/me/expert-profile").json()
    assert profile["state"] == "draft"
    assert profile["id"] == str(emma.pk)
    # when she fills it in and sends it
    filled = fill_profile(api, skills=["  Python ", "python", "Data   viz"])
    assert filled["skills"] == ["Python", "Data viz"]
    assert filled["photo_url"].startswith(f"/experts/{emma.pk}/photo/")
    response = api.post("/me/expert-profile/submit")
    # then it waits for review, and staff are told
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "pending"
    notice = Notice.objects.get(user=staff)
    assert notice.kind == "expert_profile_submitted"
    assert notice.url == "/moderation/experts/"
    # and she cannot send it twice
    assert_problem(api.post("/me/expert-profile/submit"), 409, "wrong_state")
    # while a correction keeps it waiting, in its place
    fill_profile(api, headline="Consultante data senior")
    assert api.get("/me/expert-profile").json()["state"] == "pending"
    assert Notice.objects.filter(user=staff).count() == 1


def test_am17_an_incomplete_profile_is_refused_with_what_is_missing(emma):
    problem = assert_problem(api_as(emma).post("/me/expert-profile/submit"), 409, "profile_incomplete")
    assert "un titre, une présentation, une photo" in problem["detail"]
    assert ExpertProfile.objects.get(user=emma).state == ExpertProfileState.DRAFT
    # and in English, through the service
    with translation.override("en"), pytest.raises(services.ProfileIncomplete) as refusal:
        services.expert_profile_submit(user=emma)
    assert "add: a headline, a presentation, a photo" in refusal.value.detail


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "freelance", "headline": "", "bio": "", "skills": []}, "status"),
        ({"status": "company", "headline": "x" * 121, "bio": "", "skills": []}, "headline"),
        ({"status": "company", "headline": "", "bio": "", "skills": ["s"] * 21}, "skills"),
        ({"status": "company", "headline": "", "bio": "", "skills": ["x" * 41]}, "skills"),
        ({"status": "company", "headline": "a\x00", "bio": "", "skills": []}, "headline"),
    ],
)
def test_am17_a_bad_profile_is_refused(emma, body, field):
    api = api_as(emma)
    response = api.client.put("/api/v1/me/expert-profile", body, content_type="application/json", **api._headers(None))
    assert any(field in name for name in error_fields(assert_problem(response, 422, "invalid")))


@pytest.mark.parametrize("persona", ["alice", "acme", "staff"])
def test_am17_only_experts_have_a_profile(persona, request):
    api = api_as(request.getfixturevalue(persona))
    assert_problem(api.get("/me/expert-profile"), 403, "forbidden")
    assert_problem(api.post("/me/expert-profile/submit"), 403, "forbidden")


def test_am17_staff_queue_lists_pending_experts_oldest_submission_first(staff, clock):
    # given three experts submitting one after another, the first later edited back to draft-like refusal
    first = submitted_expert("first@example.fr")
    clock.shift(timedelta(minutes=5))
    second = submitted_expert("second@example.fr")
    clock.shift(timedelta(minutes=5))
    third = submitted_expert("third@example.fr")
    make_expert("draft@example.fr")
    staff_api = api_as(staff)
    # when staff list the queue two at a time
    page = staff_api.get("/staff/experts", state="pending", limit=2).json()
    rest = staff_api.get("/staff/experts", state="pending", limit=2, cursor=page["next_cursor"]).json()
    # then the longest-waiting come first, each with what staff review
    assert [item["id"] for item in page["items"]] == [str(first.pk), str(second.pk)]
    assert [item["id"] for item in rest["items"]] == [str(third.pk)]
    assert rest["next_cursor"] is None
    item = page["items"][0]
    assert item["headline"] == "Consultante data"
    assert item["state"] == "pending"
    assert item["verified"] is False
    assert [d["kind"] for d in item["required_documents"]] == list(REQUIRED_DOCUMENTS)
    # and a resubmission after a refusal goes to the back of the queue
    staff_api.post(f"/staff/experts/{first.pk}/refuse", {"reason": "Photo floue"})
    clock.shift(timedelta(minutes=5))
    fill_profile(api_as(first))
    api_as(first).post("/me/expert-profile/submit")
    ids = [item["id"] for item in staff_api.get("/staff/experts").json()["items"]]
    assert ids == [str(second.pk), str(third.pk), str(first.pk)]
    # other states are listed on request
    drafts = staff_api.get("/staff/experts", state="draft").json()["items"]
    assert [item["display_name"] for item in drafts] == ["Emma"]


@pytest.mark.parametrize("state", ["lost", "pending\x00"])
def test_am17_an_unknown_queue_state_or_cursor_is_refused(staff, state):
    api = api_as(staff)
    assert "state" in error_fields(assert_problem(api.get("/staff/experts", state=state), 422, "invalid"))
    assert "cursor" in error_fields(assert_problem(api.get("/staff/experts", cursor="bm9wZQ"), 422, "invalid"))


def test_am17_staff_approve_an_expert_who_is_told(staff, django_capture_on_commit_callbacks):
    expert = submitted_expert("ana@example.fr")
    approve_documents(expert)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(staff).post(f"/staff/experts/{expert.pk}/approve", {"note": "Bienvenue !"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "approved"
    assert body["verified"] is True
    assert body["review_note"] == "Bienvenue !"
    assert selectors.expert_is_verified(expert)
    notice = Notice.objects.get(user=expert)
    assert notice.kind == "expert_profile_approved"
    assert [message.to for message in mail.outbox] == [[expert.email]]
    moves = list(ExpertProfileTransition.objects.filter(profile_id=expert.pk).values_list("from_state", "to_state"))
    assert moves == [("", "draft"), ("draft", "pending"), ("pending", "approved")]
    assert ExpertProfileTransition.objects.get(profile_id=expert.pk, to_state="approved").by == staff


def test_am17_approval_note_is_optional(staff):
    expert = submitted_expert("ana@example.fr")
    response = api_as(staff).post(f"/staff/experts/{expert.pk}/approve", raw="")
    assert response.status_code == 200, response.content
    assert response.json()["verified"] is False  # no documents yet


def test_am17_staff_refuse_an_expert_with_a_reason(staff, django_capture_on_commit_callbacks):
    expert = submitted_expert("ana@example.fr")
    api = api_as(staff)
    for body in [{}, {"reason": ""}, {"reason": "   "}]:
        assert "reason" in error_fields(
            assert_problem(api.post(f"/staff/experts/{expert.pk}/refuse", body), 422, "invalid")
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/staff/experts/{expert.pk}/refuse", {"reason": "La photo est floue."})
    assert response.status_code == 200
    assert response.json()["state"] == "refused"
    mine = api_as(expert).get("/me/expert-profile").json()
    assert mine["refusal_reason"] == "La photo est floue."
    assert Notice.objects.get(user=expert).body == "La photo est floue."
    assert len(mail.outbox) == 1
    transition = ExpertProfileTransition.objects.get(profile_id=expert.pk, to_state="refused")
    assert (transition.by, transition.reason) == (staff, "La photo est floue.")


def test_am17_reviewing_a_profile_not_waiting_is_a_wrong_state(staff, emma):
    api = api_as(staff)
    assert_problem(api.post(f"/staff/experts/{emma.pk}/approve", {}), 409, "wrong_state")
    assert_problem(api.post(f"/staff/experts/{emma.pk}/refuse", {"reason": "no"}), 409, "wrong_state")
    expert = submitted_expert("ana@example.fr")
    assert api.post(f"/staff/experts/{expert.pk}/approve", {}).status_code == 200
    assert_problem(api.post(f"/staff/experts/{expert.pk}/approve", {}), 409, "wrong_state")
    assert_problem(api.post(f"/staff/experts/{expert.pk}/refuse", {"reason": "late"}), 409, "wrong_state")


@pytest.mark.parametrize("persona", ["emma", "alice", "acme"])
def test_am17_only_staff_review_experts(persona, request):
    expert = submitted_expert("ana@example.fr")
    api = api_as(request.getfixturevalue(persona))
    assert_problem(api.get("/staff/experts"), 403, "forbidden")
    assert_problem(api.post(f"/staff/experts/{expert.pk}/approve", {}), 403, "forbidden")
    assert_problem(api.post(f"/staff/experts/{expert.pk}/refuse", {"reason": "no"}), 403, "forbidden")
    assert ExpertProfile.objects.get(user=expert).state == ExpertProfileState.PENDING


@pytest.mark.parametrize("expert_id", ["abc", "99999999999999999999", "424242", "-1"])
def test_am17_reviewing_an_unknown_expert_is_404(staff, expert_id):
    api = api_as(staff)
    assert_problem(api.post(f"/staff/experts/{expert_id}/approve", {}), 404, "not_found")
    assert_problem(api.post(f"/staff/experts/{expert_id}/refuse", {"reason": "no"}), 404, "not_found")


def test_am17_a_non_expert_user_is_not_an_expert_to_review(staff, alice):
    assert_problem(api_as(staff).post(f"/staff/experts/{alice.pk}/approve", {}), 404, "not_found")


def test_am17_editing_an_approved_profile_sends_it_back_to_review(staff):
    expert = verified_expert()
    api = api_as(expert)
    assert api.get("/me").json()["expert_verified"] is True
    # when she changes her headline
    fill_profile(api, headline="Nouvelle accroche")
    # then her profile waits for review again, she cannot sell meanwhile, and staff are told
    assert api.get("/me/expert-profile").json()["state"] == "pending"
    assert api.get("/me").json()["expert_verified"] is False
    assert Notice.objects.filter(user=staff, kind="expert_profile_submitted").exists()
    assert_problem(api_as(None).get(f"/experts/{expert.pk}"), 404, "not_found")


def test_am17_the_public_profile_shows_only_approved_experts(anon, emma):
    assert_problem(anon.get(f"/experts/{emma.pk}"), 404, "not_found")
    fill_profile(api_as(emma))
    api_as(emma).post("/me/expert-profile/submit")
    assert_problem(anon.get(f"/experts/{emma.pk}"), 404, "not_found")
    ExpertProfile.objects.filter(user=emma).update(state=ExpertProfileState.APPROVED)
    public = anon.get(f"/experts/{emma.pk}").json()
    assert public == {
        "id": str(emma.pk),
        "display_name": "Emma",
        "headline": "Consultante data",
        "bio": "Dix ans d'analyse de données.",
        "skills": ["Python", "SQL"],
        "photo_url": public["photo_url"],
    }
    assert "status" not in public and "email" not in public
    # and its photo is served to anyone
    assert anon.client.get(public["photo_url"]).status_code == 200


@pytest.mark.parametrize("expert_id", ["abc", "424242"])
def test_am17_the_public_profile_of_an_unknown_expert_is_404(anon, expert_id):
    assert_problem(anon.get(f"/experts/{expert_id}"), 404, "not_found")


def test_am17_the_photo_is_re_encoded_without_metadata(emma):
    # given a photo carrying EXIF (a GPS position, a camera, a comment)
    image = Image.new("RGB", (2000, 1000), (10, 200, 40))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif, comment=b"secret")
    assert b"SpyCam" in buffer.getvalue()
    # when she sends it, named as she likes
    response = api_as(emma).upload(
        "/me/expert-profile/photo", {"file": SimpleUploadedFile("../../etc/passwd.jpg", buffer.getvalue())}
    )
    # then the stored photo is a fresh JPEG without metadata, shrunk, under a server-chosen name
    assert response.status_code == 200, response.content
    profile = ExpertProfile.objects.get(user=emma)
    stored = profile.photo.read()
    assert b"SpyCam" not in stored and b"secret" not in stored
    with Image.open(io.BytesIO(stored)) as result:
        assert result.format == "JPEG"
        assert not result.getexif()
        assert max(result.size) == 1024
    assert "passwd" not in profile.photo.name
    assert profile.photo.name.startswith(f"experts/{emma.pk}/")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", PDF),
        ("photo.gif", b"GIF89a" + b"\x00" * 100),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        ("photo.jpg", b""),
    ],
)
def test_am17_a_photo_that_is_not_an_image_is_refused(emma, name, content):
    response = api_as(emma).upload("/me/expert-profile/photo", {"file": SimpleUploadedFile(name, content)})
    assert "file" in error_fields(assert_problem(response, 422, "invalid"))
    assert not ExpertProfile.objects.get(user=emma).photo


def test_am17_the_photo_of_an_unapproved_profile_is_for_its_expert_and_staff(emma, staff, alice, client):
    fill_profile(api_as(emma))
    path = f"/experts/{emma.pk}/photo/"
    assert client.get(path).status_code == 404
    client.force_login(alice)
    assert client.get(path).status_code == 404
    client.force_login(emma)
    assert client.get(path).status_code == 200
    signed_in(client, staff)
    assert client.get(path).status_code == 200


def test_am17_verified_expert_ids_filter_in_one_query(db, django_assert_num_queries):
    # given two verified experts, one hand-picked without documents, one in wage portage without a DPAE
    vera = verified_expert("vera@example.fr")
    victor = verified_expert("victor@example.fr", status="wage_portage")
    picked = make_expert("picked@example.fr")
    approve_expert_profile(picked)
    portage = make_expert("portage@example.fr")
    approve_expert_profile(portage, status="wage_portage")
    approve_documents(portage)
    make_user("tasker@example.fr")
    # then one query filters any set of users down to the verified experts
    with django_assert_num_queries(1):
        ids = set(User.objects.filter(pk__in=selectors.verified_expert_ids()).values_list("pk", flat=True))
    assert ids == {vera.pk, victor.pk}
    with django_assert_num_queries(1):
        assert set(selectors.verified_expert_ids(among=User.objects.filter(email__startswith="v").values("pk"))) == {
            vera.pk,
            victor.pk,
        }


def test_am17_signup_gives_an_expert_a_draft_profile(db):
    expert = services.user_signup(
        role="expert", email="new@example.fr", password="a-long-enough-pass", display_name="New", accept_terms=True
    )
    assert ExpertProfile.objects.get(user=expert).state == ExpertProfileState.DRAFT
    assert ExpertProfileTransition.objects.filter(profile_id=expert.pk, from_state="", to_state="draft").exists()


def test_ac03_the_export_holds_the_expert_profile_and_document_dates(emma):
    fill_profile(api_as(emma))
    upload(api_as(emma), "vigilance", issued_on=timezone.localdate().isoformat())
    data = api_as(emma).get("/me/export").json()
    assert data["expert_profile"]["headline"] == "Consultante data"
    assert data["expert_profile"]["state"] == "draft"
    assert data["documents"][0]["issued_on"] == timezone.localdate().isoformat()
