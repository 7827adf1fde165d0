"""Notices in the app, and the emails that go with them, sent after commit."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from microwork.core.errors import InvalidInput
from microwork.core.ratelimit import rate_limit
from microwork.moderation.inbox import contact_message_record

from .models import Notice

if TYPE_CHECKING:
    from microwork.accounts.models import User

CONTACT_PER_HOUR = 5


# A notice's words: a string, or a function that writes them in the active
# language, called in the recipient's language (a string stays as it is).
Text = str | Callable[[], str]


def user_language(user: "User") -> str:
    """The language a user reads the site in, as last seen on the pages."""
    language = getattr(user, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def notify(*, user: "User", kind: str, title: Text, body: Text = "", url: str = "", email: bool = False) -> Notice:
    """Record a notice for the user, worded in the user's language, not the
    sender's; with `email`, also mail it once the transaction commits."""
    with translation.override(user_language(user)):
        title = title() if callable(title) else title
        body = body() if callable(body) else body
    notice = Notice.objects.create(user=user, kind=kind, title=title[:200], body=body, url=url[:300])
    if email and user.email:
        address, subject, text = user.email, title, body or title
        transaction.on_commit(
            lambda: send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=True)
        )
    return notice


def notices_mark_read(*, user: "User") -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def contact_staff(*, email: str, name: str, subject: str, message: str, client_key: str) -> int:
    """A message from the contact form is kept for the staff inbox, and reaches
    every staff member as a notice and by email (HM18). `client_key` (the sender's address) bounds the rate."""
    from microwork.accounts.models import Role, User

    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(_("Enter a valid email address."), field="email") from None
    name, subject, message = name.strip()[:120], subject.strip(), message.strip()
    if not subject or len(subject) > 200:
        raise InvalidInput(_("Give a subject (at most 200 characters)."), field="subject")
    if not 10 <= len(message) <= 5000:
        raise InvalidInput(_("Write your message (10 to 5000 characters)."), field="message")
    rate_limit(
        f"contact:{client_key}",
        limit=CONTACT_PER_HOUR,
        window_seconds=3600,
        message=_("Too many messages; try again in an hour."),
    )
    staff = User.objects.filter(Q(role=Role.STAFF) | Q(is_staff=True), is_active=True)
    body = f"{name} <{email}>\n\n{message}"
    with transaction.atomic():
        # Kept first, for the staff inbox: never lost, even with no staff account to tell.
        contact_message_record(email=email, name=name, subject=subject, message=message)
        count = 0
        for member in staff:
            notify(
                user=member,
                kind="contact",
                title=lambda: _("Contact: %(subject)s") % {"subject": subject},
                body=body,
                email=True,
            )
            count += 1
    return count
