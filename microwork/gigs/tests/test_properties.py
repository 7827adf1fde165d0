"""Random lives of orders over the real services and ledger (AM05-AM09,
AM12, AM16, PL01).

A Hypothesis state machine places orders (with extras, on money that may
fall short), starts, delivers, revises, accepts, cancels before the start,
asks and agrees to cancel after it, disputes (the late first delivery
refunded at once), resolves with a random refund, tops up, and moves the
clock by hours and days so that first deliveries turn late and earnings
clear. Two experts sell; one of them also buys with what it earned.

After every step the books are checked against a model kept beside them:
`ledger_audit()` finds nothing; every account holds what the model says;
money is conserved (all purses + escrows + revenue + VAT == money put in);
an order's escrow holds its total while it runs and 0 once it is completed,
resolved or cancelled; each seller's pending + earnings are the sum of what
escrows paid them less the 10% commission (less what they spent of it and
plus what came back), and never more than buyers paid less refunds.

The examples share users and offers made once; each example runs in a
savepoint rolled back at its end, under a clock of its own.
"""

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from microwork import testing
from microwork.accounts.models import User
from microwork.core.errors import ApplicationError, Conflict, InsufficientFunds
from microwork.gigs import services
from microwork.gigs.models import Cancellation, CancellationState, Offer, Order, OrderState
from microwork.ledger.clearing import earnings_release_due
from microwork.ledger.models import Account, AccountKind, HeldEarning
from microwork.ledger.payments import topup_create
from microwork.ledger.selectors import ledger_audit
from microwork.testing import make_offer

UNDER_WAY = (OrderState.IN_PROGRESS, OrderState.DELIVERED)
FINAL = (OrderState.COMPLETED, OrderState.RESOLVED, OrderState.CANCELLED)
PURSES = (AccountKind.FUNDS, AccountKind.WALLET, AccountKind.WALLET_PENDING)


def commission(amount: int) -> int:
    """10% of what the expert is paid out of escrow, half-up to the cent (AM12)."""
    return (amount * 10 + 50) // 100


@dataclass
class World:
    """Made once for the whole test: who trades, and what is for sale."""

    users: list[User]
    staff: User
    offers: list[Offer]
    money_in: int
    held: list[tuple[int, int, datetime]]


@dataclass
class OrderModel:
    pk: int
    buyer: int
    seller: int
    total: int
    days: int
    state: str = OrderState.ACTIVE
    due_at: datetime | None = None
    delivered_once: bool = False
    # What the buyer put in from [funds, earnings] and has not had back.
    put_in: list[int] = field(default_factory=lambda: [0, 0])
    refunded: int = 0
    paid: int = 0  # out of escrow to the expert, commission included
    asked_by: str | None = None  # an open cancellation request: "buyer" or "expert"


