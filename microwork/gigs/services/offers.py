"""What experts sell (AM01-AM03): create, edit and withdraw offers, their
extras and gallery, and keep the search index in step."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Value
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.accounts.selectors import expert_is_verified
from microwork.accounts.services import ExpertNotVerified
from microwork.core.errors import Conflict, InvalidInput
from microwork.core.states import state_move, state_require, state_start
from microwork.core.uploads import JPEG, OFFER_IMAGE, image_jpegs, server_file_name
from microwork.moderation.selectors import ensure_not_suspended

from ..models import OFFER_MOVES, Offer, OfferExtra, OfferImage, OfferState, OfferTransition
from ..search import DUPLICATE_THRESHOLD, plain, similarity, stemmed

MAX_OFFERS = 5  # AM03
MAX_EXTRAS = 5
MAX_KEYWORDS = 10
MAX_IMAGES = 6
PRICE_MIN_CENTS = 500
PRICE_MAX_CENTS = 1_000_000
MAX_DELIVERY_DAYS = 90
MAX_EXTRA_DAYS = 30
IMAGE_MAX_SIDE = 1600
THUMB_SIDE = 400
# Video links are embedded from these hosts only.
VIDEO_HOSTS = frozenset(
    {
        "youtube.com",
        "www.youtube.com",
        "youtu.be",
        "vimeo.com",
        "player.vimeo.com",
        "dailymotion.com",
        "www.dailymotion.com",
    }
)


class OfferLimitReached(Conflict):
    code = "offer_limit_reached"


class DuplicateOffer(Conflict):
    code = "duplicate_offer"


@dataclass(frozen=True)
class ExtraIn:
    name: str
    price_cents: int
    extra_days: int = 0


@dataclass(frozen=True)
class OfferFields:
    """An offer as the expert types it, checked by `offer_fields_clean`."""

    kind: str
    title: str
    category: str
    description: str
    price_cents: int
    delivery_days: int
    keywords: tuple[str, ...] = ()
    extras: tuple[ExtraIn, ...] = ()
    opening_message: str = ""
    ip_note: str = ""
    video_url: str = ""


def require_seller(user: User) -> None:
    """Only an expert whom staff approved, with every document valid, sells (AM13, AM17)."""
    if not user.is_expert or not expert_is_verified(user):
        raise ExpertNotVerified(_("Only verified experts sell: complete your profile and documents first."))
    ensure_not_suspended(user)


def _clean_video(url: str) -> str:
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme != "https" or (parts.hostname or "") not in VIDEO_HOSTS:
        raise InvalidInput(_("Video links are accepted from YouTube, Vimeo or Dailymotion (https)."), field="video_url")
    return url


def offer_fields_clean(fields: OfferFields) -> OfferFields:
    """The rules an offer's fields follow, for the API and the pages alike (AM01)."""
    title = fields.title.strip()
    if len(title) < 5:
        raise InvalidInput(_("Give the offer a title of at least 5 characters."), field="title")
    description = fields.description.strip()
    if len(description) < 20:
        raise InvalidInput(_("Describe the offer in at least 20 characters."), field="description")
    if not PRICE_MIN_CENTS <= fields.price_cents <= PRICE_MAX_CENTS:
        raise InvalidInput(_("The price is between 5 € and 10,000 €, VAT included."), field="price_cents")
    if not 1 <= fields.delivery_days <= MAX_DELIVERY_DAYS:
        raise InvalidInput(_("Delivery takes 1 to %(days)s days.") % {"days": MAX_DELIVERY_DAYS}, field="delivery_days")
    keywords = tuple(dict.fromkeys(k.strip().lower() for k in fields.keywords if k.strip()))
    if len(keywords) > MAX_KEYWORDS or any(len(k) > 40 for k in keywords):
        raise InvalidInput(
            _("At most %(count)s keywords of 40 characters each.") % {"count": MAX_KEYWORDS}, field="keywords"
        )
    if len(fields.extras) > MAX_EXTRAS:
        raise InvalidInput(_("At most %(count)s extras.") % {"count": MAX_EXTRAS}, field="extras")
    extras = []
    for extra in fields.extras:
        name = extra.name.strip()
        if not name or len(name) > 120:
            raise InvalidInput(_("Each extra needs a name of at most 120 characters."), field="extras")
        if not 100 <= extra.price_cents <= PRICE_MAX_CENTS:
            raise InvalidInput(_("An extra costs between 1 € and 10,000 €."), field="extras")
        if not 0 <= extra.extra_days <= MAX_EXTRA_DAYS:
            raise InvalidInput(_("An extra adds 0 to %(days)s days.") % {"days": MAX_EXTRA_DAYS}, field="extras")
        extras.append(ExtraIn(name=name, price_cents=extra.price_cents, extra_days=extra.extra_days))
    return OfferFields(
        kind=fields.kind,
        title=title,
        category=fields.category,
        description=description,
        price_cents=fields.price_cents,
        delivery_days=fields.delivery_days,
        keywords=keywords,
        extras=tuple(extras),
        opening_message=fields.opening_message.strip(),
        ip_note=fields.ip_note.strip(),
        video_url=_clean_video(fields.video_url),
    )


def _check_not_duplicate(expert: User, fields: OfferFields, *, other_than: int | None = None) -> None:
    """AM03: an offer whose title and description share `DUPLICATE_THRESHOLD`
    of their words (see search.similarity) with one of the expert's live
    offers is the same offer twice."""
    text = f"{fields.title} {fields.description}"
    live = Offer.objects.filter(expert=expert, state=OfferState.LIVE)
    if other_than is not None:
        live = live.exclude(pk=other_than)
    for title, description in live.values_list("title", "description"):
        if similarity(text, f"{title} {description}") >= DUPLICATE_THRESHOLD:
            raise DuplicateOffer(
                _("This offer is too close to your offer “%(title)s”: change it instead.") % {"title": title}
            )


