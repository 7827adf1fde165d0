"""Contact messages kept for staff (HM18). Below notifications, which stores
each message here before it tells staff and thanks the sender."""

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.accounts.roles import require_role
from microwork.core.states import state_move, state_start

from .models import CONTACT_MOVES, ContactMessage, ContactMessageTransition, ContactState

if TYPE_CHECKING:
    from microwork.accounts.models import User


def contact_message_record(*, email: str, name: str, subject: str, message: str) -> ContactMessage:
    """Keep a contact message (already cleaned by the caller), open, for the staff inbox."""
    with transaction.atomic():
        kept = ContactMessage.objects.create(
            email=email, name=name, subject=subject, message=message, created_at=timezone.now()
        )
        state_start(kept, allowed=CONTACT_MOVES, history=ContactMessageTransition, contact=kept)
    return kept


def contact_message_move(*, contact: ContactMessage, by: "User", to: str, note: str = "") -> ContactMessage:
    """Mark a contact message answered or closed (staff only)."""
    require_role(by, "staff", message=_("Only staff handle contact messages."))
    with transaction.atomic():
        contact = ContactMessage.objects.select_for_update().get(pk=contact.pk)
        state_move(
            contact,
            to,
            allowed=CONTACT_MOVES,
            history=ContactMessageTransition,
            by=by,
            reason=note,
            contact=contact,
            message=_("This message is already %(state)s.") % {"state": ContactState(contact.state).label},
        )
    return contact
