"""Account suspension (AC04): the account keeps its money and may read, but
may not claim, post, sell or buy; lifting it gives every right back."""

import pytest
from django.core import mail
from django.urls import reverse

from microwork.gigs import services as gigs
from microwork.gigs.models import Order, OrderState
from microwork.ledger.selectors import wallet_balance
from microwork.missions.models import Claim, Mission
from microwork.moderation import services
from microwork.moderation.models import AbuseReport, ReportState, Suspension
from microwork.moderation.selectors import is_suspended
from microwork.notifications.models import Notice
from microwork.payouts.models import Payout
from microwork.payouts.tests.conftest import fund
from microwork.testing import MISSION, OFFER, api_as, make_mission, signed_in

pytestmark = pytest.mark.usefixtures("books_stay_right")


def suspend(staff, user, reason="Fraude répétée.", **extra):
    return api_as(staff).post(f"/staff/users/{user.pk}/suspend", {"reason": reason, **extra})


def refused(response):
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "account_suspended"
    return response.json()


def test_ac04_a_suspended_tasker_cannot_claim_but_keeps_and_withdraws_their_money(
    alice, staff, mission, django_capture_on_commit_callbacks
):
    fund(alice, 30_00)
    with django_capture_on_commit_callbacks(execute=True):
        response = suspend(staff, alice, "Rapports falsifiés.")
    assert response.status_code == 200, response.json()
    assert response.json()["suspended"] is True and response.json()["reason"] == "Rapports falsifiés."
    # told, in the app and by email, with the reason
    notice = Notice.objects.get(user=alice, kind="account_suspended")
    assert "Rapports falsifiés." in notice.body
    assert [m.to for m in mail.outbox] == [[alice.email]]

    client = api_as(alice)
    detail = refused(client.post(f"/missions/{mission.pk}/claims"))["detail"]
    assert "Rapports falsifiés." in detail
    assert not Claim.objects.exists()
    # still reads, and the money is intact and paid out
    assert client.get(f"/missions/{mission.pk}").status_code == 200
    assert client.get("/me/wallet").json()["available_cents"] == 30_00
    account = client.post("/me/payout-accounts", {"method": "paypal", "paypal_email": "alice@paypal.example"}).json()
    payout = client.post("/me/payouts", {"amount_cents": 20_00, "payout_account_id": account["id"]})
    assert payout.status_code == 201, payout.json()
    assert Payout.objects.get().amount_cents == 20_00
    assert wallet_balance(alice).available_cents == 10_00
    assert client.get("/me/suspension").json()["suspended"] is True


def test_ac04_a_suspended_company_cannot_post_or_submit_a_mission(acme, staff):
    draft = make_mission(acme)
    suspend(staff, acme)
    client = api_as(acme)
    refused(client.post("/missions", {**MISSION}))
    refused(client.post(f"/missions/{draft.pk}/submit"))
    assert Mission.objects.count() == 1
    assert wallet_balance(acme).available_cents == 100_00


def test_ac04_a_suspended_expert_cannot_sell_but_delivers_orders_under_way(expert, buyer, staff, order):
    suspend(staff, expert)
    client = api_as(expert)
    refused(client.post("/offers", {**OFFER, "title": "Une autre offre de logo"}))
    # the order already placed goes on, so its buyer is not harmed
    assert client.post(f"/orders/{order.pk}/start").status_code == 200
    delivered = gigs.order_deliver(order=order, by=expert, message="Voici le logo.")
    assert delivered.state == OrderState.DELIVERED
    # no new order on the expert's offers
    refused(api_as(buyer).post(f"/offers/{order.offer_id}/orders", {}))
    assert Order.objects.count() == 1


def test_ac04_a_suspended_buyer_cannot_order(buyer, staff, offer):
    suspend(staff, buyer)
    refused(api_as(buyer).post(f"/offers/{offer.pk}/orders", {}))
    assert not Order.objects.exists()
    assert wallet_balance(buyer).available_cents == 500_00


def test_ac04_lifting_the_suspension_gives_the_rights_back(alice, staff, mission):
    suspend(staff, alice)
    again = suspend(staff, alice)
    assert again.status_code == 409 and again.json()["code"] == "already_suspended"
    lifted = api_as(staff).post(f"/staff/users/{alice.pk}/unsuspend")
    assert lifted.status_code == 200 and lifted.json()["suspended"] is False
    assert Notice.objects.filter(user=alice, kind="account_unsuspended").exists()
    assert api_as(alice).post(f"/missions/{mission.pk}/claims").status_code == 201
    twice = api_as(staff).post(f"/staff/users/{alice.pk}/unsuspend")
    assert twice.status_code == 409 and twice.json()["code"] == "not_suspended"
    # the past suspension stays on record
    assert Suspension.objects.filter(user=alice, lifted_by=staff).count() == 1


