"""What a mission costs and the least it may pay (HM08-HM10)."""

import math
from datetime import date

from django.conf import settings
from django.utils.translation import gettext as _

from microwork.core.durations import duration_label
from microwork.core.errors import InvalidInput
from microwork.core.money import format_eur, per_hour_cents, percent_of

FEE_BASIS_POINTS = 2000  # 20% of the reward (HM10)
VAT_BASIS_POINTS = 2000  # French standard rate, on the fee
REWARD_CAP_CENTS = 100_00  # HM09


class RewardBelowMinimumWage(InvalidInput):
    code = "reward_below_minimum_wage"


class RewardAboveCap(InvalidInput):
    code = "reward_above_cap"


def place_price(reward_cents: int) -> tuple[int, int]:
    """(fee, VAT on the fee) for one place: each rounded half-up once, then stored."""
    fee = percent_of(reward_cents, FEE_BASIS_POINTS)
    return fee, percent_of(fee, VAT_BASIS_POINTS)


def price_summary(reward_cents: int, places: int, estimated_seconds: int | None = None) -> dict[str, int | None]:
    """What a mission costs, place by place and in all (HM10), as its pages show it,
    and what the reward makes per hour of the estimate for the tasker (PL04)."""
    fee, vat = place_price(reward_cents)
    place = reward_cents + fee + vat
    return {
        "reward": reward_cents,
        "fee": fee,
        "vat": vat,
        "place": place,
        "places": places,
        "total": place * places,
        "per_hour": per_hour_cents(reward_cents, seconds=estimated_seconds) if estimated_seconds else None,
    }


def smic_hourly_cents(on: date) -> int:
    """The gross hourly minimum wage in force on that day (HM08)."""
    rate = settings.SMIC_HOURLY_CENTS[0][1]
    for since, cents in settings.SMIC_HOURLY_CENTS:
        if on >= since:
            rate = cents
    return int(rate)


def minimum_reward_cents(estimated_seconds: int, on: date) -> int:
    """The SMIC prorated to the duration, to the second, rounded up to the
    cent (HM08, MW02): 10 minutes at 12.02 EUR/h is 201 cents, 30 seconds 11."""
    return math.ceil(smic_hourly_cents(on) * estimated_seconds / 3600)


def reward_check(*, reward_cents: int, estimated_seconds: int, on: date) -> None:
    if reward_cents > REWARD_CAP_CENTS:
        raise RewardAboveCap(
            _("A place pays at most %(cap)s.") % {"cap": format_eur(REWARD_CAP_CENTS)}, field="reward_cents"
        )
    minimum = minimum_reward_cents(estimated_seconds, on)
    if reward_cents < minimum:
        raise RewardBelowMinimumWage(
            _("For %(duration)s of work the reward must be at least %(minimum)s (minimum wage).")
            % {"duration": duration_label(estimated_seconds), "minimum": format_eur(minimum)},
            field="reward_cents",
        )
