"""Bonuses on approved reports (issue 15, item 7): the company pays the bonus
with the fee and VAT of a reward (HM10), the tasker's earnings get it (HM16)."""

import pytest
from django.test import Client
from django.urls import reverse

from microwork.api.tests.helpers import assert_problem
from microwork.ledger.models import AccountKind
from microwork.ledger.selectors import ledger_audit, wallet_balance
from microwork.ledger.services import system_account
from microwork.missions.models import Bonus
from microwork.missions.services import claim_approve, claim_create, claim_report
from microwork.notifications.models import Notice
from microwork.testing import ACCOUNT, api_as, english, make_company, make_published, signed_in

pytestmark = pytest.mark.django_db


def _approved(company, staff, tasker, **overrides):
    mission = make_published(company, staff, **overrides)
    claim = claim_create(mission=mission, tasker=tasker)
    claim_report(claim=claim, by=tasker, text=ACCOUNT)
    return claim_approve(claim=claim, by=company, rating=5)


def _submitted(company, staff, tasker):
    mission = make_published(company, staff)
    claim = claim_create(mission=mission, tasker=tasker)
    return claim_report(claim=claim, by=tasker, text=ACCOUNT)


def _revenue_and_vat() -> tuple[int, int]:
    return system_account(AccountKind.REVENUE).balance_cents, system_account(AccountKind.VAT).balance_cents


def test_hm10_bonus_charges_fee_and_vat_and_credits_the_tasker(acme, staff, alice):
    # given an approved report of acme's, paid 300 cents
    claim = _approved(acme, staff, alice)
    company_before = wallet_balance(acme).available_cents
    tasker_before = wallet_balance(alice).earnings_cents
    revenue_before, vat_before = _revenue_and_vat()
    # when acme adds a bonus of 300 cents with a message
    response = api_as(acme).post(f"/claims/{claim.pk}/bonuses", {"amount_cents": 300, "message": "Merci, parfait !"})
    # then it answers the bonus, priced as a reward of 300: 300 + 60 + 12 = 372 (HM10)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount_cents"] == 300 and body["fee_cents"] == 60 and body["vat_cents"] == 12
    assert body["cost_cents"] == 372 and body["message"] == "Merci, parfait !"
    assert body["claim_id"] == str(claim.pk)
    assert wallet_balance(acme).available_cents == company_before - 372
    assert wallet_balance(alice).earnings_cents == tasker_before + 300
    assert _revenue_and_vat() == (revenue_before + 60, vat_before + 12)
    assert ledger_audit() == []
    # and the claim's GET shows it, to the company and the tasker
    for user in (acme, alice):
        shown = api_as(user).get(f"/claims/{claim.pk}").json()
        assert [b["amount_cents"] for b in shown["bonuses"]] == [300]
    # and the tasker is told, with the message
    notice = Notice.objects.get(user=alice, kind="claim_bonus")
    assert notice.body == "Merci, parfait !"
    # and sees it among the bonuses received; acme among those given
    assert [b["id"] for b in api_as(alice).get("/me/bonuses").json()["items"]] == [body["id"]]
    assert [b["id"] for b in api_as(acme).get("/me/bonuses").json()["items"]] == [body["id"]]


def test_hm10_bonus_fee_rounds_like_a_reward(acme, staff, alice):
    # given an approved report
    claim = _approved(acme, staff, alice)
    # when acme adds a bonus of 7 cents: fee 1.4 -> 1, VAT 0.2 -> 0 (half-up, as a reward)
    body = api_as(acme).post(f"/claims/{claim.pk}/bonuses", {"amount_cents": 7, "message": ""}).json()
    # then the fee and VAT are those of a reward of 7 cents
    assert (body["fee_cents"], body["vat_cents"]) == (1, 0)
    assert ledger_audit() == []


def test_hm10_bonus_refused_when_the_balance_is_short(staff, alice):
    # given a company whose balance covers the mission and little more
    company = make_company("thin@example.fr", balance_cents=372 + 100)
    claim = _approved(company, staff, alice)
    # when it adds a bonus costing more than its balance
    response = api_as(company).post(f"/claims/{claim.pk}/bonuses", {"amount_cents": 100, "message": ""})
    # then it is refused, nothing moves, nothing is recorded
    assert_problem(response, 409, "insufficient_funds")
    assert not Bonus.objects.exists()
    assert wallet_balance(alice).earnings_cents == 300
    assert ledger_audit() == []


@pytest.mark.parametrize("amount", [0, -100, 50_001])
def test_hm10_bonus_amount_refused_when_not_positive_or_above_cap(acme, staff, alice, amount):
    claim = _approved(acme, staff, alice)
    response = api_as(acme).post(f"/claims/{claim.pk}/bonuses", {"amount_cents": amount, "message": "x"})
    assert_problem(response, 422, "bonus_above_cap" if amount > 0 else "invalid")
    assert not Bonus.objects.exists()


def test_hm10_bonus_cap_is_a_setting(acme, staff, alice, settings):
    settings.BONUS_CAP_CENTS = 1000
    claim = _approved(acme, staff, alice)
    assert_problem(api_as(acme).post(f"/claims/{claim.pk}/bonuses", {"amount_cents": 1001}), 422, "bonus_above_cap")
    assert api_as(acme).post(f"/claims/{claim.pk}/bonuses", {"amount_cents": 1000}).status_code == 201


