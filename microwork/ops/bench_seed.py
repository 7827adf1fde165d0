"""A large, realistic data set for the benchmarks (`seed_bench`): funded
companies, verified taskers with API tokens, and published missions of
varied categories, places, rewards and locations, written in bulk.

Money moves as on the platform: each company tops up through the payment
gateway (the sandbox outside production), and every mission's places are
reserved into its own escrow through the ledger's bulk reservation, one
balanced entry per mission; `ledger_audit` is clean afterwards.
"""

import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from microwork.accounts.legal import current, required_kinds
from microwork.accounts.models import ApiToken, Consent, Organisation, Role, User
from microwork.core.bulk import analyze, insert_rows, next_ids
from microwork.core.errors import InvalidInput
from microwork.ledger.models import Account, Entry, Posting
from microwork.ledger.payments import topup_create
from microwork.ledger.services import escrow_fund_many
from microwork.missions.models import Category, Mission, MissionState
from microwork.missions.services.pricing import minimum_reward_cents, place_price, smic_hourly_cents

# A load-test data set, never production.
BENCH_PASSWORD = "bench-microwork-2026"

# Where located missions are: French cities (latitude, longitude).
CITIES = [
    (48.8566, 2.3522),
    (45.7640, 4.8357),
    (43.2965, 5.3698),
    (43.6047, 1.4442),
    (47.2184, -1.5536),
    (50.6292, 3.0573),
    (44.8378, -0.5792),
    (48.5734, 7.7521),
]
SUBJECTS = ["rayon", "vitrine", "site", "formulaire", "facture", "avis", "affiche", "menu", "produit", "catalogue"]
PLACES = ["boulangerie", "pharmacie", "supermarché", "librairie", "gare", "mairie", "boutique", "marché"]
VERBS = ["Photographier", "Tester", "Classer", "Rechercher", "Partager", "Transcrire", "Traduire", "Saisir", "Noter"]
PLACES_CHOICES = [1, 1, 1, 2, 2, 3, 5, 10]
MINUTES_CHOICES = [1, 2, 5, 10, 15, 20, 30]


@dataclass
class Seeded:
    companies: list[dict[str, Any]] = field(default_factory=list)
    taskers: list[dict[str, Any]] = field(default_factory=list)
    mission_ids: tuple[int, int] = (0, 0)
    missions: int = 0
    burst_mission_ids: list[int] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "password": BENCH_PASSWORD,
            "companies": self.companies,
            "taskers": self.taskers,
            "missions": {"count": self.missions, "first_id": self.mission_ids[0], "last_id": self.mission_ids[1]},
            "burst_mission_ids": self.burst_mission_ids,
            "seconds": self.seconds,
        }


def _siret(n: int) -> str:
    """A 14-digit number that passes the Luhn check (HM03)."""
    body = f"{n:013d}"
    for check in range(10):
        digits = [int(d) for d in body + str(check)]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return body + str(check)
    raise AssertionError("unreachable")


def _users(role: str, count: int, *, tag: str, start: int, batch: int) -> list[User]:
    now = timezone.now()
    password = make_password(BENCH_PASSWORD)
    users: list[User] = []
    for offset in range(0, count, batch):
        chunk = []
        for n in range(offset, min(count, offset + batch)):
            number = start + n
            chunk.append(
                User(
                    email=f"{role}-{tag}-{n}@bench.microwork.fr",
                    display_name=f"{role.capitalize()} {number}",
                    role=role,
                    password=password,
                    phone=f"+336{number:08d}" if role == Role.TASKER else "",
                    phone_verified_at=now if role == Role.TASKER else None,
                    terms_version=current(required_kinds(role)[0]).version if required_kinds(role) else "",
                    terms_accepted_at=now,
                )
            )
        users.extend(User.objects.bulk_create(chunk))
    kinds = required_kinds(role)
    Consent.objects.bulk_create(
        (
            Consent(user=user, kind=kind, version=current(kind).version, accepted_at=now)
            for user in users
            for kind in kinds
        ),
        batch_size=batch,
    )
    return users


def _tokens(users: list[User], *, batch: int) -> dict[int, str]:
    keys = {user.pk: secrets.token_urlsafe(32) for user in users}
    now = timezone.now()
    ApiToken.objects.bulk_create(
        (
            ApiToken(user_id=pk, key_hash=ApiToken.hash(key), prefix=key[:8], created_at=now, last_used_at=now)
            for pk, key in keys.items()
        ),
        batch_size=batch,
    )
    return keys


