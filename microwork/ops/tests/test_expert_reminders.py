"""tick tells an expert, once, that a document expires within 14 days (AM13)."""

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from microwork.accounts.models import DocumentKind, VerificationDocument
from microwork.notifications.models import Notice
from microwork.ops.tick import run_due
from microwork.testing import verified_expert

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def noon(day):
    return timezone.make_aware(datetime.combine(day, time(12)))


def test_am13_tick_warns_the_expert_14_days_before_a_document_expires_once(
    time_machine, django_capture_on_commit_callbacks
):
    # given a verified expert whose vigilance and tax attestations end in 183 days, her insurance in 365
    time_machine.move_to(noon(timezone.localdate()), tick=False)
    expert = verified_expert()
    vigilance = VerificationDocument.objects.get(user=expert, kind=DocumentKind.VIGILANCE)
    assert vigilance.valid_until is not None
    # when tick runs 15 days before the end, nothing is said
    time_machine.move_to(noon(vigilance.valid_until - timedelta(days=15)), tick=False)
    assert run_due()["document_expiry_warnings"] == 0
    assert not Notice.objects.filter(user=expert).exists()
    # and 14 days before, she is told of both attestations, in the app and by email
    time_machine.move_to(noon(vigilance.valid_until - timedelta(days=14)), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_due()["document_expiry_warnings"] == 2
    notices = Notice.objects.filter(user=expert, kind="document_expiring")
    assert notices.count() == 2
    assert len(mail.outbox) == 2
    assert VerificationDocument.objects.filter(user=expert, expiry_warned_at__isnull=False).count() == 2
    # and the next ticks say nothing more about them
    with django_capture_on_commit_callbacks(execute=True):
        call_command("tick")
        time_machine.shift(timedelta(days=3))
        assert run_due()["document_expiry_warnings"] == 0
    assert notices.count() == 2
    assert len(mail.outbox) == 2


def test_am13_no_warning_when_a_newer_document_is_already_approved(time_machine):
    time_machine.move_to(noon(timezone.localdate()), tick=False)
    expert = verified_expert()
    vigilance = VerificationDocument.objects.get(user=expert, kind=DocumentKind.VIGILANCE)
    assert vigilance.valid_until is not None
    # given a renewed attestation approved before the old one nears its end
    renewed = VerificationDocument.objects.get(pk=vigilance.pk)
    renewed.pk = None
    renewed.valid_until = vigilance.valid_until + timedelta(days=100)
    renewed.save()
    time_machine.move_to(noon(vigilance.valid_until - timedelta(days=10)), tick=False)
    run_due()
    warned = set(
        VerificationDocument.objects.filter(user=expert, expiry_warned_at__isnull=False).values_list("kind", flat=True)
    )
    assert warned == {"tax_compliance"}
