"""Named personas and an API client for the tests.

acme: a company with a balance; alice and bob: verified taskers; charlie: an
outsider tasker whose phone is not verified; emma: an expert; staff.
It sits above every app so that it may build anything a test needs.
"""

import io
import itertools
import json
import os
import random
import re
import secrets
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import ExifTags, Image, ImageDraw

from microwork.accounts.legal import required_kinds
from microwork.accounts.models import (
    DocumentState,
    ExpertProfile,
    ExpertProfileState,
    ExpertStatus,
    Organisation,
    Role,
    User,
    VerificationDocument,
    required_documents,
)
from microwork.accounts.services import consents_record, document_longest_validity, expert_profile_create, token_create
from microwork.gigs import services as gigs_services
from microwork.gigs.models import Offer
from microwork.ledger.models import AccountKind, Entry
from microwork.ledger.payments import topup_create
from microwork.ledger.services import entry_post, escrow_of, system_account, wallet_of
from microwork.missions import services as missions_services
from microwork.missions.models import Mission

PASSWORD = "correct-horse-battery-staple"
ACME_SIRET = "73282932000074"
EXPERT_SIRET = "55208131766522"


def make_user(
    email: str,
    *,
    role: str = Role.TASKER,
    display_name: str = "",
    phone: str = "",
    phone_verified: bool = False,
    siret: str = "",
    **extra: Any,
) -> User:
    now = timezone.now()
    user = User.objects.create_user(
        email,
        PASSWORD,
        role=role,
        display_name=display_name or email.split("@")[0].capitalize(),
        phone=phone,
        phone_verified_at=now if phone_verified else None,
        terms_version="test",
        terms_accepted_at=now,
        **extra,
    )
    if siret:
        Organisation.objects.create(user=user, siret=siret, legal_name=user.display_name)
    # Up to date with the legal documents, as signup leaves an account (AC03).
    consents_record(user=user, kinds=required_kinds(role))
    return user


def make_staff(email: str = "staff@microwork.fr") -> User:
    return make_user(email, role=Role.STAFF, display_name="Staff", is_staff=True, is_superuser=True)


# A logo for 120 €, VAT included, in 3 days; a rush extra adds 30 € and no day.
OFFER: dict[str, Any] = {
    "kind": "service",
    "title": "Création de logo professionnel",
    "category": "design",
    "description": "Je dessine le logo de votre entreprise en trois propositions, fichiers vectoriels inclus.",
    "price_cents": 12_000,
    "delivery_days": 3,
    "keywords": ["logo", "identité visuelle"],
    "extras": [
        {"name": "Livraison express", "price_cents": 3_000, "extra_days": 0},
        {"name": "Charte graphique", "price_cents": 5_000, "extra_days": 2},
    ],
    "opening_message": "Merci pour votre commande ! Envoyez-moi le nom et les couleurs de votre marque.",
}


def offer_fields(**overrides: Any) -> gigs_services.OfferFields:
    data = {**OFFER, **overrides}
    return gigs_services.OfferFields(
        kind=data["kind"],
        title=data["title"],
        category=data["category"],
        description=data["description"],
        price_cents=data["price_cents"],
        delivery_days=data["delivery_days"],
        keywords=tuple(data["keywords"]),
        extras=tuple(gigs_services.ExtraIn(**extra) for extra in data["extras"]),
        opening_message=data["opening_message"],
        ip_note=data.get("ip_note", ""),
        video_url=data.get("video_url", ""),
    )


def make_offer(expert: User, **overrides: Any) -> Offer:
    return gigs_services.offer_create(expert=expert, fields=offer_fields(**overrides))


# Ten minutes of work paid 300 cents: above the minimum wage (201 cents), one place costs 372.
MISSION: dict[str, Any] = {
    "title": "Photo of the biscuit shelf",
    "category": "photo",
    "instructions": "Take one clear photo of the biscuit shelf at the shop entrance, in daylight.",
    "estimated_minutes": 10,
    "reward_cents": 300,
    "places": 1,
}
# A written account: what a report on a mission without questions holds at the least (HM13).
ACCOUNT = "Photo taken in daylight, the whole shelf in frame."


