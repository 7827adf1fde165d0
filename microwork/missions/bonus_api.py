"""Bonuses on approved reports through the API: a company adds one to a claim
of its own mission; each side lists the bonuses given or received."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from microwork.accounts.roles import current_user, require_role
from microwork.core.pagination import PageParams, keyset_page

from . import bonus_selectors, selectors
from .schemas import BonusIn, BonusOut, BonusPage
from .serialisers import bonus_out
from .services.bonuses import claim_bonus_add

router = Router(tags=["missions"])


@router.post("/claims/{claim_id}/bonuses", response={201: BonusOut})
def claim_bonus_create(request: HttpRequest, claim_id: str, data: BonusIn) -> Status[dict[str, Any]]:
    """Add a bonus to an approved report: the company pays it with the fee and VAT of a reward (HM10)."""
    user = current_user(request)
    claim = selectors.claim_for(user, claim_id)
    require_role(user, "company")
    bonus = claim_bonus_add(claim=claim, by=user, amount_cents=data.amount_cents, message=data.message or "")
    return Status(201, bonus_out(bonus, claim=claim))


@router.get("/me/bonuses", response=BonusPage)
def my_bonuses(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """A tasker's bonuses received, a company's bonuses given, newest first."""
    bonuses = bonus_selectors.bonuses_visible_to(current_user(request))
    return keyset_page(bonuses, limit=page.limit, cursor=page.cursor, serialize=bonus_out)
