"""Notices in the app, and the emails that go with them, sent after commit."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notice

if TYPE_CHECKING:
    from microwork.accounts.models import User


def notify(*, user: "User", kind: str, title: str, body: str = "", url: str = "", email: bool = False) -> Notice:
    """Record a notice for the user; with `email`, also mail it once the transaction commits."""
    notice = Notice.objects.create(user=user, kind=kind, title=title[:200], body=body, url=url[:300])
    if email and user.email:
        address = user.email
        transaction.on_commit(
            lambda: send_mail(title, body or title, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=True)
        )
    return notice


def notices_mark_read(*, user: "User") -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
