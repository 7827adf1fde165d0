"""Contact messages (HM18) are kept for staff's inbox, never lost."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from microwork.accounts.models import User
from microwork.moderation.models import ContactMessage, ContactMessageTransition, ContactState
from microwork.notifications.models import Notice
from microwork.testing import api_as, signed_in

FORM = {
    "name": "Zoé",
    "email": "zoe@example.fr",
    "subject": "Paiement",
    "message": "Mon retrait n'est pas arrivé.",
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def test_hm18_contact_message_kept_with_no_staff_account(client, db):
    assert not User.objects.filter(role="staff").exists()
    response = client.post(reverse("notifications:contact"), FORM)
    assert response.status_code == 302
    kept = ContactMessage.objects.get()
    assert (kept.email, kept.name, kept.subject, kept.state) == ("zoe@example.fr", "Zoé", "Paiement", "open")
    assert "retrait" in kept.message
    assert not Notice.objects.exists()


def test_hm18_kept_and_staff_told_when_staff_exist(client, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notifications:contact"), FORM)
    assert ContactMessage.objects.count() == 1
    assert Notice.objects.filter(user=staff, kind="contact").count() == 1
    assert [m.to for m in mail.outbox] == [[staff.email]]


def test_hm18_a_refused_message_is_not_kept(client, db):
    client.post(reverse("notifications:contact"), {**FORM, "message": "court"})
    assert not ContactMessage.objects.exists()


def test_hm18_staff_read_and_close_messages_in_the_inbox(client, staff):
    client.post(reverse("notifications:contact"), FORM)
    kept = ContactMessage.objects.get()
    signed_in(client, staff)
    page = client.get(reverse("moderation:staff_contacts")).content.decode()
    assert f'data-testid="contact-{kept.pk}"' in page and "zoe@example.fr" in page
    client.post(reverse("moderation:staff_contact_move", args=[kept.pk, "repondu"]))
    kept.refresh_from_db()
    assert kept.state == ContactState.ANSWERED
    assert f'data-testid="contact-{kept.pk}"' not in client.get(reverse("moderation:staff_contacts")).content.decode()
    closed = api_as(staff).post(f"/staff/contact-messages/{kept.pk}/close")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    again = api_as(staff).post(f"/staff/contact-messages/{kept.pk}/close")
    assert again.status_code == 409
    moves = ContactMessageTransition.objects.filter(contact=kept).order_by("pk")
    assert [(m.from_state, m.to_state) for m in moves] == [("", "open"), ("open", "answered"), ("answered", "closed")]


def test_hm18_the_api_lists_open_messages_oldest_first_for_staff_only(client, staff, alice):
    client.post(reverse("notifications:contact"), FORM)
    client.post(reverse("notifications:contact"), {**FORM, "subject": "Compte"})
    items = api_as(staff).get("/staff/contact-messages", state="open").json()["items"]
    assert [item["subject"] for item in items] == ["Paiement", "Compte"]
    assert api_as(alice).get("/staff/contact-messages").status_code == 403
