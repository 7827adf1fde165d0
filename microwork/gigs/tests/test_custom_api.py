"""Custom orders through the API (AM11), and their 20% commission (AM12)."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from microwork import testing
from microwork.accounts.models import User, VerificationDocument
from microwork.core.errors import Forbidden, InvalidInput
from microwork.gigs import services
from microwork.gigs.models import CustomRequest, Order, OrderState, Proposal
from microwork.ledger.models import Account, AccountKind
from microwork.ledger.selectors import wallet_balance
from microwork.notifications.models import Notice

from .conftest import available

pytestmark = pytest.mark.django_db

NEED = {
    "title": "Logo pour une boulangerie",
    "description": "Un logo simple et chaleureux pour notre boulangerie de quartier, en couleurs.",
    "budget_cents": 15_000,
    "category": "design",
}


def deadline(days: int = 10) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def post_request(buyer: User, **overrides: Any) -> dict[str, Any]:
    response = testing.api_as(buyer).post("/custom-requests", {**NEED, "deadline": deadline(), **overrides})
    assert response.status_code == 201, response.json()
    return response.json()


def invite(staff: User, request_id: str, *experts: User) -> Any:
    return testing.api_as(staff).post(
        f"/custom-requests/{request_id}/invitations", {"expert_ids": [str(e.pk) for e in experts]}
    )


def propose(expert: User, request_id: str, price_cents: int = 15_000, delivery_days: int = 5) -> Any:
    return testing.api_as(expert).post(
        f"/custom-requests/{request_id}/proposals",
        {"price_cents": price_cents, "delivery_days": delivery_days, "message": "Je peux le faire."},
    )


@pytest.fixture
def invited(buyer, expert, other_expert, staff) -> dict[str, Any]:
    """A request with both experts invited; each has proposed."""
    request = post_request(buyer)
    assert invite(staff, request["id"], expert, other_expert).status_code == 201
    first = propose(expert, request["id"], 14_000, 4)
    second = propose(other_expert, request["id"], 16_000, 6)
    assert first.status_code == 201 and second.status_code == 201
    return {"request": request, "first": first.json(), "second": second.json()}


def test_am11_buyer_posts_a_request_and_staff_are_told(buyer, staff):
    request = post_request(buyer)
    assert request["state"] == "open"
    assert request["budget_cents"] == 15_000
    notice = Notice.objects.get(user=staff, kind="custom_request")
    assert notice.url == f"/moderation/sur-mesure/{request['id']}/"


def test_am11_invited_expert_is_told_and_proposes(buyer, expert, staff):
    request = post_request(buyer)
    response = invite(staff, request["id"], expert)
    assert response.status_code == 201
    assert len(response.json()["items"]) == 1
    assert Notice.objects.filter(user=expert, kind="custom_invitation", url=f"/sur-mesure/{request['id']}/").exists()
    proposal = propose(expert, request["id"], 18_000, 7)
    assert proposal.status_code == 201, proposal.json()
    assert (proposal.json()["price_cents"], proposal.json()["delivery_days"]) == (18_000, 7)
    assert Notice.objects.filter(user=buyer, kind="custom_proposal").exists()


def test_am11_accepting_a_proposal_opens_a_custom_order_in_escrow(buyer, expert, other_expert, invited):
    response = testing.api_as(buyer).post(f"/proposals/{invited['first']['id']}/accept")
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["state"] == "active"
    assert order["commission_bp"] == 2000
    assert (order["total_cents"], order["delivery_days"]) == (14_000, 4)
    assert order["expert_id"] == str(expert.pk)
    assert available(buyer) == 500_00 - 14_000
    escrow = Account.objects.get(kind=AccountKind.ESCROW, ref=f"order:{order['id']}")
    assert escrow.balance_cents == 14_000
    assert CustomRequest.objects.get(pk=invited["request"]["id"]).state == "ordered"
    other = Proposal.objects.get(pk=invited["second"]["id"])
    assert other.state == "declined"
    assert Notice.objects.filter(user=other_expert, kind="custom_not_chosen").exists()


def test_am11_accepting_twice_is_a_conflict(buyer, invited):
    api = testing.api_as(buyer)
    assert api.post(f"/proposals/{invited['first']['id']}/accept").status_code == 201
    again = api.post(f"/proposals/{invited['first']['id']}/accept")
    assert again.status_code == 409
    other = api.post(f"/proposals/{invited['second']['id']}/accept")
    assert other.status_code == 409
    assert Order.objects.count() == 1


def test_am11_request_takes_no_proposal_once_ordered(buyer, expert, other_expert, staff):
    third = testing.make_verified_expert("lea@example.fr", display_name="Léa")
    request = post_request(buyer)
    invite(staff, request["id"], expert, third)
    first = propose(expert, request["id"]).json()
    assert testing.api_as(buyer).post(f"/proposals/{first['id']}/accept").status_code == 201
    late = propose(third, request["id"])
    assert late.status_code == 409
    assert invite(staff, request["id"], other_expert).status_code == 409


def test_am11_non_invited_expert_may_not_propose(buyer, expert, other_expert, staff):
    request = post_request(buyer)
    invite(staff, request["id"], expert)
    # Through the API the request stays hidden from an expert not invited (404: never reveal)…
    assert propose(other_expert, request["id"]).status_code == 404
    # …and the service itself refuses with a 403.
    found = CustomRequest.objects.get(pk=request["id"])
    with pytest.raises(Forbidden) as refused:
        services.proposal_create(request=found, by=other_expert, price_cents=10_000, delivery_days=3)
    assert refused.value.status == 403
    assert not Proposal.objects.exists()


def test_am11_only_staff_invite(buyer, expert, other_expert):
    request = post_request(buyer)
    assert invite(buyer, request["id"], expert).status_code == 403
    assert invite(other_expert, request["id"], expert).status_code == 403


def test_am11_invite_of_an_unverified_expert_is_refused(buyer, staff):
    unverified = testing.make_expert("nouveau@example.fr")
    request = post_request(buyer)
    response = invite(staff, request["id"], unverified)
    assert response.status_code == 422
    assert invite(staff, request["id"], buyer).status_code == 422


def test_am11_only_the_buyer_accepts(buyer, expert, invited):
    assert testing.api_as(expert).post(f"/proposals/{invited['first']['id']}/accept").status_code == 403
    assert Order.objects.count() == 0


def test_am11_short_balance_orders_nothing(expert, staff):
    poor = testing.make_company("poor@example.fr", balance_cents=50_00)
    request = post_request(poor)
    invite(staff, request["id"], expert)
    proposal = propose(expert, request["id"], 15_000).json()
    response = testing.api_as(poor).post(f"/proposals/{proposal['id']}/accept")
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    assert Order.objects.count() == 0
    assert CustomRequest.objects.get(pk=request["id"]).state == "open"
    assert Proposal.objects.get(pk=proposal["id"]).state == "open"


def test_am11_request_input_is_checked(buyer):
    api = testing.api_as(buyer)
    past = api.post("/custom-requests", {**NEED, "deadline": timezone.localdate().isoformat()})
    assert past.status_code == 422
    cheap = api.post("/custom-requests", {**NEED, "budget_cents": 100, "deadline": deadline()})
    assert cheap.status_code == 422


def test_am12_custom_order_pays_the_expert_less_20_percent(buyer, expert, invited):
    order = testing.api_as(buyer).post(f"/proposals/{invited['first']['id']}/accept").json()
    api_expert = testing.api_as(expert)
    assert api_expert.post(f"/orders/{order['id']}/start").status_code == 200
    assert api_expert.post(f"/orders/{order['id']}/deliveries", {"message": "Voici le logo."}).status_code == 201
    accepted = testing.api_as(buyer).post(f"/orders/{order['id']}/accept", {"rating": 5})
    assert accepted.status_code == 200, accepted.json()
    # 140 € less 20% = 112 €; the 28 € commission is split into revenue and VAT.
    assert services.commission_split(14_000, 2000) == (11_200, 2_333, 467)
    assert wallet_balance(expert).pending_cents == 11_200
    assert Account.objects.get(kind=AccountKind.ESCROW, ref=f"order:{order['id']}").balance_cents == 0
    assert Order.objects.get(pk=order["id"]).state == OrderState.COMPLETED


def test_am11_staff_read_the_suggestions(buyer, expert, other_expert, staff, offer):
    request = post_request(buyer)
    response = testing.api_as(staff).get(f"/custom-requests/{request['id']}/suggestions")
    assert response.status_code == 200
    items = response.json()
    # Emma sells a logo in design and the request asks for a logo in design.
    assert [i["expert_id"] for i in items] == [str(expert.pk), str(other_expert.pk)]
    assert items[0]["category_offers"] == 1 and "logo" in items[0]["title_words"]
    assert items[0]["score"] > items[1]["score"] == 0
    assert testing.api_as(buyer).get(f"/custom-requests/{request['id']}/suggestions").status_code == 403


def test_am13_am11_a_suspended_expert_makes_no_sale(buyer, expert, staff):
    request = post_request(buyer)
    invite(staff, request["id"], expert)
    proposal = propose(expert, request["id"]).json()
    VerificationDocument.objects.filter(user=expert, kind="vigilance").update(
        valid_until=timezone.localdate() - timedelta(days=1)
    )
    response = testing.api_as(buyer).post(f"/proposals/{proposal['id']}/accept")
    assert response.status_code == 403
    assert response.json()["code"] == "expert_not_verified"
    assert Order.objects.count() == 0
    assert available(buyer) == 500_00


def test_am11_unknown_category_is_refused(buyer):
    with pytest.raises(InvalidInput):
        services.custom_request_create(
            buyer=buyer,
            title=NEED["title"],
            description=NEED["description"],
            budget_cents=15_000,
            deadline=timezone.localdate() + timedelta(days=3),
            category="astrology",
        )
