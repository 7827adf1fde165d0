import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from microwork.notifications.models import Notice
from microwork.testing import make_staff


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def test_hm18_a_visitor_s_message_reaches_every_staff_member(client, staff, django_capture_on_commit_callbacks):
    # given two staff members
    other = make_staff("second-staff@microwork.fr")
    # when a visitor sends the contact form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("notifications:contact"),
            {
                "name": "Zoé",
                "email": "zoe@example.fr",
                "subject": "Paiement",
                "message": "Mon retrait n'est pas arrivé.",
            },
        )
    # then each staff member gets a notice and an email with the message and who sent it
    assert response.status_code == 302
    for member in (staff, other):
        notice = Notice.objects.get(user=member, kind="contact")
        assert "Paiement" in notice.title
        assert "zoe@example.fr" in notice.body and "retrait" in notice.body
    assert sorted(m.to[0] for m in mail.outbox) == sorted([staff.email, other.email])


def test_hm18_bad_input_is_shown_on_the_form_and_sends_nothing(client, staff):
    response = client.post(
        reverse("notifications:contact"),
        {"name": "Zoé", "email": "zoe@example.fr", "subject": "Hi", "message": "short"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["message"]
    assert not Notice.objects.exists()
    assert mail.outbox == []


def test_hm18_the_form_is_rate_limited_per_sender(client, staff):
    form = {
        "name": "Zoé",
        "email": "zoe@example.fr",
        "subject": "Question",
        "message": "Une question sur les missions.",
    }
    for _ in range(5):
        assert client.post(reverse("notifications:contact"), form).status_code == 302
    refused = client.post(reverse("notifications:contact"), form)
    assert refused.status_code == 400
    assert Notice.objects.filter(user=staff).count() == 5


def test_hm18_the_contact_page_is_in_french_and_prefilled_for_a_signed_in_user(client, alice):
    client.force_login(alice)
    page = client.get(reverse("notifications:contact")).content.decode()
    assert "Contactez-nous" in page
    assert alice.email in page
