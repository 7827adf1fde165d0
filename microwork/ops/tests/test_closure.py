"""Closing an account (AC02): asked, counted in working days, blocked while
work or money is open, applied by tick, final."""

from datetime import datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from microwork import testing
from microwork.accounts.models import ClosureRequest, ClosureState, ExpertProfile, User, VerificationDocument
from microwork.api.tests.helpers import assert_problem
from microwork.gigs import services as gigs
from microwork.ledger.models import Refund
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.missions import services as missions
from microwork.notifications.models import Notice
from microwork.ops import closure as closures
from microwork.ops.tick import run_due
from microwork.payouts import services as payouts
from microwork.payouts.models import Payout, PayoutState
from microwork.testing import make_offer, make_published

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
IBAN = "FR7630006000011234567890189"
_keys = count(1)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def ask_and_apply(user: User, captured: Any) -> ClosureRequest:
    """The user asks; three days later (no holiday in between) tick applies it, files deleted after commit."""
    closure = closures.closure_request(user=user)
    with time_machine.travel(closure.effective_at + timedelta(minutes=1)), captured(execute=True):
        assert run_due()["accounts_closed"] == 1
    closure.refresh_from_db()
    return closure


# --- When it takes effect -------------------------------------------------------


def test_ac02_closure_counts_working_days_across_holiday_and_sunday(alice):
    # given Friday 26 March 2027, before Easter Sunday and Easter Monday (a public holiday)
    with time_machine.travel(datetime(2027, 3, 26, 15, 30, tzinfo=PARIS), tick=False):
        # when alice asks to close her account
        response = testing.api_as(alice).post("/me/closure")
    # then Saturday and Tuesday are counted: it takes effect at the end of Tuesday 30 March
    assert response.status_code == 202, response.content
    effective = datetime.fromisoformat(response.json()["effective_at"])
    assert effective == datetime(2027, 3, 31, 0, 0, tzinfo=PARIS)
    assert response.json()["state"] == "requested"


def test_ac02_saturday_counts_and_a_plain_week_takes_two_days():
    # Wednesday: Thursday and Friday count
    assert closures.closure_effective_at(datetime(2026, 12, 2, 9, 0, tzinfo=PARIS)) == datetime(
        2026, 12, 5, 0, 0, tzinfo=PARIS
    )
    # Thursday: Friday and Saturday count (Saturday is a "jour ouvrable")
    assert closures.closure_effective_at(datetime(2026, 12, 3, 23, 59, tzinfo=PARIS)) == datetime(
        2026, 12, 6, 0, 0, tzinfo=PARIS
    )
    # Wednesday 23 December: Thursday 24, then Christmas (a Friday) is skipped, Saturday 26 counts
    assert closures.closure_effective_at(datetime(2026, 12, 23, 12, 0, tzinfo=PARIS)) == datetime(
        2026, 12, 27, 0, 0, tzinfo=PARIS
    )


def test_ac02_tick_before_the_date_does_nothing(alice):
    closures.closure_request(user=alice)
    assert run_due()["accounts_closed"] == 0
    alice.refresh_from_db()
    assert alice.is_active


# --- Blocked while work is open -------------------------------------------------


def test_ac02_closure_blocked_by_open_order(acme):
    # given an expert with an order acme placed and paid into escrow
    expert = testing.make_verified_expert("vera@example.fr", display_name="Vera")
    gigs.order_place(offer=make_offer(expert, price_cents=50_00, extras=[]), buyer=acme)
    # when either party asks to close their account
    for user in (acme, expert):
        response = testing.api_as(user).post("/me/closure")
        # then it is refused with the reason, and nothing is recorded
        body = assert_problem(response, 409, "closure_blocked")
        assert body["reasons"] == ["orders_open"]
    assert not ClosureRequest.objects.exists()