def machine_for(world: World) -> type[RuleBasedStateMachine]:
    users = range(len(world.users))
    sellers = {offer.expert_id for offer in world.offers}

    class OrderMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()
            self.clock = time_machine.travel(timezone.now(), tick=False)
            self.traveller = self.clock.start()
            self.steps = 0
            self.orders: list[OrderModel] = []
            self.accounts = {
                (kind, owner): balance
                for kind, owner, balance in Account.objects.filter(owner__in=world.users, kind__in=PURSES).values_list(
                    "kind", "owner_id", "balance_cents"
                )
            }
            self.funds = [self.accounts.get((AccountKind.FUNDS, u.pk), 0) for u in world.users]
            self.earnings = [self.accounts.get((AccountKind.WALLET, u.pk), 0) for u in world.users]
            self.pending = [self.accounts.get((AccountKind.WALLET_PENDING, u.pk), 0) for u in world.users]
            self.held = list(world.held)  # (user, cents, release_at)
            self.money_in = world.money_in
            self.commissions = (
                Account.objects.filter(kind__in=(AccountKind.REVENUE, AccountKind.VAT)).aggregate(
                    total=Sum("balance_cents")
                )["total"]
                or 0
            )
            # Per user: escrow paid to them net of commission; earnings they spent and had back.
            self.earned_before = [self.earnings[who] + self.pending[who] for who in users]
            self.earned = list(self.earned_before)
            self.spent_earnings = [0] * len(world.users)
            self.back_to_earnings = [0] * len(world.users)

        def teardown(self) -> None:
            try:
                assert ledger_audit() == []
            finally:
                self.clock.stop()
                transaction.set_rollback(True)
                self.savepoint.__exit__(None, None, None)

        # --- the model's money ---------------------------------------------

        def release_due(self, only: int | None = None) -> None:
            """Held earnings whose time has come move to earnings: everyone's
            (tick), or one user's (what reads or spends their money first)."""
            now = timezone.now()
            still = []
            for who, cents, release_at in self.held:
                if release_at <= now and only in (None, who):
                    self.pending[who] -= cents
                    self.earnings[who] += cents
                else:
                    still.append((who, cents, release_at))
            self.held = still

        def refund(self, order: OrderModel, amount: int) -> None:
            to_funds = min(amount, order.put_in[0])
            to_earnings = amount - to_funds
            order.put_in = [order.put_in[0] - to_funds, order.put_in[1] - to_earnings]
            self.funds[order.buyer] += to_funds
            self.earnings[order.buyer] += to_earnings
            self.back_to_earnings[order.buyer] += to_earnings
            order.refunded += amount

        def pay(self, order: OrderModel, amount: int) -> None:
            if amount <= 0:
                return
            fee = commission(amount)
            self.commissions += fee
            self.pending[order.seller] += amount - fee
            self.earned[order.seller] += amount - fee
            if amount - fee > 0:
                release_at = timezone.now() + timedelta(days=django_settings.EARNINGS_CLEARING_DAYS)
                self.held.append((order.seller, amount - fee, release_at))
            order.paid += amount

        def pick(self, index: int) -> tuple[OrderModel, Order]:
            model = self.orders[index % len(self.orders)]
            return model, Order.objects.get(pk=model.pk)

        def user(self, who: int) -> User:
            return world.users[who]

        def refused(self, call: object, error: type[ApplicationError] = Conflict) -> None:
            with pytest.raises(error):
                call()  # type: ignore[operator]

        # --- rules -----------------------------------------------------------

        @rule(who=st.sampled_from(list(users)), amount=st.integers(min_value=1, max_value=200_00))
        def top_up(self, who: int, amount: int) -> None:
            topup_create(user=self.user(who), amount_cents=amount)
            self.funds[who] += amount
            self.money_in += amount

        @rule(
            who=st.sampled_from(list(users)),
            offer=st.integers(min_value=0, max_value=len(world.offers) - 1),
            extras=st.lists(st.integers(min_value=0, max_value=1), max_size=2),
        )
        def place(self, who: int, offer: int, extras: list[int]) -> None:
            self.order(who, offer, extras)

        @rule(second=st.booleans(), offer=st.integers(min_value=0, max_value=1), extras=st.lists(st.integers(0, 1)))
        def expert_spends_earnings(self, second: bool, offer: int, extras: list[int]) -> None:
            # An expert orders from the other expert, with the fees it earned (PL01, AM16).
            if second:
                self.order(3, offer, extras)
            else:
                self.order(2, 2, extras)

        def order(self, who: int, offer: int, extras: list[int]) -> None:
            chosen = world.offers[offer]
            buyer = self.user(who)
            if buyer.pk == chosen.expert_id:
                self.refused(lambda: services.order_place(offer=chosen, buyer=buyer), ApplicationError)
                return
            offered = list(chosen.extras.all())
            picked = sorted({i for i in extras if i < len(offered)})
            total = chosen.price_cents + sum(offered[i].price_cents for i in picked)
            days = chosen.delivery_days + sum(offered[i].extra_days for i in picked)
            # Earnings that have cleared by the clock count, whether or not anything released them yet (AM16).
            self.release_due(who)
            from_funds = min(total, max(self.funds[who], 0))
            from_earnings = total - from_funds
            before = Order.objects.count()
            if from_earnings > self.earnings[who]:
                self.refused(lambda: services.order_place(offer=chosen, buyer=buyer, extras=picked), InsufficientFunds)
                assert Order.objects.count() == before
                return
            order = services.order_place(offer=chosen, buyer=buyer, extras=picked)
            assert order.total_cents == total
            seller = next(i for i, u in enumerate(world.users) if u.pk == chosen.expert_id)
            self.funds[who] -= from_funds
            self.earnings[who] -= from_earnings
            self.spent_earnings[who] += from_earnings
            self.orders.append(
                OrderModel(
                    pk=order.pk, buyer=who, seller=seller, total=total, days=days, put_in=[from_funds, from_earnings]
                )
            )

        @precondition(lambda self: self.orders)
        @rule(index=st.integers(min_value=0, max_value=99))
        def start(self, index: int) -> None:
            model, order = self.pick(index)
            expert = self.user(model.seller)
            if model.state != OrderState.ACTIVE:
                self.refused(lambda: services.order_start(order=order, by=expert))
                return
            services.order_start(order=order, by=expert)
            model.state = OrderState.IN_PROGRESS
            model.due_at = timezone.now() + timedelta(days=model.days)

        @precondition(lambda self: self.orders)
        @rule(index=st.integers(min_value=0, max_value=99))
        def deliver(self, index: int) -> None:
            model, order = self.pick(index)
            expert = self.user(model.seller)
            if model.state != OrderState.IN_PROGRESS:
                self.refused(lambda: services.order_deliver(order=order, by=expert, message="Livré."))
                return
            services.order_deliver(order=order, by=expert, message="Livré.")
            model.state = OrderState.DELIVERED
            model.delivered_once = True

        @precondition(lambda self: self.orders)
        @rule(index=st.integers(min_value=0, max_value=99))
        def revise(self, index: int) -> None:
            model, order = self.pick(index)
            buyer = self.user(model.buyer)
            instructions = "Merci de reprendre les couleurs."
            if model.state != OrderState.DELIVERED:
                self.refused(lambda: services.order_revise(order=order, by=buyer, instructions=instructions))
                return
            services.order_revise(order=order, by=buyer, instructions=instructions)
            model.state = OrderState.IN_PROGRESS

        @precondition(lambda self: self.orders)
        @rule(index=st.integers(min_value=0, max_value=99), rating=st.integers(min_value=1, max_value=5))
        def accept(self, index: int, rating: int) -> None:
            model, order = self.pick(index)
            buyer = self.user(model.buyer)
            if model.state != OrderState.DELIVERED:
                self.refused(lambda: services.order_accept(order=order, by=buyer, rating=rating))
                return
            services.order_accept(order=order, by=buyer, rating=rating)
            model.state = OrderState.COMPLETED
            self.pay(model, model.total)

        @precondition(lambda self: self.orders)
        @rule(index=st.integers(min_value=0, max_value=99), by_expert=st.booleans())
        def cancel_before_start(self, index: int, by_expert: bool) -> None:
            # The buyer cancels, or the expert declines (AM07).
            model, order = self.pick(index)
            if by_expert:
                expert = self.user(model.seller)
                if model.state != OrderState.ACTIVE:
                    self.refused(lambda: services.order_decline(order=order, by=expert))
                    return
                services.order_decline(order=order, by=expert)
            else:
                buyer = self.user(model.buyer)
                agreed = model.state in UNDER_WAY and model.asked_by == "expert"
                if model.state != OrderState.ACTIVE and not agreed:
                    self.refused(lambda: services.order_cancel(order=order, by=buyer))
                    return
                services.order_cancel(order=order, by=buyer)
                if agreed:
                    model.asked_by = None
            model.state = OrderState.CANCELLED
            self.refund(model, model.total)

        @precondition(lambda self: self.orders)
        @rule(index=st.integers(min_value=0, max_value=99), by_expert=st.booleans())
        def ask_to_cancel(self, index: int, by_expert: bool) -> None:
            model, order = self.pick(index)
            asker = self.user(model.seller if by_expert else model.buyer)
            if model.state not in UNDER_WAY or model.asked_by is not None:
                self.refused(lambda: services.cancellation_request(order=order, by=asker, reason="Plus possible."))
                return
            services.cancellation_request(order=order, by=asker, reason="Plus possible.")
            model.asked_by = "expert" if by_expert else "buyer"

        @precondition(lambda self: any(m.asked_by for m in self.orders))
        @rule(index=st.integers(min_value=0, max_value=99), agree=st.booleans())
        def answer_cancellation(self, index: int, agree: bool) -> None:
            asked = [m for m in self.orders if m.asked_by]
            model = asked[index % len(asked)]
            other = self.user(model.buyer if model.asked_by == "expert" else model.seller)
            cancellation = Cancellation.objects.get(order_id=model.pk, state=CancellationState.REQUESTED)
            if agree and model.state not in UNDER_WAY:
                self.refused(lambda: services.cancellation_answer(cancellation=cancellation, by=other, accept=True))
                return
            services.cancellation_answer(cancellation=cancellation, by=other, accept=agree)
            model.asked_by = None
            if agree:
                model.state = OrderState.CANCELLED
                self.refund(model, model.total)

        @precondition(lambda self: self.orders)
        @rule(index=st.integers(min_value=0, max_value=99), by_buyer=st.booleans())
        def dispute(self, index: int, by_buyer: bool) -> None:
            model, order = self.pick(index)
            who = self.user(model.buyer if by_buyer else model.seller)
            reason = "Rien ne va comme convenu."
            if model.state not in UNDER_WAY:
                self.refused(lambda: services.order_dispute(order=order, by=who, reason=reason))
                return
            services.order_dispute(order=order, by=who, reason=reason)
            late = (
                by_buyer
                and model.state == OrderState.IN_PROGRESS
                and not model.delivered_once
                and model.due_at is not None
                and model.due_at < timezone.now()
            )
            if late:
                # A late first delivery: refunded in full at once (AM08).
                model.state = OrderState.RESOLVED
                self.refund(model, model.total)
            else:
                model.state = OrderState.DISPUTED

        @precondition(lambda self: self.orders)
        @rule(index=st.integers(min_value=0, max_value=99), share=st.integers(min_value=0, max_value=100))
        def resolve(self, index: int, share: int) -> None:
            model, order = self.pick(index)
            refund = model.total * share // 100
            if model.state != OrderState.DISPUTED:
                self.refused(lambda: services.order_resolve(order=order, by=world.staff, buyer_refund_cents=refund))
                return
            services.order_resolve(order=order, by=world.staff, buyer_refund_cents=refund)
            model.state = OrderState.RESOLVED
            self.refund(model, refund)
            self.pay(model, model.total - refund)

        @rule(hours=st.sampled_from([1, 12, 24, 47, 72, 73, 24 * 4]))
        def time_passes(self, hours: int) -> None:
            self.traveller.shift(timedelta(hours=hours))

        @rule()
        def tick_releases_earnings(self) -> None:
            earnings_release_due()
            self.release_due()

        # --- invariants ------------------------------------------------------

        @invariant()
        def books_match_the_model(self) -> None:
            rows = Account.objects.filter(owner__in=world.users, kind__in=PURSES).values_list(
                "kind", "owner_id", "balance_cents"
            )
            held = {(kind, owner): balance for kind, owner, balance in rows}
            for who, user in enumerate(world.users):
                found = (
                    held.get((AccountKind.FUNDS, user.pk), 0),
                    held.get((AccountKind.WALLET, user.pk), 0),
                    held.get((AccountKind.WALLET_PENDING, user.pk), 0),
                )
                assert found == (self.funds[who], self.earnings[who], self.pending[who]), who

        @invariant()
        def money_is_conserved(self) -> None:
            inside = (
                Account.objects.filter(
                    kind__in=(*PURSES, AccountKind.ESCROW, AccountKind.REVENUE, AccountKind.VAT)
                ).aggregate(total=Sum("balance_cents"))["total"]
                or 0
            )
            assert inside == self.money_in
            platform = (
                Account.objects.filter(kind__in=(AccountKind.REVENUE, AccountKind.VAT)).aggregate(
                    total=Sum("balance_cents")
                )["total"]
                or 0
            )
            assert platform == self.commissions

        @invariant()
        def escrow_holds_the_total_while_the_order_runs(self) -> None:
            if not self.orders:
                return
            states = dict(Order.objects.filter(pk__in=[m.pk for m in self.orders]).values_list("pk", "state"))
            escrows = dict(
                Account.objects.filter(
                    kind=AccountKind.ESCROW, ref__in=[f"order:{m.pk}" for m in self.orders]
                ).values_list("ref", "balance_cents")
            )
            for model in self.orders:
                assert states[model.pk] == model.state, (model, states[model.pk])
                held = escrows.get(f"order:{model.pk}", 0)
                if model.state in FINAL:
                    assert held == 0, model
                    assert model.refunded + model.paid == model.total, model
                else:
                    assert held == model.total, model
                    assert model.refunded == model.paid == 0, model

        @invariant()
        def sellers_are_paid_the_escrow_less_commission_and_never_more(self) -> None:
            for who in users:
                if world.users[who].pk not in sellers:
                    continue
                sold = [m for m in self.orders if m.seller == who]
                paid_net = sum(m.paid - commission(m.paid) for m in sold)
                assert self.earned[who] == self.earned_before[who] + paid_net
                assert paid_net <= sum(m.total - m.refunded for m in sold if m.state in FINAL)
                # What the seller holds as earnings: what escrows paid, less what
                # it spent of it, plus what came back to it.
                held = self.earnings[who] + self.pending[who]
                assert held == self.earned[who] - self.spent_earnings[who] + self.back_to_earnings[who]

        @invariant()
        def audit_finds_nothing(self) -> None:
            # The full audit costs some twenty queries: every third step, and at
            # the end of every example (teardown); the model checks run every step.
            self.steps += 1
            if self.steps % 3 == 0:
                assert ledger_audit() == []

    return OrderMachine


