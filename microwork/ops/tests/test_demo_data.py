from django.core.management import call_command

from microwork.accounts.models import User
from microwork.accounts.selectors import expert_is_verified
from microwork.gigs.models import Offer, OfferState, Order, OrderState
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.missions.models import Mission, MissionState


def test_demo_data_loads_once_and_keeps_the_data_on_a_second_run(db):
    # when the demo data is loaded twice
    call_command("demo_data", stdout=None)
    acme = User.objects.get(email="acme@demo.microwork.fr")
    balance_after_first = wallet_balance(acme).available_cents
    call_command("demo_data", stdout=None)
    # then the people exist once, as the run command promises
    assert User.objects.filter(email__endswith="@demo.microwork.fr").count() == 5
    assert User.objects.get(email="alice@demo.microwork.fr").phone_verified
    assert expert_is_verified(User.objects.get(email="emma@demo.microwork.fr"))
    # and the company's published missions and balance are unchanged by the second run
    assert Mission.objects.filter(company=acme, state=MissionState.PUBLISHED).count() == 3
    assert wallet_balance(acme).available_cents == balance_after_first
    # and the demo expert sells three offers, one of them ordered by the company and under way
    emma = User.objects.get(email="emma@demo.microwork.fr")
    assert Offer.objects.filter(expert=emma, state=OfferState.LIVE).count() == 3
    assert list(Order.objects.filter(buyer=acme).values_list("state", flat=True)) == [OrderState.IN_PROGRESS]
    assert ledger_audit() == []