def test_ac04_suspension_from_a_report_actions_it(alice, acme, staff, mission):
    created = api_as(alice).post(
        "/abuse-reports", {"target_type": "mission", "target_id": mission.pk, "reason": "fraud"}
    )
    response = suspend(staff, acme, "Mission frauduleuse.", report_id=created.json()["id"])
    assert response.status_code == 200
    kept = AbuseReport.objects.get()
    # a report about another account does not suspend this one
    assert suspend(staff, alice, "Erreur.", report_id=kept.pk).status_code == 422
    assert not is_suspended(alice)
    assert kept.state == ReportState.ACTIONED and "Mission frauduleuse." in kept.decision_note
    assert Suspension.objects.get(user=acme).report == kept


def test_ac04_only_staff_suspend_and_staff_are_not_suspended(alice, bob, staff):
    assert suspend(bob, alice).status_code == 403
    assert suspend(staff, staff).status_code == 403
    assert api_as(staff).post("/staff/users/99999999/suspend", {"reason": "x"}).status_code == 404
    assert suspend(staff, alice, reason="").status_code == 422
    assert not is_suspended(alice)


def test_ac04_the_pages_say_why(client, alice, staff, mission):
    services.account_suspend(user=alice, by=staff, reason="Comportement abusif.")
    signed_in(client, alice)
    dashboard = client.get(reverse("web:dashboard")).content.decode()
    assert "Comportement abusif." in dashboard
    page = client.post(reverse("missions:claim", args=[mission.pk]))
    assert "Comportement abusif." in page.content.decode()
    assert not Claim.objects.exists()


def test_ac04_staff_suspend_and_lift_from_the_account_page(client, alice, staff):
    signed_in(client, staff)
    page = reverse("moderation:staff_account", args=[alice.pk])
    assert client.get(page).status_code == 200
    client.post(reverse("moderation:staff_account_suspend", args=[alice.pk]), {"reason": "Spam."})
    assert is_suspended(alice)
    assert "Spam." in client.get(page).content.decode()
    client.post(reverse("moderation:staff_account_unsuspend", args=[alice.pk]))
    assert not is_suspended(alice)


def test_ac04_staff_list_suspended_accounts_and_find_one_by_email(client, alice, bob, staff):
    services.account_suspend(user=alice, by=staff, reason="Spam répété.")
    signed_in(client, staff)
    listing = client.get(reverse("moderation:staff_suspensions")).content.decode()
    assert f'data-testid="suspension-{alice.pk}"' in listing and "Spam répété." in listing
    assert f'data-testid="suspension-{bob.pk}"' not in listing
    found = client.get(reverse("moderation:staff_suspensions"), {"email": "BOB@example.fr"})
    assert found.status_code == 302 and found["Location"] == reverse("moderation:staff_account", args=[bob.pk])
    assert client.get(reverse("moderation:staff_suspensions"), {"email": "nobody@example.fr"}).status_code == 200
    signed_in(client, alice)
    assert client.get(reverse("moderation:staff_suspensions")).status_code == 403


def test_ac04_pages_tell_a_suspended_buyer_and_seller_why(client, buyer, expert, staff, offer):
    services.account_suspend(user=buyer, by=staff, reason="Paiements contestés")
    signed_in(client, buyer)
    page = client.post(reverse("gigs:order_place", args=[offer.pk]), {"requirements": ""})
    assert page.status_code == 400 and "Paiements contestés" in page.content.decode()
    assert not Order.objects.exists()
    services.account_suspend(user=expert, by=staff, reason="Faux diplômes")
    signed_in(client, expert)
    page = client.get(reverse("gigs:my_offers")).content.decode()
    assert 'data-testid="cannot-sell"' in page and "Faux diplômes" in page


def test_ac04_staff_do_not_publish_the_mission_of_a_suspended_company(acme, staff):
    draft = make_mission(acme)
    api_as(acme).post(f"/missions/{draft.pk}/submit")
    suspend(staff, acme)
    refused(api_as(staff).post(f"/missions/{draft.pk}/publish"))
    draft.refresh_from_db()
    assert draft.published_at is None
