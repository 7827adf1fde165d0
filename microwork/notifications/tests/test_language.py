"""Notices and emails are written in the reader's language, not the sender's."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.missions import services as missions
from microwork.notifications.models import Notice
from microwork.notifications.services import notify, user_language
from microwork.testing import ACCOUNT, english, make_published, signed_in

pytestmark = pytest.mark.django_db


def test_notice_is_worded_in_the_recipients_language(alice):
    User.objects.filter(pk=alice.pk).update(language="en")
    alice.refresh_from_db()
    # when a French page causes a notice for an English reader
    with translation.override("fr"):
        notice = notify(user=alice, kind="test", title=lambda: _("Terms"), body="Merci")
        # then the notice is in English, and the sender's language is left as it was
        assert translation.get_language() == "fr"
    assert notice.title == "Terms"


def test_a_reader_without_a_language_gets_the_sites_default(alice, settings):
    assert user_language(alice) == settings.LANGUAGE_CODE == "fr"
    notice = notify(user=alice, kind="test", title=lambda: _("Terms"))
    assert notice.title == "Conditions"


def test_hm14_company_reading_english_is_told_of_a_report_in_english(
    acme, staff, alice, django_capture_on_commit_callbacks
):
    # given a company that reads the site in English, and a tasker who uses it in French
    User.objects.filter(pk=acme.pk).update(language="en")
    acme.refresh_from_db()
    mission = make_published(acme, staff, questions=[])
    claim = missions.claim_create(mission=mission, tasker=alice)
    # when the tasker sends her report from a French page
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        missions.claim_report(claim=claim, by=alice, text=ACCOUNT)
    # then the company's notice and email are in English
    notice = Notice.objects.get(user=acme, kind="report_submitted")
    assert notice.title == f"New report on “{mission.title}”"
    assert "has finished the mission" in notice.body
    assert mail.outbox[-1].subject == notice.title and mail.outbox[-1].to == [acme.email]


def test_the_language_used_on_the_pages_is_remembered(client, alice):
    signed_in(client, alice)
    client.get(reverse("web:dashboard"))
    alice.refresh_from_db()
    assert alice.language == "fr"
    english(client).get(reverse("web:dashboard"))
    alice.refresh_from_db()
    assert alice.language == "en"


def test_ac03_export_email_from_the_worker_is_in_the_owners_language(alice, bob, settings, tmp_path):
    from microwork.ops.tasks import export_build

    settings.EXPORT_ROOT = tmp_path
    User.objects.filter(pk=alice.pk).update(language="en")
    mail.outbox.clear()
    export_build.call(alice.pk)
    export_build.call(bob.pk)
    assert mail.outbox[0].subject == "Your Microwork data is ready"
    assert mail.outbox[1].subject == "Vos données Microwork sont prêtes"
