"""Expert verification documents (AM13): upload, staff review, expiry."""

from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.core.errors import Conflict, Forbidden, InvalidInput, required_text
from microwork.core.states import state_move, state_require, state_start
from microwork.core.uploads import DOCUMENT, upload_check

from ..models import (
    DOCUMENT_MOVES,
    DOCUMENT_VALIDITY,
    ISSUE_DATE_REQUIRED,
    DocumentKind,
    DocumentState,
    DocumentTransition,
    User,
    VerificationDocument,
)
from ..roles import require_role

# --- Expert verification documents (AM13) --------------------------------


def document_upload(
    *,
    user: User,
    kind: str,
    upload: UploadedFile,
    valid_until: date | None = None,
    issued_on: date | None = None,
) -> VerificationDocument:
    """A document for staff to check. Its validity runs from `issued_on`, the
    date the document itself bears (required where AM13 limits the validity)."""
    require_role(user, "expert", message=_("Only experts upload verification documents."))
    if kind not in DocumentKind.values:
        raise InvalidInput(_("Unknown document kind."), field="kind")
    checked = upload_check(upload, DOCUMENT)
    today = timezone.localdate()
    if valid_until is not None and valid_until < today:
        raise InvalidInput(_("This document has already expired."), field="valid_until")
    if issued_on is None and kind in ISSUE_DATE_REQUIRED:
        raise InvalidInput(_("Give the date printed on the document."), field="issued_on")
    if issued_on is not None:
        if issued_on > today:
            raise InvalidInput(_("The issue date cannot be in the future."), field="issued_on")
        period = DOCUMENT_VALIDITY[kind]
        if period is not None and issued_on + period < today:
            raise InvalidInput(
                _("This document is too old: it was valid until %(date)s.")
                % {"date": (issued_on + period).isoformat()},
                field="issued_on",
            )
    # Only the expert and staff ever see a document: it is kept as sent, under
    # a name the server chooses (models.document_path).
    with transaction.atomic():
        document = VerificationDocument.objects.create(
            user=user,
            kind=kind,
            file=upload,
            content_type=checked.content_type,
            stated_valid_until=valid_until,
            issued_on=issued_on,
        )
        state_start(document, allowed=DOCUMENT_MOVES, history=DocumentTransition, by=user, document=document)
    return document


def document_longest_validity(document: VerificationDocument, today: date) -> date | None:
    """The last day the document may be valid (AM13): its period counted from
    the date it bears (`issued_on`; from `today` for a document sent before
    experts stated that date), and never past the expiry the expert stated.
    The document is valid on that day and expired the day after."""
    period = DOCUMENT_VALIDITY[document.kind]
    start = document.issued_on or today
    limits = [d for d in (document.stated_valid_until, start + period if period else None) if d is not None]
    return min(limits) if limits else None


def document_approve(
    *, document: VerificationDocument, by: User, valid_until: date | None = None
) -> VerificationDocument:
    """Approve a document until its expiry: at most what AM13 allows."""
    require_role(by, "staff", message=Forbidden.title)
    today = timezone.localdate()
    with transaction.atomic():
        document = VerificationDocument.objects.select_for_update().get(pk=document.pk)
        state_require(
            document,
            DocumentState.APPROVED,
            allowed=DOCUMENT_MOVES,
            message=_("Only a pending document can be approved."),
            code="document_not_pending",
        )
        longest = document_longest_validity(document, today)
        if longest is not None and longest < today:
            raise Conflict(
                _("This document expired on %(date)s; ask the expert for a newer one.") % {"date": longest.isoformat()},
                code="document_expired",
            )
        if valid_until is not None:
            if valid_until < today:
                raise InvalidInput(_("The expiry date is in the past."), field="valid_until")
            if longest is not None and valid_until > longest:
                raise InvalidInput(
                    _("This document can be valid until %(date)s at the latest.") % {"date": longest.isoformat()},
                    field="valid_until",
                )
        document.valid_until = valid_until or longest
        document.reviewed_by = by
        document.reviewed_at = timezone.now()
        state_move(
            document,
            DocumentState.APPROVED,
            allowed=DOCUMENT_MOVES,
            history=DocumentTransition,
            by=by,
            update_fields=("valid_until", "reviewed_by", "reviewed_at"),
            document=document,
        )
    return document


def document_refuse(*, document: VerificationDocument, by: User, reason: str) -> VerificationDocument:
    require_role(by, "staff", message=Forbidden.title)
    reason = required_text(reason, _("Give the expert a reason."))
    with transaction.atomic():
        document = VerificationDocument.objects.select_for_update().get(pk=document.pk)
        state_require(
            document,
            DocumentState.REFUSED,
            allowed=DOCUMENT_MOVES,
            message=_("Only a pending document can be refused."),
            code="document_not_pending",
        )
        document.refusal_reason = reason[:500]
        document.reviewed_by = by
        document.reviewed_at = timezone.now()
        state_move(
            document,
            DocumentState.REFUSED,
            allowed=DOCUMENT_MOVES,
            history=DocumentTransition,
            by=by,
            reason=reason,
            update_fields=("refusal_reason", "reviewed_by", "reviewed_at"),
            document=document,
        )
    return document


def documents_expire() -> int:
    """Mark approved documents past their expiry as expired; returns how many."""
    today = timezone.localdate()
    due = VerificationDocument.objects.filter(state=DocumentState.APPROVED, valid_until__lt=today)
    count = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            document = VerificationDocument.objects.select_for_update().get(pk=pk)
            if document.state == DocumentState.APPROVED and document.valid_until and document.valid_until < today:
                state_move(
                    document,
                    DocumentState.EXPIRED,
                    allowed=DOCUMENT_MOVES,
                    history=DocumentTransition,
                    reason="validity ended",
                    document=document,
                )
                count += 1
    return count


def document_expiry_warning_mark(*, document_id: int) -> VerificationDocument | None:
    """Remember that the expert is being told the document expires soon; None
    when someone already did (the caller sends the notice in the same transaction)."""
    with transaction.atomic():
        document = VerificationDocument.objects.select_for_update().select_related("user").get(pk=document_id)
        if document.expiry_warned_at is not None or document.state != DocumentState.APPROVED:
            return None
        document.expiry_warned_at = timezone.now()
        document.save(update_fields=["expiry_warned_at"])
    return document
