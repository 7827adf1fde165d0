"""The conversation inside an order (AM10): the two parties only, and staff
in a dispute; closed once the order is over; frozen while it is disputed.
A message that seems to carry an email address or a phone number is kept,
flagged for staff, and its author is warned (seed 001: no personal contact
details are exchanged)."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.core.errors import Forbidden, InvalidInput
from microwork.core.states import WrongState
from microwork.core.uploads import ORDER_FILE, CheckedUpload, server_file_name, uploads_check
from microwork.notifications.services import notify

from ..models import ORDER_FINAL_STATES, MessageKind, Order, OrderFile, OrderMessage, OrderState
from .common import OrderClosed

MAX_BODY = 5_000
MAX_FILES = 5
_EMAIL = re.compile(r"[\w.+-]+\s*(@|\(at\)|\[at\])\s*[\w-]+(\.[\w-]+)+", re.IGNORECASE)


def carries_contact_details(text: str) -> bool:
    """Whether `text` seems to hold an email address or a phone number
    (French numbers written nationally, or any number in international form)."""
    if _EMAIL.search(text):
        return True
    return any(True for _match in phonenumbers.PhoneNumberMatcher(text, "FR"))


def files_check(files: Sequence[UploadedFile]) -> list[CheckedUpload]:
    """Each file checked (PDF or an image, read from its content), or a refusal."""
    if len(files) > MAX_FILES:
        raise InvalidInput(_("At most %(count)s files at once.") % {"count": MAX_FILES}, field="files")
    return uploads_check(files, ORDER_FILE)


@dataclass(frozen=True)
class StoredFile:
    """A checked upload already written to storage, waiting for its message."""

    path: str
    original: str
    name: str
    content_type: str
    size: int


def _store(checked: CheckedUpload) -> StoredFile:
    if checked.clean is None:
        path, original, size = (
            default_storage.save(f"orders/{server_file_name(checked.content_type)}", checked.upload),
            "",
            checked.size,
        )
    else:
        path = default_storage.save(f"orders/{server_file_name(checked.content_type)}", ContentFile(checked.clean))
        original = default_storage.save(f"orders/originals/{server_file_name(checked.content_type)}", checked.upload)
        size = len(checked.clean)
    return StoredFile(
        path=path, original=original, name=checked.client_name, content_type=checked.content_type, size=size
    )


def files_store(files: Sequence[UploadedFile]) -> list[StoredFile]:
    """Check each file and write it to storage under a server-chosen name (an
    image as a copy without metadata, beside its original for staff), before
    any transaction opens: storage may be a slow remote service."""
    stored: list[StoredFile] = []
    try:
        for checked in files_check(files):
            stored.append(_store(checked))
    except BaseException:
        files_discard(stored)
        raise
    return stored


def files_discard(stored: Sequence[StoredFile]) -> None:
    """Remove stored files whose message was never written."""
    for item in stored:
        for name in (item.path, item.original):
            if name:
                default_storage.delete(name)


def attach(message: OrderMessage, stored: Sequence[StoredFile]) -> None:
    OrderFile.objects.bulk_create(
        OrderFile(
            message=message,
            file=item.path,
            original=item.original,
            name=item.name,
            content_type=item.content_type,
            size=item.size,
        )
        for item in stored
    )


def message_post(*, order: Order, by: User, body: str, files: Sequence[UploadedFile] = ()) -> OrderMessage:
    """Post in the order's conversation (AM10)."""
    side = order.party(by.pk)
    if side is None and not (by.is_staff_member and order.state == OrderState.DISPUTED):
        raise Forbidden(_("Only the buyer and the expert write in an order."))
    body = body.strip()
    if not body and not files:
        raise InvalidInput(_("Write a message or attach a file."), field="body")
    if len(body) > MAX_BODY:
        raise InvalidInput(_("A message is at most 5,000 characters."), field="body")
    stored = files_store(files)
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update().select_related("buyer", "expert").get(pk=order.pk)
            if order.state in ORDER_FINAL_STATES:
                raise OrderClosed(_("This order is closed: messages are no longer possible."))
            if order.state == OrderState.DISPUTED and side is not None:
                raise WrongState(_("This order is disputed and frozen until staff decide."))
            message = OrderMessage.objects.create(
                order=order,
                author=by,
                kind=MessageKind.MESSAGE,
                body=body,
                contact_flagged=carries_contact_details(body),
            )
            attach(message, stored)
            for user in (order.buyer, order.expert):
                if user.pk != by.pk:
                    notify(
                        user=user,
                        kind="order_message",
                        title=lambda: _("New message on “%(title)s”") % {"title": order.title},
                        url=f"/commandes/{order.pk}/",
                    )
    except BaseException:
        files_discard(stored)
        raise
    return message
