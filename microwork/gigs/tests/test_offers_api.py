"""Offers through the API, rule by rule (AM01-AM03, AM13): every field stored
and answered, bad input refused field by field, who may sell, the limit of
five, near-duplicates at the edge of the threshold, the gallery, withdrawal."""

import io
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from microwork import testing
from microwork.accounts.models import DocumentState, User, VerificationDocument
from microwork.gigs import search
from microwork.gigs.models import Offer, OfferImage, OfferState, Order
from microwork.testing import OFFER, make_offer

from .conftest import available

pytestmark = pytest.mark.django_db


def publish(user: User | None, **overrides: Any) -> Any:
    return testing.api_as(user).post("/offers", {**OFFER, **overrides})


def put(user: User, offer_id: object, body: dict[str, Any]) -> Any:
    api = testing.api_as(user)
    return api.client.put(
        f"/api/v1/offers/{offer_id}", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api.token}"
    )


def refused_field(response: Any) -> str:
    """The field a 422 `invalid` names."""
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["code"] == "invalid"
    assert response["Content-Type"].startswith("application/problem+json")
    return str(body["errors"][0]["field"])


# --- AM01, AM02: every field stored and answered ----------------------------


@pytest.mark.parametrize("kind", ["service", "call", "question"])
def test_am01_am02_every_field_is_stored_and_answered_for_each_kind(expert, kind):
    body = {
        **OFFER,
        "kind": kind,
        "title": f"Conseil {kind} en comptabilité",
        "video_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "ip_note": "L'expert garde le droit de citer le travail.",
    }
    response = testing.api_as(expert).post("/offers", body)
    assert response.status_code == 201, response.json()
    created = response.json()
    for name in ("kind", "title", "category", "description", "price_cents", "delivery_days", "opening_message"):
        assert created[name] == body[name], name
    assert created["keywords"] == ["logo", "identité visuelle"]
    assert created["video_url"] == body["video_url"]
    assert created["ip_note"] == body["ip_note"]
    assert created["extras"] == [
        {"index": 0, "name": "Livraison express", "price_cents": 3_000, "extra_days": 0},
        {"index": 1, "name": "Charte graphique", "price_cents": 5_000, "extra_days": 2},
    ]
    assert created["state"] == "live"
    assert created["expert_id"] == str(expert.pk)
    assert created["expert"]["display_name"] == "Emma"
    # Stored, and answered the same to anyone.
    stored = Offer.objects.get(pk=created["id"])
    assert (stored.kind, stored.price_cents, stored.delivery_days) == (kind, 12_000, 3)
    assert [e.name for e in stored.extras.all()] == ["Livraison express", "Charte graphique"]
    shown = testing.api_as(None).get(f"/offers/{created['id']}")
    assert shown.status_code == 200
    assert {k: v for k, v in shown.json().items()} == created


def test_am01_an_extra_without_days_adds_none(expert):
    created = publish(expert, extras=[{"name": "Fichier source", "price_cents": 1_000}]).json()
    assert created["extras"] == [{"index": 0, "name": "Fichier source", "price_cents": 1_000, "extra_days": 0}]


def test_am01_put_changes_every_field_and_orders_keep_their_terms(expert, buyer):
    created = publish(expert).json()
    order = testing.api_as(buyer).post(f"/offers/{created['id']}/orders", {}).json()
    changed = {
        **OFFER,
        "kind": "call",
        "title": "Appel conseil sur votre stratégie de marque",
        "category": "sales_marketing",
        "description": "Une heure au téléphone pour revoir votre positionnement et vos messages clés.",
        "price_cents": 9_000,
        "delivery_days": 2,
        "keywords": ["marque", "stratégie"],
        "extras": [],
        "opening_message": "Donnez-moi vos disponibilités.",
        "video_url": "https://vimeo.com/123456",
    }
    response = put(expert, created["id"], changed)
    assert response.status_code == 200, response.json()
    updated = response.json()
    for name, value in changed.items():
        assert updated[name] == value, name
    assert testing.api_as(None).get(f"/offers/{created['id']}").json()["title"] == changed["title"]
    kept = testing.api_as(buyer).get(f"/orders/{order['id']}").json()
    assert (kept["title"], kept["price_cents"], kept["kind"]) == (OFFER["title"], 12_000, "service")