def test_hm10_bonus_on_a_report_not_approved_is_409(acme, staff, alice):
    claim = _submitted(acme, staff, alice)
    response = api_as(acme).post(f"/claims/{claim.pk}/bonuses", {"amount_cents": 100})
    assert_problem(response, 409, "wrong_state")
    assert not Bonus.objects.exists()


def test_hm10_bonus_on_another_companys_claim_is_404(acme, staff, alice):
    # given an approved report of acme's, and another company
    claim = _approved(acme, staff, alice)
    other = make_company("other@example.fr", balance_cents=100_00)
    # when the other company tries to add a bonus, then the claim does not exist for it
    assert_problem(api_as(other).post(f"/claims/{claim.pk}/bonuses", {"amount_cents": 100}), 404, "not_found")
    # and the tasker may not pay herself a bonus
    assert_problem(api_as(alice).post(f"/claims/{claim.pk}/bonuses", {"amount_cents": 100}), 403, "forbidden")
    assert not Bonus.objects.exists()
    # and nobody else sees acme's bonuses
    assert api_as(other).get("/me/bonuses").json()["items"] == []


def test_hm10_bonus_same_idempotency_key_pays_once(acme, staff, alice):
    claim = _approved(acme, staff, alice)
    client = api_as(acme)
    first = client.post(f"/claims/{claim.pk}/bonuses", {"amount_cents": 200, "message": "Bravo"}, key="bonus-1")
    again = client.post(f"/claims/{claim.pk}/bonuses", {"amount_cents": 200, "message": "Bravo"}, key="bonus-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Bonus.objects.count() == 1
    assert wallet_balance(alice).earnings_cents == 300 + 200
    other_body = client.post(f"/claims/{claim.pk}/bonuses", {"amount_cents": 500}, key="bonus-1")
    assert_problem(other_body, 422, "idempotency_key_reused")


def test_hm10_bonus_page_form_pays_and_shows_it_to_the_tasker(acme, staff, alice):
    # given an approved report, on the company's mission page
    claim = _approved(acme, staff, alice)
    company_page = english(signed_in(Client(), acme))
    page = company_page.get(reverse("missions:company_mission", args=[claim.mission_id]))
    assert reverse("missions:bonus", args=[claim.pk]).encode() in page.content
    # when the company posts the bonus form in euros
    response = company_page.post(
        reverse("missions:bonus", args=[claim.pk]), {"amount": "2.50", "message": "Great photo"}
    )
    # then it is paid and the tasker sees it, with the message, on their missions page
    assert response.status_code == 302
    assert Bonus.objects.get().amount_cents == 250
    tasker_page = english(signed_in(Client(), alice)).get(reverse("missions:my_claims") + "?onglet=validees")
    assert b"Great photo" in tasker_page.content
    assert b"2.50" in tasker_page.content or b"2,50" in tasker_page.content


def test_hm10_bonus_page_shows_the_refusal_as_a_form_error(acme, staff, alice):
    claim = _approved(acme, staff, alice)
    client = english(signed_in(Client(), acme))
    response = client.post(reverse("missions:bonus", args=[claim.pk]), {"amount": "900", "message": ""})
    assert response.status_code == 400
    assert b"A bonus is at most" in response.content
    assert not Bonus.objects.exists()


def test_hm10_bonus_page_is_404_for_another_company(acme, staff, alice):
    claim = _approved(acme, staff, alice)
    other = make_company("other@example.fr", balance_cents=100_00)
    response = signed_in(Client(), other).post(reverse("missions:bonus", args=[claim.pk]), {"amount": "1"})
    assert response.status_code == 404


def test_ac03_bonuses_in_the_data_export(acme, staff, alice):
    claim = _approved(acme, staff, alice)
    api_as(acme).post(f"/claims/{claim.pk}/bonuses", {"amount_cents": 150, "message": "Merci"})
    for user in (alice, acme):
        exported = api_as(user).get("/me/export").json()["bonuses"]
        assert [(b["amount_cents"], b["message"]) for b in exported] == [(150, "Merci")]
    assert api_as(staff).get("/me/export").json()["bonuses"] == []


def test_hm10_bonus_is_offered_and_taken_on_the_same_answer(acme, staff, alice, bob):
    from microwork.missions.selectors import claim_takes_bonus

    submitted = _submitted(acme, staff, alice)
    approved = _approved(acme, staff, bob, title="Another")
    assert (claim_takes_bonus(submitted), claim_takes_bonus(approved)) == (False, True)
    # the page offers no form where the service refuses, and the refusal keeps its message
    page = english(signed_in(Client(), acme)).get(reverse("missions:bonus", args=[submitted.pk]))
    assert "A bonus can only be added to an approved report." in page.content.decode()
    assert "Pay the bonus" not in page.content.decode()
    response = api_as(acme).post(f"/claims/{submitted.pk}/bonuses", {"amount_cents": 100})
    assert_problem(response, 409, "wrong_state")
