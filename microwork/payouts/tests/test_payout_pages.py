# French typography: the page texts checked here use the typographic apostrophe (U+2019).
# ruff: noqa: RUF001
"""The payout pages, driven through Django's test client (HM16, AM15, HM10, MW03)."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from microwork.missions import selectors as mission_selectors
from microwork.payouts import selectors, services
from microwork.payouts.models import Payout, PayoutAccount, PayoutState
from microwork.payouts.views import earnings_chart
from microwork.testing import api_as, earn, english, make_tasker, signed_in

from .conftest import approved_claim, available, fund, published_mission, stock_vouchers

pytestmark = pytest.mark.usefixtures("books_stay_right")


def paypal_account(user, email="alice@paypal.example"):
    return services.payout_account_create(user=user, method="paypal", paypal_email=email)


# --- Who sees which page ------------------------------------------------------


@pytest.mark.parametrize("persona", ["alice", "emma"])
def test_credits_page_renders_for_taskers_and_experts(client, persona, request):
    user = request.getfixturevalue(persona)
    fund(user, 25_00)
    html = signed_in(client, user).get(reverse("payouts:credits")).content.decode()
    assert "Crédits" in html
    assert 'data-testid="available">25,00\xa0€' in html or "25,00" in html
    assert 'data-testid="earnings-chart"' in html


def test_credits_nav_link_by_role(client, alice, acme, staff):
    assert 'href="/credits/"' in signed_in(client, alice).get(reverse("web:dashboard")).content.decode()
    client.logout()
    assert 'href="/credits/entreprise/"' in signed_in(client, acme).get(reverse("web:dashboard")).content.decode()
    client.logout()
    assert 'href="/credits/versements/"' in signed_in(client, staff).get(reverse("web:dashboard")).content.decode()


def test_credits_page_sends_companies_and_staff_to_their_own_page(client, acme, staff):
    assert signed_in(client, acme).get(reverse("payouts:credits")).url == reverse("payouts:company_balance")
    client.logout()
    assert signed_in(client, staff).get(reverse("payouts:credits")).url == reverse("payouts:staff")


def test_pages_need_a_login(client, db):
    for name in ("payouts:credits", "payouts:company_balance", "payouts:staff"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("web:login"))


def test_company_page_refuses_taskers_and_staff(client, alice, staff):
    assert signed_in(client, alice).get(reverse("payouts:company_balance")).status_code == 403
    client.logout()
    assert signed_in(client, staff).get(reverse("payouts:company_balance")).status_code == 403


def test_staff_page_refuses_everyone_else(client, alice, acme, emma):
    for user in (alice, acme, emma):
        client.force_login(user)
        assert client.get(reverse("payouts:staff")).status_code == 403
        assert client.post(reverse("payouts:staff_batch_create"), {"method": "paypal"}).status_code == 403


def test_payee_forms_refuse_companies(client, acme):
    signed_in(client, acme)
    assert client.post(reverse("payouts:payout_request"), {"amount": "10"}).status_code == 403
    assert client.post(reverse("payouts:account_add"), {"method": "paypal"}).status_code == 403
    assert not PayoutAccount.objects.exists()


# --- Credits: rules, accounts, requests ---------------------------------------


def test_hm16_rules_are_shown_before_the_tasker_asks(client, alice):
    fund(alice, 25_00)
    english(signed_in(client, alice))
    html = client.get(reverse("payouts:credits")).content.decode()
    rules = html[html.index('data-testid="payout-rules"') :]
    assert "From €10.00" in rules  # English pages write euros the English way
    assert "In steps of €10.00" in rules
    assert "You can withdraw up to €20.00" in rules
    # no account yet: the form waits for one
    assert "First add a payout account" in html


def test_am15_rules_for_an_expert_say_any_amount(client, emma):
    fund(emma, 12_34)
    html = english(signed_in(client, emma)).get(reverse("payouts:credits")).content.decode()
    assert "Any amount, to the cent." in html
    assert "In steps of" not in html


def test_rules_in_french(client, alice):
    html = signed_in(client, alice).get(reverse("payouts:credits")).content.decode()
    assert "À partir de 10,00" in html
    assert "Par tranches de 10,00" in html


def test_add_paypal_account_from_the_page(client, alice):
    signed_in(client, alice)
    response = client.post(
        reverse("payouts:account_add"), {"method": "paypal", "paypal_email": "Alice@PayPal.example"}, follow=True
    )
    assert response.status_code == 200
    account = PayoutAccount.objects.get(user=alice)
    assert account.paypal_email == "alice@paypal.example"
    assert account.is_default
    assert "alice@paypal.example" in response.content.decode()


def test_add_iban_account_derives_the_bic(client, alice):
    signed_in(client, alice)
    client.post(
        reverse("payouts:account_add"),
        {"method": "iban", "iban": "DE89 3704 0044 0532 0130 00", "holder": "Alice Martin"},
    )
    account = PayoutAccount.objects.get(user=alice)
    assert account.iban == "DE89370400440532013000"
    assert account.bic == "COBADEFFXXX"
    assert "BIC COBADEFFXXX" in client.get(reverse("payouts:credits")).content.decode()


def test_a_bad_iban_shows_the_service_error_and_adds_nothing(client, alice):
    english(signed_in(client, alice))
    response = client.post(
        reverse("payouts:account_add"), {"method": "iban", "iban": "FR7630006000011234567890188", "holder": "Alice"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This IBAN is not valid." in html
    # the form that failed stays open
    assert re.search(r'<details class="more add-account" open>\s*<summary>Add a bank account', html)
    assert not PayoutAccount.objects.exists()


def test_hm16_an_iban_outside_the_sepa_zone_shows_a_form_error_and_adds_nothing(client, alice):
    english(signed_in(client, alice))
    response = client.post(
        reverse("payouts:account_add"),
        {"method": "iban", "iban": "BR18 0036 0305 0000 1000 9795 493C 1", "holder": "Alice Martin"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    at = html.index('name="iban"')
    iban_field = html[html.rindex('<div class="field', 0, at) :].split("</div>")[0]
    assert "has-error" in iban_field
    assert "outside the SEPA zone" in iban_field
    assert not PayoutAccount.objects.filter(user=alice).exists()


def test_make_another_account_the_default(client, alice, bob):
    first = paypal_account(alice)
    second = services.payout_account_create(user=alice, method="gift_voucher")
    signed_in(client, alice)
    client.post(reverse("payouts:account_default", args=[second.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    # another user's account is not found
    foreign = paypal_account(bob, "bob@paypal.example")
    assert client.post(reverse("payouts:account_default", args=[foreign.pk])).status_code == 404


def test_request_a_payout_from_the_page(client, alice):
    fund(alice, 25_00)
    account = paypal_account(alice)
    signed_in(client, alice)
    form_html = client.get(reverse("payouts:credits")).content.decode()
    key = re.search(r'name="request_key" value="([0-9a-f]+)"', form_html).group(1)
    response = client.post(
        reverse("payouts:payout_request"), {"amount": "20", "account": account.pk, "request_key": key}, follow=True
    )
    html = response.content.decode()
    assert Payout.objects.get(user=alice).amount_cents == 20_00
    assert available(alice) == 5_00
    assert "Demandé" in html
    assert 'data-testid="in-flight">20,00' in html


def test_the_same_form_posted_twice_asks_once(client, alice):
    fund(alice, 40_00)
    account = paypal_account(alice)
    signed_in(client, alice)
    data = {"amount": "10", "account": account.pk, "request_key": "a" * 32}
    client.post(reverse("payouts:payout_request"), data)
    response = client.post(reverse("payouts:payout_request"), data, follow=True)
    assert Payout.objects.filter(user=alice).count() == 1
    assert available(alice) == 30_00
    assert "déjà" in response.content.decode()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("9,99", "Les retraits commencent à 10,00"),
        ("15", "Les retraits se font par tranches de 10,00"),
        ("30", "Solde de 25,00 €, 30,00 € nécessaires"),
    ],
)
def test_hm16_page_shows_service_errors_and_changes_nothing(client, alice, amount, message):
    fund(alice, 25_00)
    account = paypal_account(alice)
    response = signed_in(client, alice).post(
        reverse("payouts:payout_request"), {"amount": amount, "account": account.pk, "request_key": "k1"}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Payout.objects.exists()
    assert available(alice) == 25_00
    # the form key was not spent: the corrected form goes through
    client.post(reverse("payouts:payout_request"), {"amount": "20", "account": account.pk, "request_key": "k1"})
    assert Payout.objects.get().amount_cents == 20_00


def test_am15_expert_withdraws_to_the_cent_on_the_page(client, emma):
    fund(emma, 50_00)
    account = paypal_account(emma, "emma@paypal.example")
    signed_in(client, emma).post(reverse("payouts:payout_request"), {"amount": "12,34", "account": account.pk})
    assert Payout.objects.get(user=emma).amount_cents == 12_34
    assert available(emma) == 37_66


def test_a_foreign_account_cannot_be_chosen(client, alice, bob):
    fund(alice, 20_00)
    paypal_account(alice)
    foreign = paypal_account(bob, "bob@paypal.example")
    response = signed_in(client, alice).post(reverse("payouts:payout_request"), {"amount": "10", "account": foreign.pk})
    assert response.status_code == 400
    assert not Payout.objects.exists()


def test_failed_payout_shows_its_reason(client, alice, staff):
    fund(alice, 20_00)
    payout = services.payout_request(user=alice, amount_cents=10_00, account=paypal_account(alice))
    services.payout_fail(payout=payout, by=staff, reason="PayPal account closed")
    html = signed_in(client, alice).get(reverse("payouts:credits")).content.decode()
    assert "Échoué" in html
    assert "PayPal account closed" in html
    assert "par l’équipe Microwork" in html


def test_gift_voucher_code_is_shown_once_on_the_page(client, alice, staff):
    stock_vouchers(staff, 20_00)
    fund(alice, 20_00)
    account = services.payout_account_create(user=alice, method="gift_voucher")
    payout = services.payout_request(user=alice, amount_cents=20_00, account=account)
    services.payout_batch_create(by=staff, method="gift_voucher")
    signed_in(client, alice)
    assert "Afficher mon code" in client.get(reverse("payouts:credits")).content.decode()
    response = client.post(reverse("payouts:voucher_reveal", args=[payout.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    code = re.search(r'data-testid="voucher-code"><code>([A-Z0-9-]+)</code>', response.content.decode()).group(1)
    payout.refresh_from_db()
    assert payout.voucher_code_hash == Payout.hash_code(code)
    assert payout.voucher_code_once == ""
    html = client.get(reverse("payouts:credits")).content.decode()
    assert code not in html
    assert "Afficher mon code" not in html
    assert code[-4:] in html
    again = client.post(reverse("payouts:voucher_reveal", args=[payout.pk]), follow=True)
    assert code not in again.content.decode()
    assert "déjà été affiché" in again.content.decode()


def test_voucher_reveal_of_another_users_payout_is_not_found(client, alice, bob, staff):
    stock_vouchers(staff, 20_00)
    fund(bob, 20_00)
    payout = services.payout_request(
        user=bob, amount_cents=20_00, account=services.payout_account_create(user=bob, method="gift_voucher")
    )
    services.payout_batch_create(by=staff, method="gift_voucher")
    assert signed_in(client, alice).post(reverse("payouts:voucher_reveal", args=[payout.pk])).status_code == 404
    payout.refresh_from_db()
    assert payout.voucher_code_once


# --- History and chart ------------------------------------------------------


def test_history_names_the_mission_and_pages_by_keyset(client, alice, acme, staff):
    mission = published_mission(acme, staff, title="Shelf photo at Rue de Rivoli")
    approved_claim(mission, alice)
    for _ in range(25):
        fund(alice, 1_00)
    signed_in(client, alice)
    with CaptureQueriesContext(connection) as first:
        html = client.get(reverse("payouts:credits")).content.decode()
    cursor = re.search(r'href="\?avant=([0-9]+)#history"', html).group(1)
    older = client.get(reverse("payouts:credits"), {"avant": cursor}).content.decode()
    assert mission.title in older
    assert "Rémunération de mission" in older
    assert mission.title not in html.split('id="history"')[1]
    with CaptureQueriesContext(connection) as second:
        client.get(reverse("payouts:credits"), {"avant": cursor})
    # the claim's mission costs one query per page, not one per line
    assert len(second) <= len(first) + 1


def test_hm16_credits_history_pages_in_the_apis_order(alice):
    # the credits page and GET /me/ledger page the same postings in the same order
    for n in range(25):
        fund(alice, 1_00 + n)
    shown, before = [], None
    while True:
        page = selectors.wallet_history(alice, before=before, limit=10)
        shown += [line.posting.pk for line in page.lines]
        if page.next_cursor is None:
            break
        before = page.next_cursor
    items, cursor = [], None
    while True:
        body = api_as(alice).get("/me/ledger", limit=10, **({"cursor": cursor} if cursor else {})).json()
        items += [int(item["id"]) for item in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert shown == items
    assert len(shown) == 25 and shown == sorted(shown, reverse=True)


def test_weekly_chart_sums_per_iso_week(alice):
    fund(alice, 99_00)  # not an earning
    earn(alice, 3_00, ref="claim:a1")
    earn(alice, 4_50, ref="claim:a2")
    # alice signed up this week: one week to show, not eleven empty ones before it
    weeks = selectors.weekly_earnings(alice)
    assert len(weeks) == 1
    assert weeks[-1].cents == 7_50
    assert weeks[-1].monday == timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    # seen from a date 3 weeks later, it is the 4th bar from the end, the first since signup
    later = timezone.localdate() + timedelta(weeks=3)
    assert [w.cents for w in selectors.weekly_earnings(alice, today=later)] == [7_50, 0, 0, 0]
    # and never more than the last 12 weeks
    much_later = timezone.localdate() + timedelta(weeks=30)
    assert len(selectors.weekly_earnings(alice, today=much_later)) == 12


def test_chart_scales_bars_to_the_best_week_with_exact_amounts():
    weeks = [
        selectors.WeekBar(monday=date(2026, 9, 14) + timedelta(weeks=n), cents=n * 1_00 + 50 * (n == 11))
        for n in range(12)
    ]
    with translation.override("fr"):
        chart = earnings_chart(weeks)
    widths = [bar.width for bar in chart["bars"]]
    assert widths[0] == 0
    assert widths[-1] == max(widths) and chart["plot_x"] + widths[-1] < chart["width"]
    # the exact amount beside each bar, never rounded to the euro
    assert chart["bars"][-1].value == "11,50 €"
    assert chart["bars"][0].label == "14 sept."
    with translation.override("en"):
        assert earnings_chart(weeks)["bars"][0].label == "14 Sept."
    assert chart["total_cents"] == sum(range(12)) * 100 + 50
    # every value fits: it starts after its bar and the chart keeps room for it
    assert all(bar.value_x <= chart["width"] - 70 for bar in chart["bars"])


# --- Company page (HM10) ------------------------------------------------------


def test_company_page_shows_balance_topups_and_charges(client, acme, alice, staff):
    from microwork.missions import services as mission_services

    mission = published_mission(acme, staff, places=2)
    approved_claim(mission, alice)
    mission_services.mission_withdraw(mission=mission, by=acme)
    signed_in(client, acme)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("payouts:company_balance"))
    html = response.content.decode()
    assert response.status_code == 200
    row = mission_selectors.company_charges(acme).rows[0]
    place = mission.reward_cents + mission.fee_cents + mission.vat_cents
    assert row.reserved_cents == 2 * place
    assert row.refunded_cents == place
    assert (row.rewards_cents, row.fees_cents, row.vat_cents) == (
        mission.reward_cents,
        mission.fee_cents,
        mission.vat_cents,
    )
    assert row.held_cents == 0
    assert mission.title in html
    assert "Recharges récentes" in html or "Recent top-ups" in html
    charges_queries = [q for q in queries.captured_queries if "missions_mission" in q["sql"]]
    assert len(charges_queries) <= 3


def test_company_charges_stay_constant_in_queries(acme, staff):
    published_mission(acme, staff)
    with CaptureQueriesContext(connection) as one:
        mission_selectors.company_charges(acme)
    for _ in range(4):
        published_mission(acme, staff)
    with CaptureQueriesContext(connection) as five:
        rows = mission_selectors.company_charges(acme).rows
    assert len(rows) == 5
    assert len(five) == len(one) <= 3


def test_company_tops_up_from_its_page(client, acme):
    signed_in(client, acme)
    response = client.post(reverse("payouts:company_topup"), {"amount": "12,50"}, follow=True)
    assert response.status_code == 200
    assert available(acme) == 112_50


def test_company_topup_errors_show_and_charge_nothing(client, acme):
    response = signed_in(client, acme).post(reverse("payouts:company_topup"), {"amount": "0"})
    assert response.status_code == 400
    assert available(acme) == 100_00


# --- Staff page (MW03) ----------------------------------------------------------


def test_staff_page_counts_and_batches_per_method(client, staff, alice, bob):
    fund(alice, 30_00)
    fund(bob, 20_00)
    services.payout_request(user=alice, amount_cents=10_00, account=paypal_account(alice))
    services.payout_request(user=bob, amount_cents=20_00, account=paypal_account(bob, "bob@paypal.example"))
    iban = services.payout_account_create(
        user=alice, method="iban", iban="FR7630006000011234567890189", holder="Alice Martin"
    )
    services.payout_request(user=alice, amount_cents=20_00, account=iban)
    english(signed_in(client, staff))
    html = client.get(reverse("payouts:staff")).content.decode()
    paypal_row = html[html.index('data-testid="queue-paypal"') :]
    assert "2 payouts · €30.00" in paypal_row
    response = client.post(reverse("payouts:staff_batch_create"), {"method": "paypal"}, follow=True)
    assert "2 payouts, €30.00" in response.content.decode()
    assert Payout.objects.filter(state=PayoutState.PROCESSING).count() == 2
    response = client.post(reverse("payouts:staff_batch_create"), {"method": "iban"}, follow=True)
    # one payout in the batch: singular, in English as in French
    assert "1 payout, €20.00" in response.content.decode()
    batches = list(selectors.batches_page().rows)
    assert len(batches) == 2
    sepa = client.get(reverse("payouts:staff_batch_export", args=[batches[0].batch.pk]))
    assert sepa["Content-Type"] == "application/xml"
    assert b"<CtrlSum>20.00</CtrlSum>" in sepa.content
    csv_file = client.get(reverse("payouts:staff_batch_export", args=[batches[1].batch.pk]))
    assert csv_file["Content-Type"] == "text/csv"
    assert b"alice@paypal.example,10.00,EUR" in csv_file.content


def test_staff_marks_a_batch_paid_and_fails_a_line(client, staff, alice, bob):
    fund(alice, 10_00)
    fund(bob, 20_00)
    first = services.payout_request(user=alice, amount_cents=10_00, account=paypal_account(alice))
    second = services.payout_request(user=bob, amount_cents=20_00, account=paypal_account(bob, "bob@paypal.example"))
    batch = services.payout_batch_create(by=staff, method="paypal")
    signed_in(client, staff)
    # a reason is required: nothing changes without one
    response = client.post(reverse("payouts:staff_payout_fail", args=[second.pk]), {"reason": " "})
    assert response.status_code == 400
    second.refresh_from_db()
    assert second.state == PayoutState.PROCESSING
    client.post(reverse("payouts:staff_payout_fail", args=[second.pk]), {"reason": "Unknown PayPal email"})
    client.post(reverse("payouts:staff_batch_paid", args=[batch.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (PayoutState.PAID, PayoutState.FAILED)
    assert available(bob) == 20_00
    html = client.get(reverse("payouts:staff")).content.decode()
    assert "Unknown PayPal email" in html
    assert "Payé le" in html


def test_staff_batch_with_nothing_waiting_says_so(client, staff):
    response = signed_in(client, staff).post(reverse("payouts:staff_batch_create"), {"method": "iban"}, follow=True)
    assert "Aucun retrait n’attend" in response.content.decode() or "No payout is waiting" in response.content.decode()


def test_export_of_an_unknown_batch_is_not_found(client, staff):
    assert signed_in(client, staff).get(reverse("payouts:staff_batch_export", args=[999])).status_code == 404


def test_tasker_without_verified_phone_still_sees_credits(client, db):
    charlie = make_tasker("charlie2@example.fr", "+33611220000", verified=False)
    assert signed_in(client, charlie).get(reverse("payouts:credits")).status_code == 200


@pytest.mark.parametrize(
    ("persona", "page", "param", "value"),
    [
        ("alice", "payouts:credits", "avant", "\u00b2-1"),
        ("alice", "payouts:credits", "avant", "1-\u0661"),
        ("alice", "payouts:credits", "retraits_avant", "\u00b2"),
        ("acme", "payouts:company_balance", "avant", "\uff11"),
        ("staff", "payouts:staff", "avant", "\u00b2"),
    ],
)
def test_page_cursors_in_digits_other_than_ascii_start_over_not_a_server_error(
    client, request, persona, page, param, value
):
    # a cursor in superscript or other Unicode digits is not one: the page shows from the start
    user = request.getfixturevalue(persona)
    assert signed_in(client, user).get(reverse(page), {param: value}).status_code == 200


def test_mw03_staff_are_offered_to_fail_only_the_payouts_the_table_lets_fail(client, staff, alice, bob):
    fund(alice, 10_00)
    fund(bob, 30_00)
    paid = services.payout_request(user=alice, amount_cents=10_00, account=paypal_account(alice))
    waiting = services.payout_request(user=bob, amount_cents=20_00, account=paypal_account(bob, "bob@paypal.example"))
    batch = services.payout_batch_create(by=staff, method="paypal")
    services.payout_batch_mark_paid(batch=batch, by=staff)
    waiting = services.payout_request(user=bob, amount_cents=10_00, account=waiting.account)
    page = signed_in(client, staff).get(reverse("payouts:staff")).content.decode()
    assert reverse("payouts:staff_payout_fail", args=[waiting.pk]) in page
    assert reverse("payouts:staff_payout_fail", args=[paid.pk]) not in page