def test_am01_put_by_another_expert_is_not_found(expert, other_expert):
    created = publish(expert).json()
    response = put(other_expert, created["id"], OFFER)
    assert response.status_code == 404
    assert testing.api_as(other_expert).post(f"/offers/{created['id']}/withdraw").status_code == 404


# --- AM01: bad input is a 422 naming the field --------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price_cents": 499}, "price_cents"),
        ({"price_cents": 0}, "price_cents"),
        ({"price_cents": -500}, "price_cents"),
        ({"price_cents": "12000"}, "price_cents"),
        ({"price_cents": 1_000_001}, "price_cents"),
        ({"delivery_days": 0}, "delivery_days"),
        ({"delivery_days": 91}, "delivery_days"),
        ({"keywords": "logo"}, "keywords"),
        (
            {"extras": [{"name": "Rapide", "price_cents": 1_000}] * 3 + [{"name": "x" * 121, "price_cents": 1_000}]},
            "extras.3.name",
        ),
        ({"keywords": [f"mot{n}" for n in range(11)]}, "keywords"),
        ({"keywords": ["x" * 41]}, "keywords"),
        ({"extras": [{"name": "Rapide", "price_cents": 99}]}, "extras"),
        ({"extras": [{"name": "", "price_cents": 1_000}]}, "extras"),
        ({"extras": [{"name": "Lent", "price_cents": 1_000, "extra_days": 31}]}, "extras"),
        ({"extras": [{"name": "Négatif", "price_cents": 1_000, "extra_days": -1}]}, "extras.0.extra_days"),
        ({"extras": [{"name": f"Option {n}", "price_cents": 1_000} for n in range(6)]}, "extras"),
        ({"extras": [{"price_cents": 1_000}]}, "extras.0.name"),
        ({"video_url": "http://www.youtube.com/watch?v=abc"}, "video_url"),
        ({"video_url": "https://evil.example.com/watch?v=abc"}, "video_url"),
        ({"video_url": "https://youtube.com.evil.example.com/v"}, "video_url"),
        ({"video_url": "javascript:alert(1)"}, "video_url"),
        ({"kind": "course"}, "kind"),
        ({"category": "astrology"}, "category"),
        ({"title": "Logo"}, "title"),
        ({"description": "Trop court"}, "description"),
    ],
)
def test_am01_bad_input_is_422_invalid_with_its_field(expert, overrides, field):
    response = publish(expert, **overrides)
    assert refused_field(response) == field
    assert not Offer.objects.exists()


def test_am01_the_same_keyword_twice_counts_once(expert):
    keywords = ["Logo", "logo ", *[f"mot{n}" for n in range(9)]]
    created = publish(expert, keywords=keywords)
    assert created.status_code == 201, created.json()
    assert created.json()["keywords"] == ["logo", *[f"mot{n}" for n in range(9)]]


@pytest.mark.parametrize(
    "url", ["https://youtu.be/dQw4w9WgXcQ", "https://player.vimeo.com/video/1", "https://www.dailymotion.com/video/x"]
)
def test_am01_video_links_from_the_allowed_hosts_are_kept(expert, url):
    assert publish(expert, video_url=url).json()["video_url"] == url


# --- AM13, AM17: who may sell -------------------------------------------------


def test_am13_an_expert_without_valid_documents_may_not_publish(db):
    unverified = testing.make_expert("new@example.fr")
    response = publish(unverified)
    assert response.status_code == 403
    assert response.json()["code"] == "expert_not_verified"
    assert not Offer.objects.exists()


def test_am13_companies_and_taskers_may_not_publish(db, alice):
    company = testing.make_company("shop@example.fr")
    for user in (company, alice):
        response = publish(user)
        assert response.status_code == 403
        assert response.json()["code"] == "expert_not_verified"
    assert publish(None).status_code == 401
    assert not Offer.objects.exists()


def expire_one_document(expert: User) -> None:
    document = VerificationDocument.objects.filter(user=expert, state=DocumentState.APPROVED).first()
    assert document is not None
    document.valid_until = timezone.localdate() - timedelta(days=1)
    document.save(update_fields=["valid_until"])