def test_ac02_closure_blocked_by_claims_and_missions(acme, staff, alice):
    mission = make_published(acme, staff, places=2)
    missions.claim_create(mission=mission, tasker=alice)
    assert closures.closure_blockers(alice) == ["claims_open"]
    assert closures.closure_blockers(acme) == ["missions_with_taken_places", "missions_open"]
    body = assert_problem(testing.api_as(alice).post("/me/closure"), 409, "closure_blocked")
    assert body["reasons"] == ["claims_open"]


def test_ac02_closure_blocked_by_a_payout_in_flight(alice):
    testing.earn(alice, 20_00)
    account = payouts.payout_account_create(user=alice, method="iban", iban=IBAN, holder="Alice Martin")
    payouts.payout_request(user=alice, amount_cents=20_00, account=account)
    assert closures.closure_blockers(alice) == ["payouts_in_flight"]


def test_ac02_asked_twice_is_a_conflict_and_staff_cannot(alice, staff):
    api = testing.api_as(alice)
    assert api.post("/me/closure").status_code == 202
    assert_problem(api.post("/me/closure"), 409, "closure_already_requested")
    assert_problem(testing.api_as(staff).post("/me/closure"), 403, "forbidden")


def test_ac02_work_opened_after_the_request_makes_it_wait_then_tick_retries(
    acme, staff, alice, django_capture_on_commit_callbacks
):
    # given alice asked to close, then did a mission whose report waits for acme's review
    closure = closures.closure_request(user=alice)
    mission = make_published(acme, staff)
    claim = missions.claim_create(mission=mission, tasker=alice)
    missions.claim_report(claim=claim, by=alice, text="Photo taken in daylight, the whole shelf in frame.")
    # when tick comes on the date (before the report is approved automatically)
    later = closure.effective_at + timedelta(minutes=1)
    with time_machine.travel(later):
        assert run_due()["accounts_closed"] == 0
    # then the closure waits, says why, and alice is told once
    closure.refresh_from_db()
    alice.refresh_from_db()
    assert closure.state == ClosureState.REQUESTED and closure.blocked_reasons == ["claims_open"]
    assert alice.is_active
    assert Notice.objects.filter(user=alice, kind="closure_blocked").count() == 1
    with time_machine.travel(later + timedelta(minutes=1)):
        run_due()
    assert Notice.objects.filter(user=alice, kind="closure_blocked").count() == 1
    # when acme approves the report, the next tick closes the account (the reward stays held: no payout account)
    missions.claim_approve(claim=claim, by=acme, rating=5)
    with time_machine.travel(later + timedelta(minutes=2)), django_capture_on_commit_callbacks(execute=True):
        assert run_due()["accounts_closed"] == 1
    closure.refresh_from_db()
    assert closure.state == ClosureState.CLOSED
    assert closure.held_cents == mission.reward_cents
    assert ledger_audit() == []


def test_ac02_cancelled_before_the_date_the_account_stays(alice):
    api = testing.api_as(alice)
    api.post("/me/closure")
    response = api.delete("/me/closure")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        assert run_due()["accounts_closed"] == 0
    alice.refresh_from_db()
    assert alice.is_active and alice.email == "alice@example.fr"
    assert_problem(api.delete("/me/closure"), 409, "closure_not_cancellable")
    assert_problem(api.get("/me/closure"), 404, "not_found")
    # and a new request may be made
    assert api.post("/me/closure").status_code == 202


# --- Applied by tick -------------------------------------------------------------