def make_mission(company: User, **overrides: Any) -> Mission:
    return missions_services.mission_create(company=company, **{**MISSION, **overrides})


def make_published(company: User, staff: User, **overrides: Any) -> Mission:
    mission = make_mission(company, **overrides)
    missions_services.mission_submit(mission=mission, by=company)
    missions_services.mission_publish(mission=mission, by=staff)
    mission.refresh_from_db()
    return mission


_earning_keys = itertools.count(1)


def earn(user: User, cents: int, *, kind: str = "claim_approve", memo: str = "", ref: str = "") -> Entry:
    """Earnings credited as a reward is (SPEC PL01): money comes in to an
    escrow, then goes from the escrow to the user's earnings. `kind` is the
    entry's kind (`claim_approve` shows in the earnings chart)."""
    n = next(_earning_keys)
    escrow = escrow_of(f"test:{user.pk}:{n}")
    entry_post(
        kind="test_reserve",
        idempotency_key=f"test-reserve:{user.pk}:{n}",
        lines=[(system_account(AccountKind.GATEWAY), -cents), (escrow, cents)],
    )
    return entry_post(
        kind=kind,
        idempotency_key=f"test-earn:{user.pk}:{n}",
        lines=[(escrow, -cents), (wallet_of(user), cents)],
        memo=memo,
        ref=ref,
    )


def make_company(email: str = "acme@example.fr", *, balance_cents: int = 0) -> User:
    company = make_user(email, role=Role.COMPANY, display_name="Acme", siret=ACME_SIRET)
    if balance_cents:
        topup_create(user=company, amount_cents=balance_cents)
    return company


def make_tasker(email: str, phone: str, *, verified: bool = True) -> User:
    return make_user(email, role=Role.TASKER, phone=phone, phone_verified=verified)


def make_expert(email: str = "emma@example.fr") -> User:
    """An expert as signup leaves one: a draft profile, no documents."""
    expert = make_user(email, role=Role.EXPERT, display_name="Emma", siret=EXPERT_SIRET)
    expert_profile_create(user=expert)
    return expert


def approve_expert_profile(
    expert: User, *, status: str = ExpertStatus.COMPANY, headline: str = "Consultante data"
) -> ExpertProfile:
    """Staff have hand-picked the expert (AM17): a filled-in, approved profile."""
    now = timezone.now()
    profile, _created = ExpertProfile.objects.get_or_create(user=expert)
    profile.status = status
    profile.headline = profile.headline or headline
    profile.bio = profile.bio or "Dix ans d'analyse de données pour des PME."
    profile.skills = profile.skills or ["Python", "SQL"]
    if not profile.photo:
        profile.photo.save("photo.jpg", ContentFile(photo_jpeg()), save=False)
    profile.state = ExpertProfileState.APPROVED
    profile.state_changed_at = profile.reviewed_at = now
    profile.save()
    return profile


