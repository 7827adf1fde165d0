"""The mission rules, straight through the services (HM04-HM15b)."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from microwork.core.errors import Conflict, Forbidden, InsufficientFunds, InvalidInput
from microwork.core.states import WrongState
from microwork.ledger.models import AccountKind
from microwork.ledger.services import escrow_of, system_account
from microwork.missions import selectors, services
from microwork.missions.models import Claim, ClaimState, Mission, MissionState
from microwork.testing import ACCOUNT, make_company, make_mission, make_tasker

from .conftest import assert_books_right, balance

pytestmark = pytest.mark.django_db


def _report(claim: Claim, tasker, **kwargs) -> Claim:
    return services.claim_report(claim=claim, by=tasker, **kwargs)


def _submitted(mission: Mission, tasker) -> Claim:
    claim = services.claim_create(mission=mission, tasker=tasker)
    return _report(claim, tasker, answers={}, text=ACCOUNT)


def _rejected(mission: Mission, tasker, company) -> Claim:
    claim = _submitted(mission, tasker)
    return services.claim_reject(claim=claim, by=company, reason_code="poor_quality", reason="Blurred photo.")


def _fresh(obj):
    obj.refresh_from_db()
    return obj


# --- HM04 ---------------------------------------------------------------------------


def test_hm04_claim_deadline_is_48_hours(published, alice):
    claim = services.claim_create(mission=published(), tasker=alice)
    assert claim.deadline_at - claim.claimed_at == timedelta(hours=48)
    assert claim.state == ClaimState.ACTIVE


def test_hm04_report_after_deadline_lapses_at_once(published, alice, time_machine):
    mission = published()
    claim = services.claim_create(mission=mission, tasker=alice)
    time_machine.move_to(timezone.now() + timedelta(hours=48, seconds=1))
    with pytest.raises(services.ClaimLapsed):
        _report(claim, alice, answers={}, text=ACCOUNT)
    assert _fresh(claim).state == ClaimState.LAPSED
    assert _fresh(mission).places_free == 1


def test_hm04_claims_lapse_due_only_lapses_overdue_claims(published, alice, bob, time_machine):
    early = services.claim_create(mission=published(), tasker=alice)
    time_machine.move_to(timezone.now() + timedelta(hours=24))
    late = services.claim_create(mission=published(title="Later"), tasker=bob)
    time_machine.move_to(timezone.now() + timedelta(hours=25))
    assert services.claims_lapse_due() == 1
    assert (_fresh(early).state, _fresh(late).state) == (ClaimState.LAPSED, ClaimState.ACTIVE)
    assert services.claims_lapse_due() == 0


def test_hm04_release_after_deadline_counts_as_lapse(published, alice, time_machine):
    mission = published()
    claim = services.claim_create(mission=mission, tasker=alice)
    time_machine.move_to(timezone.now() + timedelta(hours=49))
    assert services.claim_release(claim=claim, by=alice).state == ClaimState.LAPSED
    assert _fresh(mission).places_free == 1


def test_hm04_only_the_tasker_releases(published, alice, bob):
    claim = services.claim_create(mission=published(), tasker=alice)
    with pytest.raises(Forbidden):
        services.claim_release(claim=claim, by=bob)
    assert _fresh(claim).state == ClaimState.ACTIVE


# --- HM05 ---------------------------------------------------------------------------


def test_hm05_third_claim_refused_by_the_service(published, alice):
    services.claim_create(mission=published(), tasker=alice)
    services.claim_create(mission=published(title="Two"), tasker=alice)
    third = published(title="Three")
    with pytest.raises(services.ClaimLimitReached):
        services.claim_create(mission=third, tasker=alice)
    assert _fresh(third).places_free == 1


def test_hm05_submitted_claims_do_not_count(published, alice):
    _submitted(published(), alice)
    _submitted(published(title="Two"), alice)
    services.claim_create(mission=published(title="Three"), tasker=alice)
    services.claim_create(mission=published(title="Four"), tasker=alice)
    assert Claim.objects.filter(tasker=alice, state=ClaimState.ACTIVE).count() == 2


# --- HM08 / HM09 / HM10 ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "rate", "ten_minutes"),
    [
        (date(2025, 1, 1), 1188, 198),
        (date(2025, 12, 31), 1188, 198),
        (date(2026, 1, 1), 1202, 201),
        (date(2027, 6, 1), 1202, 201),
    ],
)
def test_hm08_minimum_wage_by_date(on, rate, ten_minutes):
    assert services.smic_hourly_cents(on) == rate
    assert services.minimum_reward_cents(10 * 60, on) == ten_minutes


def test_hm08_minimum_is_rounded_up_to_the_cent():
    # 7 minutes at 12.02 EUR: 140.23 cents, so 141
    assert services.minimum_reward_cents(7 * 60, date(2026, 3, 1)) == 141
    assert services.minimum_reward_cents(60 * 60, date(2026, 3, 1)) == 1202


def test_hm08_submit_records_the_rate_it_was_checked_against(acme, time_machine):
    time_machine.move_to(datetime(2025, 11, 3, 9, 0, tzinfo=UTC))
    mission = make_mission(acme, reward_cents=198)
    services.mission_submit(mission=mission, by=acme)
    assert _fresh(mission).smic_hourly_cents == 1188


def test_hm08_submit_in_2026_refuses_a_2025_reward(acme, time_machine):
    time_machine.move_to(datetime(2025, 12, 31, 22, 0, tzinfo=UTC))
    mission = make_mission(acme, reward_cents=198)
    time_machine.move_to(datetime(2026, 1, 2, 9, 0, tzinfo=UTC))
    with pytest.raises(services.RewardBelowMinimumWage):
        services.mission_submit(mission=mission, by=acme)
    assert _fresh(mission).state == MissionState.DRAFT


def test_hm09_cap_is_checked_by_the_service(acme):
    with pytest.raises(services.RewardAboveCap):
        make_mission(acme, reward_cents=100_01)
    assert make_mission(acme, reward_cents=100_00, estimated_minutes=480).reward_cents == 100_00


@pytest.mark.parametrize(("reward", "fee", "vat"), [(300, 60, 12), (333, 67, 13), (201, 40, 8), (10000, 2000, 400)])
def test_hm10_fee_and_vat_per_place(reward, fee, vat):
    assert services.place_price(reward) == (fee, vat)


def test_hm10_submit_moves_the_cost_into_escrow(acme):
    mission = make_mission(acme, places=5)
    services.mission_submit(mission=mission, by=acme)
    assert mission.cost_cents == 5 * 372
    assert balance(acme) == 100_00 - 5 * 372
    assert escrow_of(mission.escrow_ref).balance_cents == 5 * 372
    assert_books_right()


def test_hm10_insufficient_funds_leaves_a_draft(acme):
    mission = make_mission(acme, places=27)  # 27 x 372 = 10044 > 10000
    with pytest.raises(InsufficientFunds):
        services.mission_submit(mission=mission, by=acme)
    assert (_fresh(mission).state, mission.submissions) == (MissionState.DRAFT, 0)
    assert balance(acme) == 100_00
    assert_books_right()


# --- HM11 -----------------------------------------------------------------------------


def test_hm11_only_staff_publish_by_the_service(acme, alice):
    mission = make_mission(acme)
    services.mission_submit(mission=mission, by=acme)
    for user in (acme, alice):
        with pytest.raises(Forbidden):
            services.mission_publish(mission=mission, by=user)
    assert _fresh(mission).state == MissionState.PENDING_REVIEW


def test_hm11_a_mission_is_published_only_after_review(acme, staff):
    mission = make_mission(acme)
    with pytest.raises(WrongState):
        services.mission_publish(mission=mission, by=staff)
    assert selectors.missions_open().count() == 0


def test_hm11_request_changes_then_edit_then_resubmit(acme, staff):
    mission = make_mission(acme)
    services.mission_submit(mission=mission, by=acme)
    services.mission_request_changes(mission=mission, by=staff, reason="Name the shop.")
    assert balance(acme) == 100_00
    services.mission_update(mission=mission, by=acme, reward_cents=400, places=2)
    services.mission_submit(mission=mission, by=acme)
    mission = _fresh(mission)
    assert (mission.state, mission.submissions, mission.places_free) == (MissionState.PENDING_REVIEW, 2, 2)
    assert balance(acme) == 100_00 - 2 * (400 + 80 + 16)
    assert escrow_of(mission.escrow_ref).balance_cents == 2 * 496
    assert_books_right()


def test_hm11_a_published_mission_cannot_be_edited(published, acme):
    mission = published()
    with pytest.raises(Conflict) as refused:
        services.mission_update(mission=mission, by=acme, reward_cents=900)
    assert refused.value.code == "wrong_state"
    assert _fresh(mission).reward_cents == 300


# --- HM12 -----------------------------------------------------------------------------


def test_hm12_one_claim_per_tasker_and_mission_full(published, alice, bob):
    mission = published()
    services.claim_create(mission=mission, tasker=alice)
    with pytest.raises(services.AlreadyClaimed):
        services.claim_create(mission=mission, tasker=alice)
    with pytest.raises(services.MissionFull):
        services.claim_create(mission=mission, tasker=bob)
    assert _fresh(mission).places_free == 0


def test_hm12_near_includes_the_radius_and_remote_missions(published):
    paris = published(location=services.Location(lat=48.8566, lon=2.3522, radius_km=5))
    remote = published(title="Remote")
    # about 4 km from the centre of Paris, then about 8 km
    assert set(selectors.missions_open(near=(48.89, 2.35))) == {paris, remote}
    assert set(selectors.missions_open(near=(48.93, 2.35))) == {remote}
    assert set(selectors.missions_open(near=(45.764, 4.8357))) == {remote}


def test_hm12_location_must_be_valid(acme):
    with pytest.raises(InvalidInput):
        make_mission(acme, location=services.Location(lat=48.8, lon=2.3, radius_km=0))
    with pytest.raises(InvalidInput):
        make_mission(acme, location=services.Location(lat=91, lon=2.3, radius_km=5))
    assert not Mission.objects.exists()


def test_unverified_phone_is_refused_by_the_service(published, charlie):
    from microwork.accounts.services import PhoneNotVerified

    with pytest.raises(PhoneNotVerified):
        services.claim_create(mission=published(), tasker=charlie)


# --- HM13 -----------------------------------------------------------------------------


def test_hm13_questions_are_checked_when_posted(acme):
    with pytest.raises(InvalidInput) as refused:
        make_mission(acme, questions=[{"label": "Colour?", "kind": "choice", "choices": ["red"]}])
    assert refused.value.field == "questions.1.choices"
    with pytest.raises(InvalidInput):
        make_mission(acme, questions=[{"label": "Colour?", "kind": "video"}])


def test_hm13_report_file_sniffs_the_content(published, alice):
    mission = published(questions=[{"key": "shelf", "label": "Photo", "kind": "photo"}])
    claim = services.claim_create(mission=mission, tasker=alice)
    fake = SimpleUploadedFile("shelf.jpg", b"GIF89a not really" * 20, content_type="image/jpeg")
    with pytest.raises(InvalidInput):
        services.report_file_add(claim=claim, by=alice, question_key="shelf", upload=fake)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="JPEG")
    real = SimpleUploadedFile("shelf.png", buffer.getvalue(), content_type="image/png")
    added = services.report_file_add(claim=claim, by=alice, question_key="shelf", upload=real)
    assert added.content_type == "image/jpeg"
    report = _report(claim, alice, answers={})
    assert report.state == ClaimState.SUBMITTED


def test_hm13_file_questions_take_a_pdf(published, alice):
    mission = published(questions=[{"key": "receipt", "label": "Receipt", "kind": "file"}])
    claim = services.claim_create(mission=mission, tasker=alice)
    pdf = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4\n%fake but starts right\n", content_type="application/pdf")
    added = services.report_file_add(claim=claim, by=alice, question_key="receipt", upload=pdf)
    assert added.content_type == "application/pdf"


def test_hm13_optional_questions_may_be_left_empty(published, alice):
    mission = published(questions=[{"key": "note", "label": "Anything else?", "kind": "long_text", "required": False}])
    claim = services.claim_create(mission=mission, tasker=alice)
    assert _report(claim, alice, answers={"note": "  "}, text=ACCOUNT).answers == {}


# --- HM14 -----------------------------------------------------------------------------


def test_hm14_approve_pays_the_place(published, acme, alice):
    mission = published(places=2)
    claim = _submitted(mission, alice)
    revenue = system_account(AccountKind.REVENUE).balance_cents
    vat = system_account(AccountKind.VAT).balance_cents
    services.claim_approve(claim=claim, by=acme, rating=5)
    assert balance(alice) == 300
    assert system_account(AccountKind.REVENUE).balance_cents - revenue == 60
    assert system_account(AccountKind.VAT).balance_cents - vat == 12
    mission = _fresh(mission)
    assert (mission.places_approved, mission.places_free, mission.state) == (1, 1, MissionState.PUBLISHED)
    assert escrow_of(mission.escrow_ref).balance_cents == 372
    assert_books_right()


def test_hm14_only_the_owner_reviews(published, alice):
    claim = _submitted(published(), alice)
    other = make_company("other@example.fr")
    with pytest.raises(Forbidden):
        services.claim_approve(claim=claim, by=other, rating=5)
    with pytest.raises(Forbidden):
        services.claim_reject(claim=claim, by=other, reason_code="other", reason="No.")
    assert _fresh(claim).state == ClaimState.SUBMITTED


def test_hm14_reject_returns_the_place(published, acme, alice):
    mission = published()
    claim = _rejected(mission, alice, acme)
    assert claim.state == ClaimState.REJECTED
    assert _fresh(mission).places_free == 1
    assert escrow_of(mission.escrow_ref).balance_cents == 372
    assert_books_right()


def test_hm14_auto_approve_due_after_3_days(published, alice, time_machine):
    mission = published()
    claim = _submitted(mission, alice)
    time_machine.move_to(timezone.now() + timedelta(days=3) - timedelta(seconds=5))
    assert services.claims_auto_approve_due() == 0
    time_machine.move_to(timezone.now() + timedelta(seconds=10))
    assert services.claims_auto_approve_due() == 1
    claim = _fresh(claim)
    assert (claim.state, claim.auto_approved, claim.rating) == (ClaimState.APPROVED, True, None)
    assert balance(alice) == 300
    assert services.claims_auto_approve_due() == 0
    assert_books_right()


# --- HM15 -----------------------------------------------------------------------------


def test_hm15_dispute_window_is_7_days(published, acme, alice, bob, time_machine):
    on_time = _rejected(published(), alice, acme)
    late = _rejected(published(title="Two"), bob, acme)
    time_machine.move_to(timezone.now() + timedelta(days=7) - timedelta(minutes=1))
    assert services.claim_dispute(claim=on_time, by=alice, reason="Unfair").state == ClaimState.DISPUTED
    time_machine.move_to(timezone.now() + timedelta(minutes=2))
    with pytest.raises(services.DisputeWindowClosed):
        services.claim_dispute(claim=late, by=bob, reason="Unfair")


def test_hm15_settle_bounds_and_charge(published, acme, alice, staff):
    mission = published()
    claim = services.claim_dispute(claim=_rejected(mission, alice, acme), by=alice, reason="Unfair")
    with pytest.raises(InvalidInput):
        services.claim_settle(claim=claim, by=staff, tasker_paid_cents=301)
    with pytest.raises(InvalidInput):
        services.claim_settle(claim=claim, by=staff, tasker_paid_cents=-5)
    with pytest.raises(Forbidden):
        services.claim_settle(claim=claim, by=acme, tasker_paid_cents=300)
    before = balance(acme)
    services.claim_settle(claim=claim, by=staff, tasker_paid_cents=300)
    assert balance(alice) == 300
    assert before - balance(acme) == 372
    with pytest.raises(Conflict) as refused:
        services.claim_settle(claim=claim, by=staff, tasker_paid_cents=300)
    assert refused.value.code == "wrong_state"
    assert balance(alice) == 300
    assert_books_right()


def test_hm15_negative_company_cannot_submit(staff):
    poor = make_company("poor@example.fr", balance_cents=372)
    tasker = make_tasker("dan@example.fr", "+33677777777")
    mission = make_mission(poor)
    services.mission_submit(mission=mission, by=poor)
    services.mission_publish(mission=mission, by=staff)
    claim = services.claim_dispute(claim=_rejected(mission, tasker, poor), by=tasker, reason="Unfair")
    services.claim_settle(claim=claim, by=staff, tasker_paid_cents=1)
    # 1 cent: fee 0.2 -> 0, VAT 0 -> the company pays exactly 1 cent and is at -1
    assert balance(poor) == -1
    with pytest.raises(InsufficientFunds):
        services.mission_submit(mission=make_mission(poor, reward_cents=201), by=poor)
    assert_books_right()


# --- HM15b ----------------------------------------------------------------------------


def test_hm15b_withdraw_keeps_claimed_places_funded(published, acme, alice, bob):
    mission = published(places=4)
    held = services.claim_create(mission=mission, tasker=alice)
    reported = _submitted(mission, bob)
    services.mission_withdraw(mission=mission, by=acme)
    assert balance(acme) == 100_00 - 2 * 372
    assert escrow_of(mission.escrow_ref).balance_cents == 2 * 372
    services.claim_release(claim=held, by=alice)
    services.claim_approve(claim=reported, by=acme, rating=3)
    assert balance(acme) == 100_00 - 372
    assert balance(bob) == 300
    assert escrow_of(mission.escrow_ref).balance_cents == 0
    assert_books_right()


def test_hm15b_withdraw_of_a_closed_mission_is_refused(published, acme):
    mission = published()
    services.mission_withdraw(mission=mission, by=acme)
    with pytest.raises(WrongState):
        services.mission_withdraw(mission=mission, by=acme)
    assert balance(acme) == 100_00


def test_hm15b_withdraw_a_draft_moves_no_money(acme):
    mission = services.mission_withdraw(mission=make_mission(acme), by=acme)
    assert mission.state == MissionState.CLOSED
    assert balance(acme) == 100_00


def test_hm15b_expire_due_refunds_free_places(published, acme, alice, time_machine):
    ending = published(places=2, ends_at=timezone.now() + timedelta(hours=10))
    lasting = published(title="Lasting")
    services.claim_create(mission=ending, tasker=alice)
    time_machine.move_to(timezone.now() + timedelta(hours=11))
    assert services.missions_expire_due() == 1
    assert (_fresh(ending).state, _fresh(lasting).state) == (MissionState.EXPIRED, MissionState.PUBLISHED)
    assert balance(acme) == 100_00 - 372 - 372  # alice's place and the other mission's
    assert services.missions_expire_due() == 0
    # alice's claim lapses later: its place goes back to the company too
    time_machine.move_to(timezone.now() + timedelta(hours=48))
    services.claims_lapse_due()
    assert balance(acme) == 100_00 - 372
    assert_books_right()
