"""Integer-cent arithmetic: half-up rounding, parts that add up, French display."""

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from microwork.core.money import BASIS_POINTS, format_eur, per_hour_cents, percent_of, split

TWENTY_PERCENT = 2000


@pytest.mark.parametrize(
    ("amount_cents", "rate_basis_points", "expected"),
    [
        (300, TWENTY_PERCENT, 60),  # SPEC HM10: the fee on a 300-cent place
        (60, TWENTY_PERCENT, 12),  # SPEC HM10: the VAT on that fee
        (3, TWENTY_PERCENT, 1),  # 0.6 rounds up
        (2, TWENTY_PERCENT, 0),  # 0.4 rounds down
        (25, TWENTY_PERCENT, 5),
        (1, TWENTY_PERCENT, 0),  # 0.2
        (0, TWENTY_PERCENT, 0),
        (4, 1250, 1),  # exactly 0.5 rounds up
        (12, 1250, 2),  # exactly 1.5 rounds up
        (20, 1250, 3),  # exactly 2.5 rounds up, not to even
        (5, 1000, 1),  # exactly 0.5
        (25, 1000, 3),  # exactly 2.5
        (35, 1000, 4),  # exactly 3.5
        (1, 4999, 0),  # 0.4999 rounds down
        (1, 5000, 1),  # 0.5 rounds up
        (199, 5000, 100),  # 99.5 rounds up
        (12345, BASIS_POINTS, 12345),  # 100%
        (12345, 0, 0),
    ],
)
def test_percent_of_rounds_half_up(amount_cents, rate_basis_points, expected):
    # given an amount and a rate in basis points
    # when the share is computed
    share = percent_of(amount_cents, rate_basis_points)
    # then it is rounded half-up to the cent
    assert share == expected
    assert isinstance(share, int)


@pytest.mark.parametrize(
    ("amount_cents", "rate_basis_points", "expected"),
    [(-3, TWENTY_PERCENT, -1), (-2, TWENTY_PERCENT, 0), (-5, 1000, -1), (-300, TWENTY_PERCENT, -60)],
)
def test_percent_of_negative_amount_mirrors_the_positive_one(amount_cents, rate_basis_points, expected):
    # given a negative amount (a refund, a reversal)
    # when its share is computed
    # then it is the exact negative of the positive share: half rounds away from zero
    assert percent_of(amount_cents, rate_basis_points) == expected


def test_hm10_one_place_at_300_cents_costs_372():
    # given one place with a 300-cent reward, a 20% fee and 20% VAT on the fee
    reward = 300
    # when the charges are computed
    fee = percent_of(reward, TWENTY_PERCENT)
    vat = percent_of(fee, TWENTY_PERCENT)
    # then the company pays 372 cents
    assert (fee, vat) == (60, 12)
    assert reward + fee + vat == 372


@pytest.mark.parametrize(
    ("amount_cents", "rate_basis_points", "expected"),
    [(300, TWENTY_PERCENT, (60, 240)), (3, TWENTY_PERCENT, (1, 2)), (2, TWENTY_PERCENT, (0, 2)), (4, 1250, (1, 3))],
)
def test_split_takes_the_rounded_share_and_derives_the_rest(amount_cents, rate_basis_points, expected):
    # given a whole and a rate
    # when it is split
    parts = split(amount_cents, rate_basis_points)
    # then the share is rounded half-up and the rest is what is left
    assert parts == expected


@given(
    amount_cents=st.integers(min_value=-(10**12), max_value=10**12),
    rate_basis_points=st.integers(min_value=0, max_value=BASIS_POINTS),
)
def test_split_parts_always_add_up_to_the_whole(amount_cents, rate_basis_points):
    # given any whole amount and any rate between 0% and 100%
    # when it is split
    share, rest = split(amount_cents, rate_basis_points)
    # then the parts are integers that add up to the whole
    assert isinstance(share, int)
    assert isinstance(rest, int)
    assert share + rest == amount_cents
    # and the share is the exact value rounded half-up, never more than half a cent off
    assert abs(share * BASIS_POINTS - amount_cents * rate_basis_points) <= BASIS_POINTS // 2
    # and for a non-negative whole, neither part is negative or larger than the whole
    if amount_cents >= 0:
        assert 0 <= share <= amount_cents
        assert 0 <= rest <= amount_cents


@given(
    smaller=st.integers(min_value=0, max_value=10**10),
    extra=st.integers(min_value=0, max_value=10**10),
    rate_basis_points=st.integers(min_value=0, max_value=BASIS_POINTS),
)
def test_percent_of_grows_with_the_amount_and_is_nearly_additive(smaller, extra, rate_basis_points):
    # given two amounts, one no larger than the other
    larger = smaller + extra
    # when the same rate is taken of each
    # then the larger amount never yields a smaller share
    assert percent_of(smaller, rate_basis_points) <= percent_of(larger, rate_basis_points)
    # and shares taken piecewise differ from the share of the sum by at most one cent
    piecewise = percent_of(smaller, rate_basis_points) + percent_of(extra, rate_basis_points)
    assert abs(piecewise - percent_of(larger, rate_basis_points)) <= 1


@pytest.mark.parametrize(
    ("amount_cents", "expected"),
    [
        (0, "0,00 €"),
        (5, "0,05 €"),
        (99, "0,99 €"),
        (100, "1,00 €"),
        (372, "3,72 €"),
        (100_00, "100,00 €"),
        (123_456_78, "123\u202f456,78 €"),
        (1_000_000_00, "1\u202f000\u202f000,00 €"),
        (-5, "-0,05 €"),
        (-123_456_78, "-123\u202f456,78 €"),
    ],
)
def test_format_eur_writes_french_euros(amount_cents, expected):
    # given an amount in cents
    # when it is shown
    # then it reads as French euros: comma decimals, narrow no-break space thousands, euro sign after
    assert format_eur(amount_cents) == expected


@pytest.mark.parametrize(
    ("amount_cents", "minutes", "expected"),
    [(300, 10, 18_00), (250, 10, 15_00), (100, 7, 857), (1, 120, 1), (1, 121, 0), (500, 0, 0)],
)
def test_per_hour_cents_rounds_half_up_to_the_cent(amount_cents, minutes, expected):
    # 1 cent for 120 minutes is 0.5 cent an hour: half-up gives 1; for 121, 0
    assert per_hour_cents(amount_cents, seconds=minutes * 60) == expected


def test_mw02_per_hour_cents_of_a_task_of_seconds():
    # 11 cents for 30 seconds is 13.20 EUR an hour
    assert per_hour_cents(11, seconds=30) == 13_20


@pytest.mark.parametrize(
    ("amount_cents", "expected"), [(5, "€0.05"), (372, "€3.72"), (123_456_78, "€123,456.78"), (-150, "-€1.50")]
)
def test_format_eur_writes_english_euros_for_english_readers(amount_cents, expected):
    # an English page writes euros as English readers do: sign first, point decimals, comma thousands
    with translation.override("en"):
        assert format_eur(amount_cents) == expected