def test_ac02_closure_applied_by_tick_anonymises_and_deletes_files(django_capture_on_commit_callbacks):
    # given an expert with approved documents and a profile photo stored
    expert = testing.verified_expert("vera@example.fr")
    names = [d.file.name for d in VerificationDocument.objects.filter(user=expert)] + [
        ExpertProfile.objects.get(user=expert).photo.name
    ]
    assert all(name for name in names) and all(default_storage.exists(name) for name in names)
    offer = make_offer(expert)
    # when the closure is applied
    closure = ask_and_apply(expert, django_capture_on_commit_callbacks)
    # then the person is gone from the account, and so are their files
    expert.refresh_from_db()
    assert closure.state == ClosureState.CLOSED and closure.closed_at
    assert expert.email == f"closed-{expert.pk}@invalid"
    assert expert.display_name != "Emma" and expert.phone == ""
    assert not expert.is_active and not expert.has_usable_password()
    assert not VerificationDocument.objects.filter(user=expert).exists()
    assert [name for name in names if default_storage.exists(name)] == []
    profile = ExpertProfile.objects.get(user=expert)
    assert (profile.headline, profile.bio, profile.skills, bool(profile.photo)) == ("", "", [], False)
    offer.refresh_from_db()
    assert offer.state == "withdrawn"


def test_ac02_closure_ends_open_custom_requests_and_proposals(acme, staff, django_capture_on_commit_callbacks):
    # given acme's open custom request, with one expert's proposal on it, and
    # the same expert's proposal on another buyer's open request
    vera = testing.verified_expert("vera@example.fr")
    other_buyer = testing.make_company("bob@example.fr")
    deadline = timezone.localdate() + timedelta(days=10)
    need = "A logo for our bakery, in three colours, delivered as vectors."

    def request_with_proposal(buyer: User) -> Any:
        request = gigs.custom_request_create(
            buyer=buyer, title="Logo boulangerie", description=need, budget_cents=300_00, deadline=deadline
        )
        gigs.custom_request_invite(request=request, by=staff, expert_ids=[vera.pk])
        return gigs.proposal_create(request=request, by=vera, price_cents=280_00, delivery_days=5)

    on_acme, on_bob = request_with_proposal(acme), request_with_proposal(other_buyer)
    # when acme's closure is applied: nothing open blocks it
    ask_and_apply(acme, django_capture_on_commit_callbacks)
    # then acme's request is closed and the proposal on it declined, so no
    # order can be made of it; the other buyer's request goes on
    on_acme.refresh_from_db()
    on_acme.custom_request.refresh_from_db()
    assert (on_acme.custom_request.state, on_acme.state) == ("closed", "declined")
    on_bob.refresh_from_db()
    assert (on_bob.custom_request.state, on_bob.state) == ("open", "open")
    # and when vera closes hers, her proposal on bob's request is declined too
    ask_and_apply(vera, django_capture_on_commit_callbacks)
    on_bob.refresh_from_db()
    assert on_bob.state == "declined"


def test_ac02_sign_in_and_tokens_refused_after_closure(alice, django_capture_on_commit_callbacks):
    # given alice signed in on the site and holding an API token
    api = testing.api_as(alice)
    browser = Client()
    assert browser.login(username="alice@example.fr", password=testing.PASSWORD)
    assert browser.get("/tableau-de-bord/").status_code == 200
    ask_and_apply(alice, django_capture_on_commit_callbacks)
    # then her token and her session no longer work
    assert_problem(api.get("/me"), 401, "unauthenticated")
    assert browser.get("/tableau-de-bord/").status_code == 302
    # and neither her old email nor the placeholder signs in, on the page or the API
    for email in ("alice@example.fr", f"closed-{alice.pk}@invalid"):
        assert not Client().login(username=email, password=testing.PASSWORD)
        page = Client().post("/connexion/", {"username": email, "password": testing.PASSWORD})
        assert page.status_code == 200 and "_auth_user_id" not in page.client.session
        assert_problem(
            testing.api_as(None).post("/tokens", {"email": email, "password": testing.PASSWORD}),
            401,
            "invalid_credentials",
        )