def approve_documents(expert: User, *, status: str = ExpertStatus.COMPANY) -> list[VerificationDocument]:
    """Every document the status requires, issued today and approved for the longest AM13 allows."""
    today = timezone.localdate()
    documents = []
    for kind in required_documents(status):
        document = VerificationDocument(
            user=expert, kind=kind, content_type="application/pdf", issued_on=today, state=DocumentState.APPROVED
        )
        document.file.save(f"{kind}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        document.valid_until = document_longest_validity(document, today)
        document.reviewed_at = timezone.now()
        document.save()
        documents.append(document)
    return documents


def verified_expert(email: str = "vera@example.fr", *, status: str = ExpertStatus.COMPANY) -> User:
    """An expert who may sell (AM13, AM17): an approved profile and every required document approved."""
    expert = make_expert(email)
    approve_expert_profile(expert, status=status)
    approve_documents(expert, status=status)
    return expert


def photo_jpeg(size: tuple[int, int] = (8, 8)) -> bytes:
    """A small JPEG, as a profile photo."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def field_photo(
    *,
    seed: int = 1,
    taken_at: datetime | None = None,
    offset: str | None = "+00:00",
    position: tuple[float, float] | None = None,
    size: tuple[int, int] = (320, 240),
    quality: int = 90,
) -> bytes:
    """A phone's field photo as JPEG: a picture of its own for each `seed`
    (coloured blocks), with the capture time (`taken_at`, written in UTC with
    `offset`, or as Paris time when `offset` is None) and the GPS position
    (lat, lon) in its EXIF when given."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(16):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x, y, x + rng.randrange(20, size[0] // 2), y + rng.randrange(20, size[1] // 2))
        draw.rectangle(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    if taken_at is not None:
        local = taken_at.astimezone(UTC if offset else ZoneInfo("Europe/Paris"))
        details = {ExifTags.Base.DateTimeOriginal: local.strftime("%Y:%m:%d %H:%M:%S")}
        if offset:
            details[ExifTags.Base.OffsetTimeOriginal] = offset
        exif[ExifTags.IFD.Exif] = details
    if position is not None:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if position[0] >= 0 else "S",
            ExifTags.GPS.GPSLatitude: _dms(position[0]),
            ExifTags.GPS.GPSLongitudeRef: "E" if position[1] >= 0 else "W",
            ExifTags.GPS.GPSLongitude: _dms(position[1]),
        }
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


def _dms(degrees: float) -> tuple[float, float, float]:
    degrees = abs(degrees)
    minutes = (degrees % 1) * 60
    return (float(int(degrees)), float(int(minutes)), round((minutes % 1) * 60, 4))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares `width` x `height` pixels: a
    decompression bomb, refused from its header before any pixel is decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def make_verified_expert(email: str = "emma@example.fr", *, display_name: str = "Emma") -> User:
    """An expert who may sell (AM13, AM17), under a name of the test's choosing."""
    expert = verified_expert(email)
    expert.display_name = display_name
    expert.save(update_fields=["display_name"])
    return expert


@dataclass
class ApiClient:
    """Speaks to /api/v1 as one user (or anonymously), JSON in and out."""

    client: Client
    token: str | None = None

    def _headers(self, idempotency_key: str | None) -> dict[str, Any]:
        headers: dict[str, Any] = {}
        if self.token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        if idempotency_key:
            headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        return headers

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, **self._headers(None))

    def post(self, path: str, body: Any = None, *, key: str | None = None, raw: str | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(f"/api/v1{path}", data, content_type="application/json", **self._headers(key))

    def put(self, path: str, body: Any = None) -> Any:
        data = json.dumps(body if body is not None else {})
        return self.client.put(f"/api/v1{path}", data, content_type="application/json", **self._headers(None))

    def upload(self, path: str, data: dict[str, Any], *, key: str | None = None) -> Any:
        return self.client.post(f"/api/v1{path}", data, **self._headers(key))

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/v1{path}", **self._headers(None))


def api_as(user: User | None) -> ApiClient:
    return ApiClient(client=Client(), token=token_create(user=user) if user else None)


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread and database connection, all released
    at once by a barrier; returns each call's result, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = calls[index]()
        except BaseException as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


# --- Pages ------------------------------------------------------------------


def signed_in(client: Client, user: User) -> Client:
    """The test client, signed in as `user`; staff also passed their second
    factor (PL06), as they would have before reaching any page."""
    client.force_login(user)
    if user.is_staff_member:
        second_factor_passed(client, user)
    return client


def totp_device(user: User) -> TOTPDevice:
    """The staff member's confirmed authenticator app, set up if missing."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def second_factor_passed(client: Client, user: User) -> None:
    """Mark the client's session as verified by the user's TOTP device, as
    django-otp does after a right code."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()


def totp_code(device: TOTPDevice) -> str:
    """The code the authenticator app shows now, or the next one when this one
    was used already (django-otp accepts one step of drift, never a code twice)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if device.last_t is not None and totp.t() <= device.last_t:
        totp.time = device.t0 + (device.last_t + 1) * device.step
    return f"{totp.token():0{device.digits}d}"


def english(client: Client) -> Client:
    """The test client, with English chosen (pages speak French by default)."""
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


#: The languages the pages speak; browser tests of the phone pages run in each (MW01).
LANGUAGES = ("fr", "en")


def words(language: str) -> Callable[[str], str]:
    """The site's words in `language`, from its own catalogue: a browser test
    finds "Log in" or "Connexion" by the one English text the code uses."""

    def say(text: str) -> str:
        with translation.override(language):
            return translation.gettext(text)

    return say


def browser_speaks(page: Any, base_url: str, language: str) -> Any:
    """The browser chooses `language`, as the language switch does (its cookie)."""
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}])
    return page


#: Where the browser tests leave a phone-size screenshot of each page they
#: pass through, when asked (`make shots`, or SHOTS=<folder>); a plain test
#: run takes none, as they cost a tenth of the browser tests' time.
SHOTS = os.environ.get("SHOTS", "")


def shot(page: Any, name: str) -> None:
    """A full-page screenshot of what the phone shows, when SHOTS names a folder."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def phone_shot(page: Any, name: str, language: str) -> None:
    """`shot`, named by page and language."""
    shot(page, f"{name}-{language}")


def browser_login(page: Any, base_url: str, email: str) -> None:
    """Sign the browser in as `email` and open the dashboard, in the language
    the page speaks: the session of a sign-in (staff past their second factor
    too, PL06) handed to the browser as its cookie. The sign-in pages
    themselves are driven through in their own browser tests (test_browser.py,
    test_pl06_second_factor.py); here they would cost every journey a second."""
    from playwright.sync_api import expect

    user = User.objects.get(email=email)
    session = signed_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])
    page.goto(f"{base_url}{reverse('web:dashboard')}")
    say = words(page.locator("html").get_attribute("lang") or settings.LANGUAGE_CODE)
    hello = say("Hello, %(name)s").split("%")[0]
    expect(page.get_by_role("heading", name=re.compile("^" + re.escape(hello)))).to_be_visible()


