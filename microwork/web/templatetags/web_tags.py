import phonenumbers
from django import template
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from microwork.core.durations import duration_label
from microwork.core.money import format_eur

register = template.Library()

#: Page labels for the ledger's entry kinds; an unknown kind shows its memo.
ENTRY_LABELS = {
    "topup": _("Top-up"),
    "mission_reserve": _("Mission budget reserved"),
    "mission_unreserve": _("Mission budget released"),
    "mission_refund": _("Mission budget refunded"),
    "claim_approve": _("Mission reward"),
    "claim_settle": _("Dispute settlement"),
    "payout_request": _("Withdrawal"),
    "payout_paid": _("Withdrawal paid"),
    "payout_failed": _("Withdrawal failed, money returned"),
}


@register.filter
def eur(amount_cents: int | None) -> str:
    """Integer cents as euros, French style: 1 234,50 €."""
    return format_eur(int(amount_cents or 0))


@register.filter
def per_hour(hourly_cents: int | None) -> str:
    """An hourly rate in euros: 15,00 €/h (PL04)."""
    return gettext("%(amount)s/h") % {"amount": format_eur(int(hourly_cents or 0))}


@register.filter
def duration(seconds: int | None) -> str:
    """A mission's estimate as people say it: 30 s, 10 min, 1 min 30 s (MW02)."""
    return duration_label(int(seconds or 0))


@register.filter
def entry_label(entry: object) -> str:
    kind = str(getattr(entry, "kind", ""))
    label = ENTRY_LABELS.get(kind)
    if label is not None:
        return str(label)
    return str(getattr(entry, "memo", "") or kind)


@register.filter
def phone(e164: str) -> str:
    """A stored E.164 number written for people: +33 6 12 34 56 78."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