def test_am13_an_expired_document_hides_the_offers_and_stops_new_orders(expert, other_expert, buyer):
    mine = make_offer(expert)
    theirs = make_offer(other_expert, title="Logo pour association")
    anon = testing.api_as(None)
    assert {o["id"] for o in anon.get("/offers").json()["items"]} == {str(mine.pk), str(theirs.pk)}
    expire_one_document(expert)
    assert [o["id"] for o in anon.get("/offers").json()["items"]] == [str(theirs.pk)]
    assert [o["id"] for o in anon.get("/offers", q="logo").json()["items"]] == [str(theirs.pk)]
    refused = testing.api_as(buyer).post(f"/offers/{mine.pk}/orders", {})
    assert refused.status_code == 403
    assert refused.json()["code"] == "expert_not_verified"
    assert not Order.objects.exists()
    # Nor may the expert publish until the document is renewed.
    assert publish(expert, title="Une autre offre de mise en page").json()["code"] == "expert_not_verified"


def test_am13_a_document_valid_until_today_still_sells(expert, buyer):
    offer = make_offer(expert)
    document = VerificationDocument.objects.filter(user=expert).first()
    assert document is not None
    document.valid_until = timezone.localdate()
    document.save(update_fields=["valid_until"])
    assert [o["id"] for o in testing.api_as(None).get("/offers").json()["items"]] == [str(offer.pk)]
    assert testing.api_as(buyer).post(f"/offers/{offer.pk}/orders", {}).status_code == 201


# --- AM03: at most five live offers --------------------------------------------

TOPICS = [
    ("Traduction de contrats commerciaux", "Je traduis vos contrats de l'anglais vers le français avec soin."),
    ("Audit de sécurité informatique", "Analyse des failles de votre réseau et rapport détaillé des risques."),
    ("Recrutement de développeurs", "Je sélectionne des candidats qualifiés pour vos postes techniques."),
    ("Rédaction de fiches produits", "Des descriptions vendeuses pour votre boutique en ligne, optimisées."),
    ("Tenue de comptabilité mensuelle", "Saisie des pièces, rapprochement bancaire et déclarations de TVA."),
    ("Montage vidéo pour réseaux sociaux", "Des clips courts et rythmés pour Instagram et TikTok, sous-titrés."),
]


def topic(n: int) -> dict[str, Any]:
    title, description = TOPICS[n]
    return {"title": title, "description": description, "keywords": []}


def test_am03_a_sixth_live_offer_is_refused_until_one_is_withdrawn(expert):
    created = [publish(expert, **topic(n)) for n in range(5)]
    assert [r.status_code for r in created] == [201] * 5
    sixth = publish(expert, **topic(5))
    assert sixth.status_code == 409
    assert sixth.json()["code"] == "offer_limit_reached"
    assert Offer.objects.filter(expert=expert).count() == 5
    withdrawn = testing.api_as(expert).post(f"/offers/{created[0].json()['id']}/withdraw")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["state"] == "withdrawn"
    assert publish(expert, **topic(5)).status_code == 201
    assert Offer.objects.filter(expert=expert, state=OfferState.LIVE).count() == 5


def test_am03_the_limit_is_per_expert(expert, other_expert):
    for n in range(5):
        make_offer(expert, **topic(n))
    assert publish(other_expert, **topic(0)).status_code == 201


# --- AM03: near-duplicates at the edge of the threshold -------------------------