def test_ac02_earnings_paid_out_and_the_rest_held(alice, django_capture_on_commit_callbacks):
    # given alice earned 37 euros and has an IBAN to be paid on
    testing.earn(alice, 37_00)
    payouts.payout_account_create(user=alice, method="iban", iban=IBAN, holder="Alice Martin")
    # when her account closes
    closure = ask_and_apply(alice, django_capture_on_commit_callbacks)
    # then 30 euros leave through the payout path (steps of 10 euros), 7 stay held in her name
    payout = Payout.objects.get(user=alice)
    assert (payout.amount_cents, payout.state) == (30_00, PayoutState.REQUESTED)
    assert payout.account.iban == IBAN
    assert closure.outcome["payout_cents"] == 30_00
    assert closure.held_cents == 7_00
    assert wallet_balance(alice).earnings_cents == 7_00
    assert ledger_audit() == []


def test_ac02_without_a_payout_account_the_earnings_stay_held(emma, django_capture_on_commit_callbacks):
    testing.earn(emma, 55_55)
    closure = ask_and_apply(emma, django_capture_on_commit_callbacks)
    assert closure.outcome["payout_refused"] == "no_payout_account"
    assert closure.held_cents == 55_55
    assert wallet_balance(emma).earnings_cents == 55_55
    assert not Payout.objects.filter(user=emma).exists()
    assert ledger_audit() == []


def test_ac02_funds_refunded_to_their_payment(acme, django_capture_on_commit_callbacks):
    # given acme put 100 euros in and spent none
    assert wallet_balance(acme).funds_cents == 100_00
    # when its account closes
    closure = ask_and_apply(acme, django_capture_on_commit_callbacks)
    # then the funds go back through the refund path, nothing is held, and the books balance
    refund = Refund.objects.get(user=acme)
    assert (refund.amount_cents, refund.state) == (100_00, "succeeded")
    assert closure.outcome["refund_cents"] == 100_00
    assert closure.held_cents == 0
    assert wallet_balance(acme).funds_cents == 0
    assert ledger_audit() == []


def test_ac02_financial_records_stay_after_closure(acme, django_capture_on_commit_callbacks):
    ask_and_apply(acme, django_capture_on_commit_callbacks)
    acme.refresh_from_db()
    assert acme.topups.count() == 1 and acme.refunds.count() == 1
    assert acme.ledger_accounts.filter(postings__isnull=False).exists()
    # and the closed account cannot ask again
    assert_problem(testing.api_as(None).get("/me/closure"), 401, "unauthenticated")


def test_ac02_an_experts_fee_still_clearing_is_waited_for_then_paid_out(
    acme, settings, django_capture_on_commit_callbacks
):
    # given an expert whose order acme accepted today: the fee clears in 10 days
    settings.EARNINGS_CLEARING_DAYS = 10
    expert = testing.make_verified_expert("vera@example.fr", display_name="Vera")
    payouts.payout_account_create(user=expert, method="iban", iban=IBAN, holder="Vera Dupont")
    order = gigs.order_place(offer=make_offer(expert, price_cents=50_00, extras=[]), buyer=acme)
    gigs.order_start(order=order, by=expert)
    gigs.order_deliver(order=order, by=expert, message="Voici le logo.")
    gigs.order_accept(order=order, by=acme, rating=5)
    fee = wallet_balance(expert).pending_cents
    assert fee > 0
    # when the closure is due, before the fee has cleared
    closure = closures.closure_request(user=expert)
    with time_machine.travel(closure.effective_at + timedelta(minutes=1)):
        run_due()
    closure.refresh_from_db()
    assert closure.state == ClosureState.REQUESTED
    assert closure.blocked_reasons == ["earnings_clearing"]
    # then once it has cleared, the closure goes through and the whole fee is paid out
    with (
        time_machine.travel(timezone.now() + timedelta(days=11)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert run_due()["accounts_closed"] == 1
    closure.refresh_from_db()
    assert closure.state == ClosureState.CLOSED
    assert Payout.objects.get(user=expert).amount_cents == fee
    assert closure.held_cents == 0
    assert ledger_audit() == []
