"""Integer-cent arithmetic. Rounding is half-up to the cent.

A share is computed once with half-up rounding and the rest is derived by
subtraction, so the parts always add up to the whole.
"""

from django.utils import translation

BASIS_POINTS = 10_000


def percent_of(amount_cents: int, rate_basis_points: int) -> int:
    """`rate_basis_points` of `amount_cents`, rounded half-up (2000 bp = 20%)."""
    if amount_cents < 0:
        return -percent_of(-amount_cents, rate_basis_points)
    return (amount_cents * rate_basis_points + BASIS_POINTS // 2) // BASIS_POINTS


def split(amount_cents: int, rate_basis_points: int) -> tuple[int, int]:
    """Split a whole into (share, rest) with share + rest == whole."""
    share = percent_of(amount_cents, rate_basis_points)
    return share, amount_cents - share


def format_eur(amount_cents: int) -> str:
    """Euros as the reader writes them: 1 234,56 € in French, €1,234.56 in English."""
    sign = "-" if amount_cents < 0 else ""
    euros, cents = divmod(abs(amount_cents), 100)
    if (translation.get_language() or "").startswith("en"):
        return f"{sign}€{euros:,}.{cents:02d}"
    return f"{sign}{euros:,}.{cents:02d} €".replace(",", "\u202f").replace(".", ",")


def per_hour_cents(amount_cents: int, *, seconds: int) -> int:
    """What `amount_cents` for `seconds` of work makes per hour, half-up to the cent."""
    if seconds <= 0:
        return 0
    return (amount_cents * 3600 * 2 + seconds) // (seconds * 2)
