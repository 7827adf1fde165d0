"""The questions "may this happen now?" asked once, of the transition tables,
by services and pages alike (AM03, AM06, AM07, AM09, AM11)."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import translation

from microwork import testing
from microwork.accounts.models import User
from microwork.core.states import WrongState
from microwork.gigs import selectors, services
from microwork.gigs.models import (
    Cancellation,
    CancellationState,
    CustomRequestState,
    Offer,
    Order,
    OrderState,
)
from microwork.gigs.services.custom import custom_work_end_for
from microwork.gigs.templatetags.gigs_tags import order_state

pytestmark = pytest.mark.django_db


def as_user(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    return testing.signed_in(client, user)


def fields_of(offer: Offer) -> services.OfferFields:
    return services.OfferFields(
        kind=offer.kind,
        title=offer.title,
        category=offer.category,
        description=offer.description + " Encore.",
        price_cents=offer.price_cents,
        delivery_days=offer.delivery_days,
    )


def test_am03_a_withdrawn_offer_is_neither_changed_nor_offered_for_change(offer, expert):
    assert selectors.offers_changeable([offer]) == {offer.pk}
    services.offer_withdraw(offer=offer, by=expert)
    offer.refresh_from_db()
    assert selectors.offers_changeable([offer]) == set()
    with pytest.raises(WrongState) as refused:
        services.offer_update(offer=offer, by=expert, fields=fields_of(offer))
    assert refused.value.code == "wrong_state"
    html = as_user(expert).get("/mes-offres/").content.decode()
    assert f"mes-offres/{offer.pk}/retirer/" not in html
    assert f"/mes-offres/{offer.pk}/modifier/" not in html


def test_am11_invitations_and_proposals_need_a_request_that_may_still_be_ordered(
    request_open, staff, expert, other_expert, buyer
):
    services.custom_request_invite(request=request_open, by=staff, expert_ids=[expert.pk])
    assert selectors.custom_request_orderable(request_open)
    custom_work_end_for(user=buyer)  # the buyer's account closes: the request closes
    request_open.refresh_from_db()
    assert request_open.state == CustomRequestState.CLOSED
    assert not selectors.custom_request_orderable(request_open)
    with pytest.raises(WrongState):
        services.custom_request_invite(request=request_open, by=staff, expert_ids=[other_expert.pk])
    with pytest.raises(WrongState):
        services.proposal_create(request=request_open, by=expert, price_cents=15_000, delivery_days=5)


def test_am11_proposals_seen_and_acceptable(request_open, staff, expert, other_expert, buyer):
    services.custom_request_invite(request=request_open, by=staff, expert_ids=[expert.pk, other_expert.pk])
    mine = services.proposal_create(request=request_open, by=expert, price_cents=15_000, delivery_days=5)
    theirs = services.proposal_create(request=request_open, by=other_expert, price_cents=12_000, delivery_days=8)
    assert list(selectors.proposals_visible_to(request_open, buyer)) == [mine, theirs]
    assert list(selectors.proposals_visible_to(request_open, staff)) == [mine, theirs]
    assert list(selectors.proposals_visible_to(request_open, expert)) == [mine]
    assert selectors.custom_request_role(request_open, buyer) == "buyer"
    assert selectors.custom_request_role(request_open, expert) == "expert"
    assert selectors.custom_request_role(request_open, staff) is None
    assert selectors.proposals_acceptable(request_open, [mine, theirs]) == {mine.pk, theirs.pk}


def test_am11_the_suggested_terms_are_the_budget_and_the_days_left(request_open):
    today = request_open.deadline - timedelta(days=10)
    assert services.proposal_terms_suggested(request_open, today) == (15_000, 10)
    assert services.proposal_terms_suggested(request_open, request_open.deadline + timedelta(days=3)) == (15_000, 1)
    assert services.proposal_terms_suggested(request_open, date(2000, 1, 1))[1] == 90


def test_am07_answering_when_no_cancellation_waits_is_refused(buyer, expert, offer):
    order = services.order_start(order=services.order_place(buyer=buyer, offer=offer), by=expert)
    with pytest.raises(WrongState) as refused:
        services.order_cancellation_answer(order=order, by=expert, accept=True)
    assert refused.value.code == "wrong_state"
    assert selectors.order_under_way(order)
    assert selectors.order_cancellation_waiting(order) is None
    services.cancellation_request(order=order, by=buyer, reason="Projet abandonné.")
    asked = selectors.order_cancellation_waiting(order)
    assert asked is not None and asked.by_id == buyer.pk
    services.order_cancellation_answer(order=order, by=expert, accept=True)
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert not selectors.order_under_way(order)
    assert selectors.order_cancellation_waiting(order) is None
    taken = Cancellation.objects.get(order=order)
    assert taken.state == CancellationState.ACCEPTED
    assert selectors.order_cancellations_evaluable(order, expert) == [taken]
    assert selectors.order_cancellations_evaluable(order, buyer) == []


def test_am09_the_decision_split_and_its_range(buyer, expert, offer, staff):
    order = services.order_place(buyer=buyer, offer=offer)
    assert not selectors.order_has_dispute(order)
    assert services.refund_in_range(order, 0) and services.refund_in_range(order, order.total_cents)
    assert not services.refund_in_range(order, -1)
    assert not services.refund_in_range(order, order.total_cents + 1)
    assert not services.refund_in_range(order, "10")
    split = services.resolve_split(order, 0)
    expert_cents, revenue, vat = services.commission_split(order.total_cents, order.commission_bp)
    assert (split.refund, split.expert, split.platform, split.vat) == (0, expert_cents, revenue + vat, vat)
    assert services.resolve_split(order, order.total_cents).expert == 0
    services.order_start(order=order, by=expert)
    services.order_dispute(order=order, by=buyer, reason="Rien reçu depuis une semaine.")
    order.refresh_from_db()
    assert selectors.order_has_dispute(order) and selectors.order_can(order, OrderState.RESOLVED)
    services.order_resolve(order=order, by=staff, buyer_refund_cents=1_000)
    order.refresh_from_db()
    assert selectors.order_has_dispute(order) and not selectors.order_can(order, OrderState.RESOLVED)


def test_am06_order_state_labels_are_defined_once():
    # the pages' tag reads the model's own labels, which the staff pages show too
    with translation.override("fr"):
        assert order_state(OrderState.DELIVERED) == Order(state=OrderState.DELIVERED).get_state_display() == "Livrée"
        assert order_state(OrderState.DISPUTED) == "Contestée"
    assert order_state("") == ""