# --- The production profile, as an operator starts it ------------------------

#: Settings that leak from the test run into a child process: each production
#: test names its own rails.
RAIL_PREFIXES = ("DJANGO_", "MICROWORK_", "PAYMENT_", "STRIPE_", "SMS_", "EMAIL_", "TWILIO_", "ANYMAIL_", "DEBUG")
#: Every rail real: a production that must pass its checks.
REAL_RAILS = {
    "PAYMENT_GATEWAY": "stripe",
    "STRIPE_SECRET_KEY": "sk_live_acme",
    "STRIPE_WEBHOOK_SECRET": "whsec_acme",
    "SMS_BACKEND": "twilio",
    "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_FROM": "+33700000000",
    "EMAIL_BACKEND": "anymail",
    "ANYMAIL_PROVIDER": "brevo",
    "ANYMAIL_API_KEY": "xkeysib-acme",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def production_env(**overrides: str) -> dict[str, str]:
    """The test run's environment without its own rail or Django settings
    (the test run allows unsafe async, which `check --deploy` refuses), in
    the production profile, with `overrides`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(RAIL_PREFIXES)}
    env.pop("DATABASE_URL", None)
    env.update(
        MICROWORK_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64)[:50],
        ALLOWED_HOSTS="microwork.fr",
        **overrides,
    )
    return env


def run_python(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """`python *args` in the project's folder, as an operator would run it."""
    return subprocess.run(  # noqa: S603 - the interpreter running the tests, with fixed arguments
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
