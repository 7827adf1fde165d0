"""Earnings that clear before they can be withdrawn (AM16).

An expert's fee is credited to `wallet_pending` when the buyer accepts, and
moves to the withdrawable wallet `EARNINGS_CLEARING_DAYS` later. The move is
due by the clock alone: `tick` writes it down for everyone, and whatever
reads or spends a user's earnings first releases that user's due ones, so the
outcome never waits for the worker.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from .models import Account, Entry, HeldEarning
from .services import Line, entry_post, pending_wallet_of, transfer, wallet_of

if TYPE_CHECKING:
    from microwork.accounts.models import User


def earnings_hold(
    *,
    kind: str,
    idempotency_key: str,
    earner: "User",
    amount_cents: int,
    source: Account,
    others: Sequence[Line] = (),
    release_at: datetime,
    memo: str = "",
    ref: str = "",
    by: "User | None" = None,
) -> Entry:
    """Pay `amount_cents` out of `source` into the earner's pending earnings,
    with `others` (commission, VAT) taken from `source` in the same entry;
    the earnings clear at `release_at`. Once per idempotency key."""
    total = amount_cents + sum(cents for _account, cents in others)
    with transaction.atomic():
        entry = entry_post(
            kind=kind,
            idempotency_key=idempotency_key,
            lines=[(source, -total), (pending_wallet_of(earner), amount_cents), *others],
            memo=memo,
            ref=ref,
            by=by,
        )
        if amount_cents > 0:
            HeldEarning.objects.get_or_create(
                entry=entry,
                defaults={"user": earner, "amount_cents": amount_cents, "ref": ref, "release_at": release_at},
            )
    return entry


def earnings_release_due(*, user: "User | None" = None, now: datetime | None = None) -> int:
    """Move every held earning whose time has come into the wallet; returns how many moved."""
    now = now or timezone.now()
    due = HeldEarning.objects.filter(released_at__isnull=True, release_at__lte=now)
    if user is not None:
        due = due.filter(user=user)
    moved = 0
    for held_pk in due.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            held = HeldEarning.objects.select_for_update().select_related("user").get(pk=held_pk)
            if held.released_at is not None:
                continue
            transfer(
                kind="earnings_release",
                idempotency_key=f"earnings-release:{held.pk}",
                source=pending_wallet_of(held.user),
                destination=wallet_of(held.user),
                amount_cents=held.amount_cents,
                ref=held.ref,
            )
            held.released_at = now
            held.save(update_fields=["released_at"])
            moved += 1
    return moved


def held_unreleased_cents(user: "User") -> int:
    """What the user's pending earnings should hold: the audit compares."""
    return HeldEarning.objects.filter(user=user, released_at__isnull=True).aggregate(t=Sum("amount_cents"))["t"] or 0