def order_settings() -> settings:
    # The example count comes from the loaded profile (conftest.py): quick on a
    # developer's run, deep where CI sets HYPOTHESIS_PROFILE=ci.
    return settings(
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.mark.django_db
def test_am05_am09_am16_pl01_random_order_lives_keep_the_books_right():
    # given two buyers with money, two experts who sell, one of whom also buys
    first = testing.make_verified_expert("prop-emma@example.fr")
    second = testing.make_verified_expert("prop-hugo@example.fr", display_name="Hugo")
    rich = testing.make_company("prop-rich@example.fr", balance_cents=400_00)
    poor = testing.make_company("prop-poor@example.fr", balance_cents=60_00)
    topup_create(user=second, amount_cents=20_00)
    offers = [
        make_offer(first),
        make_offer(
            first,
            kind="call",
            title="Appel conseil en stratégie",
            description="Une heure au téléphone pour revoir votre plan d'action commercial.",
            price_cents=4_900,
            delivery_days=1,
            extras=[{"name": "Compte rendu écrit", "price_cents": 1_001, "extra_days": 1}],
        ),
        make_offer(
            second,
            kind="question",
            title="Question de droit social",
            description="Une réponse écrite et sourcée à votre question sur le droit du travail.",
            price_cents=1_505,
            delivery_days=2,
            extras=[],
        ),
    ]
    staff = testing.make_staff("prop-staff@microwork.fr")
    # The first expert starts with a fee still clearing: three days on, it
    # may spend it on the second expert's offer before anything released it.
    earlier = services.order_place(offer=offers[0], buyer=rich)
    services.order_start(order=earlier, by=first)
    services.order_deliver(order=earlier, by=first, message="Livré.")
    services.order_accept(order=earlier, by=rich, rating=5)
    world = World(
        users=[rich, poor, first, second],
        staff=staff,
        offers=offers,
        money_in=400_00 + 60_00 + 20_00,
        held=[(2, 10_800, HeldEarning.objects.get(user=first).release_at)],
    )
    # when random sequences of orders, their moves, top-ups and the clock run
    # then after every step the books balance and match the model
    run_state_machine_as_test(machine_for(world), settings=order_settings())
    # and every example was rolled back
    assert list(Order.objects.values_list("pk", flat=True)) == [earlier.pk]


def test_am05_order_property_test_follows_the_hypothesis_profile():
    profile = os.environ.get("HYPOTHESIS_PROFILE", "quick")
    assert order_settings().max_examples == settings.get_profile(profile).max_examples