def _mission(rng: random.Random, company: User, now: Any, smic: int, *, places: int | None = None) -> Mission:
    minutes = rng.choice(MINUTES_CHOICES)
    reward = minimum_reward_cents(minutes * 60, now.date()) + rng.choice([0, 0, 10, 50, 100, 250, 500])
    fee, vat = place_price(reward)
    category = rng.choice(Category.values)
    verb, subject, where = rng.choice(VERBS), rng.choice(SUBJECTS), rng.choice(PLACES)
    located = category in ("photo", "product_test") or rng.random() < 0.2
    lat, lon = rng.choice(CITIES)
    taken_places = places or rng.choice(PLACES_CHOICES)
    published = now - timedelta(minutes=rng.randint(0, 60 * 24 * 20))
    return Mission(
        company=company,
        title=f"{verb} le {subject} de la {where}",
        category=category,
        instructions=(
            f"{verb} le {subject} de la {where} indiquée, en suivant chaque étape ; "
            f"répondez aux questions et joignez un compte rendu précis de ce que vous avez vu."
        ),
        estimated_seconds=minutes * 60,
        reward_cents=reward,
        fee_cents=fee,
        vat_cents=vat,
        places=taken_places,
        places_free=taken_places,
        latitude=lat + rng.uniform(-0.05, 0.05) if located else None,
        longitude=lon + rng.uniform(-0.05, 0.05) if located else None,
        radius_km=rng.choice([2.0, 5.0, 10.0, 20.0]) if located else None,
        state=MissionState.PUBLISHED,
        submissions=1,
        smic_hourly_cents=smic,
        submitted_at=published - timedelta(hours=1),
        published_at=published,
    )


def _fund(company: User, cents: int) -> None:
    while cents > 0:
        amount = min(cents, settings.TOPUP_MAX_CENTS)
        topup_create(user=company, amount_cents=amount)
        cents -= amount


MISSION_COLUMNS = [f.column for f in Mission._meta.concrete_fields]


def _publish(companies: list[User], missions: list[Mission]) -> None:
    """Write the missions and reserve their places, each company's at once."""
    now = timezone.now()
    with transaction.atomic():
        for mission, pk in zip(missions, next_ids(Mission, len(missions)), strict=True):
            mission.pk = pk
            mission.created_at = now
        fields = Mission._meta.concrete_fields
        insert_rows(Mission, MISSION_COLUMNS, ([getattr(m, f.attname) for f in fields] for m in missions))
        by_company: dict[int, list[Mission]] = {}
        for mission in missions:
            by_company.setdefault(mission.company_id, []).append(mission)
        payers = {company.pk: company for company in companies}
        for company_id, own in by_company.items():
            escrow_fund_many(
                kind="mission_reserve",
                payer=payers[company_id],
                amounts=[(m.escrow_ref, f"mission-reserve:{m.pk}:1", m.cost_cents) for m in own],
                memo="bench",
            )


def seed(
    *, missions: int, taskers: int, companies: int, bursts: int = 0, batch: int = 5000, seed_value: int = 1
) -> Seeded:
    """`bursts` more missions of 50 places each: the ones many taskers race for."""
    if missions < 0 or taskers < 1 or companies < 1 or batch < 1 or bursts < 0:
        raise InvalidInput("missions >= 0, taskers >= 1, companies >= 1, bursts >= 0, batch >= 1.")
    rng = random.Random(seed_value)
    out = Seeded()
    tag = secrets.token_hex(3)
    started = time.monotonic()
    start = User.objects.count()
    tasker_users = _users(Role.TASKER, taskers, tag=tag, start=start, batch=batch)
    company_users = _users(Role.COMPANY, companies, tag=tag, start=start + taskers, batch=batch)
    Organisation.objects.bulk_create(
        Organisation(user=c, siret=_siret(start + n), legal_name=c.display_name) for n, c in enumerate(company_users)
    )
    keys = _tokens(tasker_users + company_users, batch=batch)
    out.seconds["users"] = round(time.monotonic() - started, 1)

    # Each company is topped up once for the most its missions could reserve
    # (drawn one batch at a time, they are never all in memory).
    now = timezone.now()
    smic = smic_hourly_cents(now.date())
    step = time.monotonic()
    place_max = minimum_reward_cents(max(MINUTES_CHOICES) * 60, now.date()) + 500
    mission_max = max([*PLACES_CHOICES, 50]) * (place_max + sum(place_price(place_max)))
    per_company = -(-(missions + bursts) // companies)
    for company in company_users:
        _fund(company, per_company * mission_max)
    out.seconds["funding"] = round(time.monotonic() - step, 1)

    step = time.monotonic()
    first = last = 0
    for offset in range(0, missions, batch):
        drawn = [
            _mission(rng, company_users[n % companies], now, smic) for n in range(offset, min(missions, offset + batch))
        ]
        _publish(company_users, drawn)
        first, last = first or drawn[0].pk, drawn[-1].pk
    hot = [_mission(rng, company_users[n % companies], now, smic, places=50) for n in range(bursts)]
    for mission in hot:
        mission.title = "Mission éclair : 50 places"
        mission.published_at = now
    if hot:
        _publish(company_users, hot)
    analyze(Mission, Account, Entry, Posting, User, ApiToken)
    out.seconds["missions"] = round(time.monotonic() - step, 1)
    out.seconds["total"] = round(time.monotonic() - started, 1)
    out.mission_ids = (first, last)

    out.burst_mission_ids = [m.pk for m in hot]
    out.missions = missions
    out.taskers = [{"id": u.pk, "email": u.email, "token": keys[u.pk]} for u in tasker_users]
    out.companies = [{"id": u.pk, "email": u.email, "token": keys[u.pk]} for u in company_users]
    return out