def _index(offer: Offer) -> None:
    """Write the offer's words where search reads them (see search.py)."""
    keywords = " ".join(offer.keywords)
    offer.search_text = plain(f"{offer.title} {keywords} {offer.description}")
    Offer.objects.filter(pk=offer.pk).update(search_text=offer.search_text)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchVector

        Offer.objects.filter(pk=offer.pk).update(
            search_vector=SearchVector(Value(plain(offer.title)), weight="A", config="french")
            + SearchVector(Value(plain(keywords)), weight="B", config="french")
            + SearchVector(Value(plain(offer.description)), weight="C", config="french")
        )
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM gigs_offer_fts WHERE rowid = %s", [offer.pk])
            if offer.state == OfferState.LIVE:
                cursor.execute(
                    "INSERT INTO gigs_offer_fts (rowid, title, keywords, description) VALUES (%s, %s, %s, %s)",
                    [offer.pk, stemmed(offer.title), stemmed(keywords), stemmed(offer.description)],
                )


def _write_extras(offer: Offer, extras: tuple[ExtraIn, ...]) -> None:
    offer.extras.all().delete()
    OfferExtra.objects.bulk_create(
        OfferExtra(offer=offer, position=i, name=e.name, price_cents=e.price_cents, extra_days=e.extra_days)
        for i, e in enumerate(extras)
    )


def offer_create(*, expert: User, fields: OfferFields) -> Offer:
    """Publish an offer (AM01-AM03): at most 5 live per expert, none a near-duplicate."""
    require_seller(expert)
    fields = offer_fields_clean(fields)
    with transaction.atomic():
        # One expert's offers are created one at a time, so the limit holds under double clicks.
        User.objects.select_for_update().only("pk").get(pk=expert.pk)
        if Offer.objects.filter(expert=expert, state=OfferState.LIVE).count() >= MAX_OFFERS:
            raise OfferLimitReached(_("You already have %(count)s offers: withdraw one first.") % {"count": MAX_OFFERS})
        _check_not_duplicate(expert, fields)
        offer = Offer.objects.create(expert=expert, state=OfferState.LIVE, **_model_fields(fields))
        state_start(offer, allowed=OFFER_MOVES, history=OfferTransition, by=expert, offer=offer)
        _write_extras(offer, fields.extras)
        _index(offer)
    return offer


def _model_fields(fields: OfferFields) -> dict[str, Any]:
    return {
        "kind": fields.kind,
        "title": fields.title,
        "category": fields.category,
        "description": fields.description,
        "price_cents": fields.price_cents,
        "delivery_days": fields.delivery_days,
        "keywords": list(fields.keywords),
        "opening_message": fields.opening_message,
        "ip_note": fields.ip_note,
        "video_url": fields.video_url,
    }


def offer_update(*, offer: Offer, by: User, fields: OfferFields) -> Offer:
    """Change a live offer; orders already placed keep the terms they were placed on."""
    require_seller(by)
    fields = offer_fields_clean(fields)
    with transaction.atomic():
        # The expert's row first, as in `offer_create`: two edits (or an edit and
        # a creation) at once cannot both pass the duplicate check (AM03).
        User.objects.select_for_update().only("pk").get(pk=offer.expert_id)
        offer = Offer.objects.select_for_update().get(pk=offer.pk)
        # An offer is changed while it is on the catalogue: while its table
        # still lets it be withdrawn (see selectors.offer_can).
        state_require(
            offer, OfferState.WITHDRAWN, allowed=OFFER_MOVES, message=_("A withdrawn offer cannot be changed.")
        )
        _check_not_duplicate(by, fields, other_than=offer.pk)
        for name, value in _model_fields(fields).items():
            setattr(offer, name, value)
        offer.save()
        _write_extras(offer, fields.extras)
        _index(offer)
    return offer


def offer_withdraw(*, offer: Offer, by: User) -> Offer:
    """Take an offer off the catalogue; its orders go on."""
    with transaction.atomic():
        offer = Offer.objects.select_for_update().get(pk=offer.pk)
        state_move(
            offer,
            OfferState.WITHDRAWN,
            allowed=OFFER_MOVES,
            history=OfferTransition,
            by=by,
            offer=offer,
            message=_("This offer is already withdrawn."),
        )
        _index(offer)
    return offer


def offer_image_add(*, offer: Offer, by: User, upload: UploadedFile) -> OfferImage:
    """Add a gallery image: checked from its content, re-encoded without metadata, with a thumbnail (AM01)."""
    full, thumb = image_jpegs(upload, rule=OFFER_IMAGE, sides=(IMAGE_MAX_SIDE, THUMB_SIDE))
    paths = (
        default_storage.save(f"offers/{server_file_name(JPEG)}", ContentFile(full)),
        default_storage.save(f"offers/thumbs/{server_file_name(JPEG)}", ContentFile(thumb)),
    )
    try:
        with transaction.atomic():
            offer = Offer.objects.select_for_update().get(pk=offer.pk)
            count = offer.images.count()
            if count >= MAX_IMAGES:
                raise InvalidInput(_("At most %(count)s images.") % {"count": MAX_IMAGES}, field="file")
            return OfferImage.objects.create(offer=offer, position=count, image=paths[0], thumbnail=paths[1])
    except BaseException:
        for path in paths:
            default_storage.delete(path)
        raise
