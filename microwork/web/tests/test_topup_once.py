from microwork.ledger.models import Topup
from microwork.ledger.selectors import wallet_balance


def test_double_submitted_topup_form_charges_once(client, acme):
    # given the company's dashboard form, carrying its one-time token
    client.force_login(acme)
    before = wallet_balance(acme).available_cents
    topups_before = Topup.objects.filter(user=acme).count()
    form = {"amount": "25,00", "request_key": "form-token-1"}
    # when the same form is posted twice (a double click)
    first = client.post("/tableau-de-bord/recharger/", form)
    second = client.post("/tableau-de-bord/recharger/", form)
    # then the balance is credited once
    assert first.status_code == 302
    assert second.status_code == 302
    assert wallet_balance(acme).available_cents == before + 2500
    assert Topup.objects.filter(user=acme).count() == topups_before + 1
