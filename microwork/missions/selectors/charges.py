"""What each mission cost a company (HM10, HM15, HM15b), page by page."""

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Sum,
)

from microwork.accounts.models import User
from microwork.core.pagination import keyset_rows
from microwork.ledger.models import AccountKind, Posting

from ..models import Claim, ClaimState, Mission

CHARGES_PAGE = 20


@dataclass
class MissionCharges:
    """What one mission cost the company: reserved, given back, and paid out
    split into rewards, fees and VAT (HM10, HM15, HM15b)."""

    mission: Any
    reserved_cents: int = 0
    refunded_cents: int = 0
    approved: int = 0
    settled: int = 0
    rewards_cents: int = 0
    fees_cents: int = 0
    vat_cents: int = 0
    settled_from_wallet_cents: int = 0

    @property
    def charged_cents(self) -> int:
        return self.rewards_cents + self.fees_cents + self.vat_cents

    @property
    def held_cents(self) -> int:
        """Still in escrow for places not yet paid or given back."""
        return self.reserved_cents - self.refunded_cents - (self.charged_cents - self.settled_from_wallet_cents)


@dataclass
class ChargesPage:
    rows: list[MissionCharges]
    next_cursor: int | None


def company_charges(company: User, *, before: int | None = None, limit: int = CHARGES_PAGE) -> ChargesPage:
    """The company's missions, newest first, with their charges: one query for
    the page's missions, one aggregate over the ledger, one over settled claims."""
    # Pricing sits under services, which read these selectors: import at call time.
    from ..services.pricing import place_price

    missions_qs = Mission.objects.filter(company=company).only(
        "pk", "title", "state", "reward_cents", "fee_cents", "vat_cents", "places", "places_approved", "created_at"
    )
    page, next_pk = keyset_rows(missions_qs, before=before, limit=limit)
    rows = {
        mission.pk: MissionCharges(
            mission=mission,
            approved=mission.places_approved,
            rewards_cents=mission.places_approved * mission.reward_cents,
            fees_cents=mission.places_approved * mission.fee_cents,
            vat_cents=mission.places_approved * mission.vat_cents,
        )
        for mission in page
    }
    if rows:
        refs = {f"mission:{pk}": pk for pk in rows}
        sums = (
            # A mission is paid from the company's funds first, then its earnings.
            Posting.objects.filter(
                account__owner=company,
                account__kind__in=[AccountKind.FUNDS, AccountKind.WALLET],
                entry__ref__in=list(refs),
            )
            .values_list("entry__ref", "entry__kind")
            .annotate(total=Sum("amount_cents"))
        )
        for ref, kind, total in sums:
            row = rows[refs[ref]]
            if kind in ("mission_reserve", "mission_unreserve"):
                # A reservation sent back for changes is given back whole: the net is what stays reserved.
                row.reserved_cents -= int(total)
            elif kind == "mission_refund":
                row.refunded_cents += int(total)
        settled = Claim.objects.filter(mission_id__in=list(rows), state=ClaimState.SETTLED, settled_cents__gt=0)
        for mission_id, settled_cents in settled.values_list("mission_id", "settled_cents"):
            paid = int(settled_cents or 0)
            fee, vat = place_price(paid)
            row = rows[mission_id]
            row.settled += 1
            row.rewards_cents += paid
            row.fees_cents += fee
            row.vat_cents += vat
            row.settled_from_wallet_cents += paid + fee + vat
    return ChargesPage(rows=list(rows.values()), next_cursor=next_pk)
