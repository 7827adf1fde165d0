"""What a report photo says of itself, kept on its report file (HM13): its
capture time, position and perceptual hash, and the link to a photo sent
before that is the same or nearly."""

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from microwork.core.photos import PhotoFacts, hash_bands, photo_facts
from microwork.core.uploads import REPORT_PHOTO

from ..models import ReportFile
from ..selectors import photo_sent_before


def photo_fields(facts: PhotoFacts | None) -> dict[str, Any]:
    """The report file's fields for these facts; none for a file that is not an image."""
    if facts is None:
        return {}
    fields: dict[str, Any] = {
        "taken_at": facts.taken_at,
        "taken_latitude": facts.latitude,
        "taken_longitude": facts.longitude,
        "phash": facts.phash,
    }
    if facts.phash:
        fields.update({f"phash_band_{n}": band for n, band in enumerate(hash_bands(facts.phash))})
    return fields


def photo_link_duplicate(added: ReportFile) -> None:
    """Link a photo to the first one sent before that is the same or nearly;
    that one is linked back unless it already names another."""
    if not added.phash:
        return
    earlier = photo_sent_before(added.phash, exclude_pk=added.pk)
    if earlier is None:
        return
    added.duplicate_of_id = earlier
    added.save(update_fields=["duplicate_of"])
    ReportFile.objects.filter(pk=earlier, duplicate_of__isnull=True).update(duplicate_of=added)


def report_photos_read(*, limit: int = 1000) -> int:
    """Read the facts of report photos sent before they were read at upload
    (`phash` null), oldest first, from the original kept for staff (or the
    copy shown, whose hash is the same, when there is none); returns how many
    were read. Each photo is read outside any transaction and saved in its own."""
    pending = ReportFile.objects.filter(phash__isnull=True, content_type__startswith="image/").order_by("pk")
    done = 0
    for upload in pending[:limit]:
        stored = upload.original or upload.file
        try:
            with stored.open("rb") as source:
                data = source.read()
        except OSError:
            facts = PhotoFacts(None, None, None, "")
        else:
            facts = photo_facts(SimpleUploadedFile("photo", data), REPORT_PHOTO)
        with transaction.atomic():
            fields = photo_fields(facts)
            for name, value in fields.items():
                setattr(upload, name, value)
            upload.save(update_fields=list(fields))
            photo_link_duplicate(upload)
        done += 1
    return done
