# ruff: noqa: RUF001
"""Expert profile and staff review pages (AM13, AM17), through Django's test client."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from microwork.accounts.models import ExpertProfile, ExpertProfileState, VerificationDocument
from microwork.notifications.models import Notice
from microwork.testing import (
    approve_documents,
    approve_expert_profile,
    make_expert,
    photo_jpeg,
    signed_in,
    verified_expert,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_am17_the_expert_fills_in_and_sends_the_profile_on_the_page(client, emma, staff):
    signed_in(client, emma)
    page = client.get(reverse("web:expert_profile"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mon profil d’expert" in html
    assert "Brouillon" in html
    # sending it empty says what is missing
    refused = client.post(reverse("web:expert_profile_submit"))
    assert refused.status_code == 400
    assert "un titre, une présentation, une photo" in refused.content.decode()
    # filling it in
    saved = client.post(
        reverse("web:expert_profile"),
        {"status": "wage_portage", "headline": "Traductrice", "bio": "Anglais, allemand.", "skills": "EN, DE, , FR"},
    )
    assert saved.status_code == 302
    photo = client.post(
        reverse("web:expert_profile_photo"), {"file": SimpleUploadedFile("moi.jpg", photo_jpeg(), "image/jpeg")}
    )
    assert photo.status_code == 302
    profile = ExpertProfile.objects.get(user=emma)
    assert (profile.status, profile.skills) == ("wage_portage", ["EN", "DE", "FR"])
    assert client.post(reverse("web:expert_profile_submit")).status_code == 302
    profile.refresh_from_db()
    assert profile.state == ExpertProfileState.PENDING
    assert Notice.objects.filter(user=staff, kind="expert_profile_submitted").exists()
    assert "En attente de vérification" in client.get(reverse("web:expert_profile")).content.decode()


def test_am17_a_bad_photo_is_shown_as_a_form_error(client, emma):
    response = signed_in(client, emma).post(
        reverse("web:expert_profile_photo"), {"file": SimpleUploadedFile("moi.jpg", PDF)}
    )
    assert response.status_code == 400
    assert response.context["photo_form"].errors["file"]


def test_am17_the_refusal_reason_is_shown_to_the_expert(client, emma):
    ExpertProfile.objects.filter(user=emma).update(state=ExpertProfileState.REFUSED, refusal_reason="Photo floue.")
    html = signed_in(client, emma).get(reverse("web:expert_profile")).content.decode()
    assert "Photo floue." in html
    assert "Modifications demandées" in html


@pytest.mark.parametrize("persona", ["alice", "acme", "staff"])
def test_am17_the_profile_page_is_for_experts(client, persona, request):
    signed_in(client, request.getfixturevalue(persona))
    assert client.get(reverse("web:expert_profile")).status_code == 403


def test_am17_the_dashboard_says_verified_only_when_the_expert_is(client, db):
    expert = verified_expert()
    html = signed_in(client, expert).get(reverse("web:dashboard")).content.decode()
    assert "Vérifié\u202f: vous pouvez vendre" in html
    assert "Pas encore vérifié" not in html


def test_am17_the_dashboard_says_what_is_missing(client, emma):
    # given all documents approved but the profile not approved yet
    approve_documents(emma)
    html = signed_in(client, emma).get(reverse("web:dashboard")).content.decode()
    assert "Vérifié\u202f: vous pouvez vendre" not in html
    assert "Pas encore vérifié" in html
    assert "Complétez votre profil et envoyez-le pour vérification." in html
    assert "Documents à envoyer" not in html
    # and with the profile approved and in wage portage, the DPAE is missing
    approve_expert_profile(emma, status="wage_portage")
    html = client.get(reverse("web:dashboard")).content.decode()
    assert "Vérifié\u202f: vous pouvez vendre" not in html
    assert "Documents à envoyer ou à faire approuver\u202f: DPAE (portage salarial)" in html


def test_am13_the_upload_form_takes_the_issue_date(client, emma):
    signed_in(client, emma)
    assert 'name="issued_on"' in client.get(reverse("web:dashboard")).content.decode()
    today = timezone.localdate().isoformat()
    missing = client.post(
        reverse("web:document_upload"), {"kind": "vigilance", "file": SimpleUploadedFile("v.pdf", PDF)}
    )
    assert missing.status_code == 400
    assert missing.context["document_form"].errors["issued_on"]
    sent = client.post(
        reverse("web:document_upload"),
        {"kind": "vigilance", "issued_on": today, "file": SimpleUploadedFile("v.pdf", PDF)},
    )
    assert sent.status_code == 302
    assert VerificationDocument.objects.get(user=emma).issued_on.isoformat() == today


def _submitted(email: str):
    expert = make_expert(email)
    approve_expert_profile(expert)
    ExpertProfile.objects.filter(user=expert).update(state=ExpertProfileState.PENDING, state_changed_at=timezone.now())
    return expert


def test_am17_staff_queue_page_lists_experts_oldest_first_with_their_documents(client, staff):
    first = _submitted("first@example.fr")
    second = _submitted("second@example.fr")
    approve_documents(second)
    ExpertProfile.objects.filter(user=second).update(state_changed_at=timezone.now() - timezone.timedelta(hours=1))
    page = signed_in(client, staff).get(reverse("web:staff_experts"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("second@example.fr") < html.index("first@example.fr")
    assert "Consultante data" in html and "Python, SQL" in html
    assert f"/experts/{first.pk}/photo/" in html
    assert "Manquant" in html and "Approuvé" in html
    assert "Experts à vérifier" in html


def test_am17_staff_approve_and_refuse_on_the_page(client, staff):
    ana, bea = _submitted("ana@example.fr"), _submitted("bea@example.fr")
    signed_in(client, staff)
    assert client.post(reverse("web:staff_expert_approve", args=[ana.pk]), {"note": ""}).status_code == 302
    refused = client.post(reverse("web:staff_expert_refuse", args=[bea.pk]), {"reason": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    assert refused.context["row"]["error"]
    assert 'role="alert"' in refused.content.decode()
    client.post(reverse("web:staff_expert_refuse", args=[bea.pk]), {"reason": "Trop vague."})
    states = dict(ExpertProfile.objects.values_list("user__email", "state"))
    assert states == {"ana@example.fr": "approved", "bea@example.fr": "refused"}
    # a second decision is refused and said so
    again = client.post(reverse("web:staff_expert_approve", args=[ana.pk]), HTTP_HX_REQUEST="true")
    assert again.context["row"]["error"]


@pytest.mark.parametrize("persona", ["emma", "alice", "acme"])
def test_am17_staff_pages_are_for_staff(client, persona, request):
    expert = _submitted("ana@example.fr")
    signed_in(client, request.getfixturevalue(persona))
    assert client.get(reverse("web:staff_experts")).status_code == 403
    assert client.post(reverse("web:staff_expert_approve", args=[expert.pk])).status_code == 403
    assert ExpertProfile.objects.get(user=expert).state == ExpertProfileState.PENDING


def test_am17_staff_review_of_an_unknown_expert_is_404(client, staff):
    assert signed_in(client, staff).post(reverse("web:staff_expert_approve", args=[424242])).status_code == 404