def distinct_words(count: int) -> list[str]:
    """`count` made-up words, each with a stem of its own of three letters or more."""
    consonants = "bcdfghjklmnpqrtvz"
    found: list[str] = []
    seen: set[str] = set()
    n = 0
    while len(found) < count:
        word = "zor" + consonants[n // len(consonants)] + consonants[n % len(consonants)] + "ak"
        n += 1
        (stem,) = search.stems(word)
        if len(stem) >= 3 and stem not in seen:
            seen.add(stem)
            found.append(word)
    return found


def jaccard(a: str, b: str) -> float:
    """The Jaccard index of two texts' stems, computed here from `search.stems`."""
    left = {s for s in search.stems(a) if len(s) >= 3}
    right = {s for s in search.stems(b) if len(s) >= 3}
    return len(left & right) / len(left | right)


def as_offer(words: list[str]) -> dict[str, Any]:
    """Three words of title, the rest description: the text `similarity` compares."""
    return {"title": " ".join(words[:3]), "description": " ".join(words[3:]), "keywords": []}


def test_am03_a_near_duplicate_at_the_threshold_is_refused_just_below_accepted(expert):
    words = distinct_words(60)
    first, new = words[:40], words[40:]
    assert publish(expert, **as_offer(first)).status_code == 201
    at = first + new[:10]  # 40 shared of 50: exactly 0.8
    below = first + new[:11]  # 40 shared of 51: 0.784
    text = " ".join(first)
    assert jaccard(" ".join(at), text) == search.DUPLICATE_THRESHOLD == 0.8
    assert jaccard(" ".join(below), text) == pytest.approx(40 / 51)
    assert jaccard(" ".join(below), text) < search.DUPLICATE_THRESHOLD
    assert search.similarity(" ".join(at), text) == jaccard(" ".join(at), text)
    refused = publish(expert, **as_offer(at))
    assert refused.status_code == 409
    assert refused.json()["code"] == "duplicate_offer"
    assert publish(expert, **as_offer(below)).status_code == 201
    assert Offer.objects.filter(expert=expert).count() == 2


def test_am03_a_near_duplicate_is_refused_however_it_is_written(expert):
    assert publish(expert).status_code == 201
    shouted = publish(
        expert,
        title=OFFER["title"].upper(),
        description=OFFER["description"].replace("é", "e") + " !!!",
        keywords=["autre"],
    )
    assert shouted.status_code == 409
    assert shouted.json()["code"] == "duplicate_offer"


def test_am03_a_withdrawn_offer_does_not_count_as_a_duplicate(expert):
    first = publish(expert).json()
    testing.api_as(expert).post(f"/offers/{first['id']}/withdraw")
    assert publish(expert).status_code == 201


def test_am03_an_edit_into_a_near_duplicate_of_another_offer_is_refused(expert):
    make_offer(expert)
    other = make_offer(expert, **topic(0))
    response = put(expert, other.pk, OFFER)
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_offer"
    # Editing an offer against itself is no duplicate.
    same = put(expert, other.pk, {**OFFER, **topic(0), "price_cents": 15_000})
    assert same.status_code == 200, same.json()
    assert same.json()["price_cents"] == 15_000


def test_am03_another_expert_may_publish_the_same_text(expert, other_expert):
    assert publish(expert).status_code == 201
    assert publish(other_expert).status_code == 201


# --- AM01: the gallery -----------------------------------------------------------


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (2400, 1200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 24.0)
    gps[3] = "E"
    gps[4] = (2.0, 21.0, 3.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif().get_ifd(0x8825)[1] == "N"
    return data


def upload_image(user: User, offer_id: object, data: bytes, name: str = "photo.jpg") -> Any:
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return testing.api_as(user).upload(f"/offers/{offer_id}/images", {"file": upload})


def test_am01_a_gallery_photo_comes_back_without_its_gps_and_with_a_thumbnail(expert, offer):
    response = upload_image(expert, offer.pk, jpeg_with_gps())
    assert response.status_code == 201, response.json()
    images = response.json()["images"]
    assert len(images) == 1
    assert images[0]["url"] and images[0]["thumbnail_url"]
    stored = OfferImage.objects.get(offer=offer)
    with stored.image.open("rb") as full_file, Image.open(full_file) as full:
        assert full.format == "JPEG"
        assert max(full.size) <= 1600
        assert not full.getexif()
        assert "exif" not in full.info
    with stored.thumbnail.open("rb") as thumb_file, Image.open(thumb_file) as thumb:
        assert max(thumb.size) <= 400
        assert not thumb.getexif()
    assert testing.api_as(None).get(f"/offers/{offer.pk}").json()["images"] == images


def truncated_jpeg() -> bytes:
    image = Image.effect_noise((800, 800), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()[: len(out.getvalue()) // 2]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.txt", b"just some text, not an image"),
        ("page.pdf", b"%PDF-1.4 not an image"),
        ("bomb.png", testing.png_declaring(30_000, 30_000)),
        ("wide.png", testing.png_declaring(12_000, 5_000)),
        ("half.jpg", truncated_jpeg()),
        ("empty.jpg", b""),
    ],
)
def test_am01_a_non_image_a_bomb_or_a_broken_image_is_422_not_500(expert, offer, name, data):
    response = upload_image(expert, offer.pk, data, name)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid"
    assert not OfferImage.objects.exists()


def test_am01_only_the_offers_expert_adds_images(expert, other_expert, offer):
    assert upload_image(other_expert, offer.pk, jpeg_with_gps()).status_code == 404
    assert not OfferImage.objects.exists()


# --- Withdrawal: off the catalogue, orders go on -----------------------------------


def test_am03_a_withdrawn_offer_leaves_the_catalogue_but_its_orders_go_on(expert, buyer, offer):
    order = testing.api_as(buyer).post(f"/offers/{offer.pk}/orders", {}).json()
    assert testing.api_as(expert).post(f"/offers/{offer.pk}/withdraw").json()["state"] == "withdrawn"
    anon = testing.api_as(None)
    assert anon.get("/offers").json()["items"] == []
    assert anon.get("/offers", q="logo").json()["items"] == []
    assert anon.get(f"/offers/{offer.pk}").status_code == 404
    again = testing.api_as(buyer).post(f"/offers/{offer.pk}/orders", {})
    assert again.status_code == 404
    # The expert still sees it among their own offers.
    mine = testing.api_as(expert).get("/me/offers").json()["items"]
    assert [(o["id"], o["state"]) for o in mine] == [(str(offer.pk), "withdrawn")]
    assert testing.api_as(expert).post(f"/offers/{offer.pk}/withdraw").status_code == 409
    # The order placed before goes on to the end.
    for who, action, body in (
        (expert, "start", None),
        (expert, "deliveries", {"message": "Voici le logo."}),
        (buyer, "accept", {"rating": 5}),
    ):
        response = testing.api_as(who).post(f"/orders/{order['id']}/{action}", body)
        assert response.status_code in (200, 201), response.json()
    assert testing.api_as(buyer).get(f"/orders/{order['id']}").json()["state"] == "completed"


# --- AM16: fees that cleared by the clock pay for an order before `tick` -----


def test_am16_an_expert_orders_with_cleared_fees_before_any_tick(expert, other_expert, buyer, offer):
    question = make_offer(
        other_expert,
        kind="question",
        title="Question de droit social",
        description="Une réponse écrite et sourcée à votre question sur le droit du travail.",
        price_cents=1_500,
        extras=[],
    )
    order = testing.api_as(buyer).post(f"/offers/{offer.pk}/orders", {}).json()
    testing.api_as(expert).post(f"/orders/{order['id']}/start")
    testing.api_as(expert).post(f"/orders/{order['id']}/deliveries", {"message": "Voici le logo."})
    testing.api_as(buyer).post(f"/orders/{order['id']}/accept", {"rating": 5})
    assert available(expert) == 0  # 108 € pending for 3 days
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        # No tick ran, nothing read the wallet: the cleared fee pays all the same.
        bought = testing.api_as(expert).post(f"/offers/{question.pk}/orders", {})
        assert bought.status_code == 201, bought.json()
    assert available(expert) == 10_800 - 1_500


def small_png(color: tuple[int, int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (60, 40), color).save(out, format="PNG")
    return out.getvalue()


def test_am01_a_gallery_holds_six_images_turned_upright(expert, offer):
    # A portrait photo stored sideways with an EXIF orientation comes back upright.
    sideways = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    Image.new("RGB", (300, 200), (10, 120, 10)).save(sideways, format="JPEG", exif=exif)
    assert upload_image(expert, offer.pk, sideways.getvalue()).status_code == 201
    with OfferImage.objects.get(offer=offer).image.open("rb") as stored, Image.open(stored) as upright:
        assert upright.size == (200, 300)
    for n in range(5):
        response = upload_image(expert, offer.pk, small_png((n * 40, 0, 0, 128)), "transparent.png")
        assert response.status_code == 201, response.json()
    assert len(response.json()["images"]) == 6
    seventh = upload_image(expert, offer.pk, small_png((0, 0, 255, 255)), "seventh.png")
    assert refused_field(seventh) == "file"
    assert OfferImage.objects.filter(offer=offer).count() == 6
