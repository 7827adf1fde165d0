"""Gift vouchers from a real stock (SPEC HM16, MW03, PL01): codes bought from
an issuer, imported by staff, reserved by a request, handed over by a batch,
delivered when paid, put back when a payout fails before its code was seen."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from microwork import testing
from microwork.core.errors import Conflict, Forbidden, InvalidInput
from microwork.ledger.models import AccountKind, Entry
from microwork.ledger.selectors import ledger_audit
from microwork.payouts import selectors, services
from microwork.payouts.models import (
    Payout,
    PayoutState,
    VoucherCode,
    VoucherCodeTransition,
    VoucherState,
)

from .conftest import available, balance_of, fund, stock_vouchers, voucher_csv

pytestmark = pytest.mark.usefixtures("books_stay_right")


def in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def voucher_account(user):
    return services.payout_account_create(user=user, method="gift_voucher")


def upload(*rows, delimiter=","):
    return SimpleUploadedFile("issuer.csv", voucher_csv(*rows, delimiter=delimiter).getvalue(), "text/csv")


def signed_in(client, user):
    testing.signed_in(client, user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


# --- Import: all or nothing, booked once -------------------------------------------


def test_pl01_hm16_voucher_import_books_the_stock_in_one_entry(staff):
    stock, issuer = balance_of(AccountKind.VOUCHER_STOCK), balance_of(AccountKind.VOUCHER_ISSUER)
    done = services.voucher_stock_import(
        by=staff,
        file=voucher_csv(
            ("Fnac", "10.00", "FNAC-AAAA-0001", in_days(90)),
            ("Fnac", "10,00", "FNAC-AAAA-0002", in_days(90)),
            ("Amazon", "20", "AMZN-BBBB-0001", in_days(30)),
        ),
    )
    assert (done.imported, done.total_cents) == (3, 40_00)
    assert balance_of(AccountKind.VOUCHER_STOCK) == stock + 40_00
    assert balance_of(AccountKind.VOUCHER_ISSUER) == issuer - 40_00
    entry = Entry.objects.get(kind="voucher_stock_import")
    assert entry.idempotency_key == f"voucher-import:{done.batch_label}"
    assert entry.created_by_id == staff.pk
    codes = VoucherCode.objects.order_by("pk")
    assert [(c.brand, c.value_cents, c.state, c.last4) for c in codes] == [
        ("Fnac", 10_00, "in_stock", "0001"),
        ("Fnac", 10_00, "in_stock", "0002"),
        ("Amazon", 20_00, "in_stock", "0001"),
    ]
    assert {c.batch_label for c in codes} == {done.batch_label}
    assert {c.imported_by_id for c in codes} == {staff.pk}
    assert codes[0].code_hash == Payout.hash_code("FNAC-AAAA-0001")
    assert ledger_audit() == []


def test_hm16_voucher_import_reads_a_french_spreadsheet(staff):
    # semicolons between columns, a comma in the amount, a euro sign
    done = services.voucher_stock_import(
        by=staff,
        file=voucher_csv(("Fnac", "15,50 €", "FNAC-FR-0001", in_days(60)), delimiter=";"),
    )
    assert (done.imported, done.total_cents) == (1, 15_50)
    # and a comma-separated file, the amount quoted
    content = f'brand,value,code,expiry\r\nFnac,"15,50",FNAC-FR-0002,{in_days(60)}\r\n'.encode()
    services.voucher_stock_import(by=staff, file=SimpleUploadedFile("issuer.csv", content))
    assert VoucherCode.objects.filter(value_cents=15_50).count() == 2


def test_hm16_voucher_import_names_each_bad_row_and_imports_nothing(staff):
    stock_vouchers(staff, 10_00)
    known = VoucherCode.objects.get().code
    entries = Entry.objects.count()
    with pytest.raises(services.VoucherImportInvalid) as refused, translation.override("en"):
        services.voucher_stock_import(
            by=staff,
            file=voucher_csv(
                ("Fnac", "10.00", "FNAC-GOOD-0001", in_days(30)),
                ("Fnac", "ten", "FNAC-BAD-0002", in_days(30)),
                ("Fnac", "0,00", "FNAC-BAD-0003", in_days(30)),
                ("Fnac", "10.00", "FNAC-BAD-0004", in_days(-1)),
                ("Fnac", "10.00", "FNAC-BAD-0005", in_days(0)),
                ("Fnac", "10.00", "FNAC-BAD-0006", "31/12/2030"),
                ("", "10.00", "FNAC-BAD-0007", in_days(30)),
                ("Fnac", "10.00", "FNAC-GOOD-0001", in_days(30)),
                ("fnac", "10.00", known, in_days(30)),
                ("Fnac", "10.00", "ab", in_days(30)),
            ),
        )
    assert refused.value.code == "voucher_import_invalid"
    assert refused.value.status == 422
    assert [(e["field"], e["message"]) for e in refused.value.errors] == [
        ("row 2: value", "The value is an amount in euros, such as 10.00 or 10,00, up to €1,000.00."),
        ("row 3: value", "The value is an amount in euros, such as 10.00 or 10,00, up to €1,000.00."),
        ("row 4: expiry", "This code has expired or expires today."),
        ("row 5: expiry", "This code has expired or expires today."),
        ("row 6: expiry", "The expiry is a date such as 2027-12-31."),
        ("row 7: brand", "Give the brand (at most 40 characters)."),
        ("row 8: code", "The same code is already on row 1."),
        ("row 9: code", "This code was already imported."),
        ("row 10: code", "The code has 4 to 64 printable characters."),
    ]
    assert VoucherCode.objects.count() == 1
    assert Entry.objects.count() == entries


def test_hm16_voucher_import_refuses_a_file_it_cannot_read(staff):
    for content in (b"brand,value,code\r\nFnac,10.00,ABCD-0001\r\n", b"\xff\xfe\x00", b"brand,value,code,expiry\r\n"):
        with pytest.raises(InvalidInput) as refused:
            services.voucher_stock_import(by=staff, file=SimpleUploadedFile("x.csv", content))
        assert refused.value.field == "file"
    assert not VoucherCode.objects.exists()


def test_hm16_voucher_the_same_file_twice_imports_once(staff):
    rows = [("Fnac", "10.00", "FNAC-TWICE-0001", in_days(30))]
    services.voucher_stock_import(by=staff, file=voucher_csv(*rows))
    with pytest.raises(services.VoucherImportInvalid):
        services.voucher_stock_import(by=staff, file=voucher_csv(*rows))
    assert VoucherCode.objects.count() == 1
    assert balance_of(AccountKind.VOUCHER_STOCK) == 10_00


def test_hm16_voucher_import_records_each_codes_first_state_in_a_few_queries(staff):
    def imported(count: int, prefix: str) -> int:
        rows = [("Fnac", "10.00", f"{prefix}-{n:04d}", in_days(30)) for n in range(count)]
        with CaptureQueriesContext(connection) as queries:
            services.voucher_stock_import(by=staff, file=voucher_csv(*rows))
        return len(queries)

    imported(1, "FIRST")  # the books' system accounts are made on the first import
    few, many = imported(2, "FEW"), imported(40, "MANY")
    # every code starts with its own history row, from "" to in stock, by the importer
    steps = VoucherCodeTransition.objects.values_list("voucher_id", "from_state", "to_state", "by_id")
    codes = VoucherCode.objects.values_list("pk", flat=True)
    assert sorted(steps) == sorted((pk, "", "in_stock", staff.pk) for pk in codes)
    assert len(codes) == 43
    # and 20 times the codes costs no more queries
    assert many == few


def test_hm16_voucher_import_is_for_staff_only(alice, acme):
    for user in (alice, acme):
        with pytest.raises(Forbidden):
            services.voucher_stock_import(by=user, file=voucher_csv(("Fnac", "10.00", "FNAC-0001", in_days(30))))
    assert not VoucherCode.objects.exists()


# --- Request: a code of exactly that value is set aside ------------------------------


def test_hm16_voucher_request_reserves_the_code_expiring_first(alice, staff):
    stock_vouchers(staff, 10_00, expires_on=timezone.localdate() + timedelta(days=90))
    stock_vouchers(staff, 10_00, expires_on=timezone.localdate() + timedelta(days=10))
    stock_vouchers(staff, 20_00, expires_on=timezone.localdate() + timedelta(days=5))
    # one more 10 EUR code that expires today: never handed out
    stock_vouchers(staff, 10_00, expires_on=timezone.localdate() + timedelta(days=1))
    VoucherCode.objects.filter(expires_on=timezone.localdate() + timedelta(days=1)).update(
        expires_on=timezone.localdate()
    )
    fund(alice, 10_00)
    payout = services.payout_request(user=alice, amount_cents=10_00, account=voucher_account(alice))
    voucher = VoucherCode.objects.get(payout=payout)
    assert (voucher.state, voucher.value_cents) == (VoucherState.RESERVED, 10_00)
    assert voucher.expires_on == timezone.localdate() + timedelta(days=10)
    # the move after the import's first row ("" to in_stock)
    step = VoucherCodeTransition.objects.exclude(from_state="").get(voucher=voucher)
    assert (step.from_state, step.to_state, step.by_id) == ("in_stock", "reserved", alice.pk)
    assert ledger_audit() == []


def test_pl01_hm16_voucher_out_of_stock_is_refused_and_the_money_stays(alice, staff):
    stock_vouchers(staff, 10_00)
    fund(alice, 30_00)
    entries = Entry.objects.count()
    with pytest.raises(Conflict) as refused:
        services.payout_request(user=alice, amount_cents=30_00, account=voucher_account(alice))
    assert refused.value.code == "voucher_out_of_stock"
    assert refused.value.field == "amount_cents"
    assert "30,00" in refused.value.detail
    assert available(alice) == 30_00
    assert not Payout.objects.exists()
    assert Entry.objects.count() == entries
    assert VoucherCode.objects.get().state == VoucherState.IN_STOCK


def test_hm16_voucher_values_in_stock_are_the_unexpired_ones_on_the_shelf(alice, staff):
    stock_vouchers(staff, 50_00, 10_00, 10_00, 20_00)
    VoucherCode.objects.filter(value_cents=50_00).update(expires_on=timezone.localdate())
    assert selectors.voucher_values_in_stock() == [10_00, 20_00]
    fund(alice, 20_00)
    services.payout_request(user=alice, amount_cents=20_00, account=voucher_account(alice))
    assert selectors.voucher_values_in_stock() == [10_00]


# --- Batch, reveal, pay, fail ---------------------------------------------------------


def test_pl01_hm16_voucher_from_import_to_delivery_keeps_the_books_right(alice, staff):
    # given alice's 20 EUR voucher payout on a stock of one 20 EUR code
    [code] = stock_vouchers(staff, 20_00)
    assert ledger_audit() == []
    fund(alice, 20_00)
    payout = services.payout_request(user=alice, amount_cents=20_00, account=voucher_account(alice))
    assert ledger_audit() == []
    stock, issuer = balance_of(AccountKind.VOUCHER_STOCK), balance_of(AccountKind.VOUCHER_ISSUER)

    # when staff batch it, the issuer's code is the one waiting for alice
    batch = services.payout_batch_create(by=staff, method="gift_voucher")
    payout.refresh_from_db()
    assert payout.voucher_code_once == code
    assert (payout.voucher_code_hash, payout.voucher_last4) == (Payout.hash_code(code), code[-4:])
    assert services.voucher_code_reveal(payout=payout, user=alice) == code
    voucher = VoucherCode.objects.get(payout=payout)
    # once seen, no readable copy is left anywhere
    assert (voucher.code, voucher.state) == ("", VoucherState.RESERVED)
    assert ledger_audit() == []

    # then paying it delivers the code and takes its value out of the stock
    services.payout_batch_mark_paid(batch=batch, by=staff)
    voucher.refresh_from_db()
    assert voucher.state == VoucherState.DELIVERED
    assert balance_of(AccountKind.VOUCHER_STOCK) == stock - 20_00
    assert balance_of(AccountKind.VOUCHER_ISSUER) == issuer + 20_00
    entry = Entry.objects.get(kind="voucher_delivered")
    assert (entry.idempotency_key, entry.ref) == (f"voucher-delivered:{voucher.pk}", f"payout:{payout.pk}")
    assert ledger_audit() == []
    # marking it paid again moves nothing
    services.payout_batch_mark_paid(batch=batch, by=staff)
    assert Entry.objects.filter(kind="voucher_delivered").count() == 1
    steps = list(
        VoucherCodeTransition.objects.filter(voucher=voucher)
        .exclude(from_state="")
        .order_by("pk")
        .values_list("to_state", "by_id")
    )
    assert steps == [("reserved", alice.pk), ("delivered", staff.pk)]


@pytest.mark.parametrize("batched", [False, True])
def test_pl01_hm16_voucher_failed_before_its_code_was_seen_goes_back_in_stock(alice, bob, staff, batched):
    [code] = stock_vouchers(staff, 10_00)
    fund(alice, 10_00)
    payout = services.payout_request(user=alice, amount_cents=10_00, account=voucher_account(alice))
    if batched:
        services.payout_batch_create(by=staff, method="gift_voucher")
    services.payout_fail(payout=payout, by=staff, reason="Voucher issuer down")
    payout.refresh_from_db()
    assert payout.state == PayoutState.FAILED
    assert (payout.voucher_code_once, payout.voucher_code_hash, payout.voucher_last4) == ("", "", "")
    voucher = VoucherCode.objects.get()
    assert (voucher.state, voucher.payout_id, voucher.code) == (VoucherState.IN_STOCK, None, code)
    assert VoucherCodeTransition.objects.filter(voucher=voucher).last().reason == "Voucher issuer down"
    assert available(alice) == 10_00
    assert ledger_audit() == []
    with pytest.raises(Conflict):
        services.voucher_code_reveal(payout=payout, user=alice)
    # the code goes to the next payout of its value
    fund(bob, 10_00)
    again = services.payout_request(user=bob, amount_cents=10_00, account=voucher_account(bob))
    assert VoucherCode.objects.get(payout=again).pk == voucher.pk


def test_hm16_voucher_requested_before_the_stock_gets_a_code_when_batched(alice, bob, staff):
    # given two voucher payouts asked for before codes were reserved at request time
    stock_vouchers(staff, 10_00, 20_00)
    fund(alice, 10_00)
    fund(bob, 20_00)
    first = services.payout_request(user=alice, amount_cents=10_00, account=voucher_account(alice))
    second = services.payout_request(user=bob, amount_cents=20_00, account=voucher_account(bob))
    VoucherCode.objects.update(state=VoucherState.IN_STOCK, payout=None)
    VoucherCode.objects.filter(value_cents=20_00).update(expires_on=timezone.localdate())
    # when staff batch, the first gets a code now; the second, with none of its value left, waits
    batch = services.payout_batch_create(by=staff, method="gift_voucher")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (batch.count, batch.total_cents) == (1, 10_00)
    assert (first.state, second.state) == (PayoutState.PROCESSING, PayoutState.REQUESTED)
    assert first.voucher_code_once == VoucherCode.objects.get(payout=first).code
    with pytest.raises(Conflict) as nothing:
        services.payout_batch_create(by=staff, method="gift_voucher")
    assert nothing.value.code == "nothing_to_batch"


# --- Reconciliation -------------------------------------------------------------------


def test_pl01_voucher_audit_reports_a_code_tampered_with(alice, staff):
    stock_vouchers(staff, 10_00, 20_00)
    fund(alice, 10_00)
    services.payout_request(user=alice, amount_cents=10_00, account=voucher_account(alice))
    assert ledger_audit() == []
    # a code's value changed behind the books' back
    VoucherCode.objects.filter(value_cents=20_00).update(value_cents=50_00)
    assert ledger_audit() == [
        "voucher stock: the ledger holds 3000 cents, the codes not yet delivered are worth 6000 cents"
    ]
    VoucherCode.objects.filter(value_cents=50_00).update(value_cents=20_00)
    # a code marked delivered without its entry
    VoucherCode.objects.filter(state=VoucherState.RESERVED).update(state=VoucherState.DELIVERED)
    assert ledger_audit() == [
        "voucher stock: the ledger holds 3000 cents, the codes not yet delivered are worth 2000 cents"
    ]
    VoucherCode.objects.filter(state=VoucherState.DELIVERED).update(state=VoucherState.RESERVED)
    assert ledger_audit() == []


# --- The API ----------------------------------------------------------------------------


def test_hm16_voucher_api_import_and_stock(staff_api, alice_api):
    file = upload(
        ("Fnac", "10.00", "FNAC-API-0001", in_days(30)),
        ("Fnac", "10.00", "FNAC-API-0002", in_days(60)),
        ("Amazon", "25,00", "AMZN-API-0001", in_days(90)),
    )
    response = staff_api.upload("/staff/vouchers/import", {"file": file})
    assert response.status_code == 201, response.json()
    assert {k: response.json()[k] for k in ("imported", "total_cents")} == {"imported": 3, "total_cents": 45_00}
    stock = staff_api.get("/staff/vouchers/stock").json()
    assert stock["total_cents"] == 45_00
    assert [
        (line["brand"], line["value_cents"], line["count"], line["total_cents"], line["first_expiry"])
        for line in stock["items"]
    ] == [("Amazon", 25_00, 1, 25_00, in_days(90)), ("Fnac", 10_00, 2, 20_00, in_days(30))]
    # payees may do neither
    assert alice_api.upload("/staff/vouchers/import", {"file": file}).status_code == 403
    assert alice_api.get("/staff/vouchers/stock").status_code == 403


def test_hm16_voucher_api_import_names_the_bad_rows(staff_api):
    file = upload(("Fnac", "10.00", "FNAC-API-0001", in_days(30)), ("Fnac", "dix", "FNAC-API-0002", in_days(30)))
    response = staff_api.upload("/staff/vouchers/import", {"file": file})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "voucher_import_invalid"
    assert [e["field"] for e in body["errors"]] == ["row 2: value"]
    assert not VoucherCode.objects.exists()


def test_pl01_hm16_voucher_api_out_of_stock_is_a_409(alice, alice_api, staff):
    fund(alice, 10_00)
    account = alice_api.post("/me/payout-accounts", {"method": "gift_voucher"}).json()
    response = alice_api.post("/me/payouts", {"amount_cents": 10_00, "payout_account_id": account["id"]})
    assert response.status_code == 409
    assert response.json()["code"] == "voucher_out_of_stock"
    assert available(alice) == 10_00
    stock_vouchers(staff, 10_00)
    response = alice_api.post("/me/payouts", {"amount_cents": 10_00, "payout_account_id": account["id"]})
    assert response.status_code == 201
    assert available(alice) == 0


# --- The pages ----------------------------------------------------------------------------


def test_hm16_voucher_credits_page_says_which_values_are_in_stock(client, alice, staff):
    fund(alice, 30_00)
    signed_in(client, alice)
    assert 'data-testid="voucher-values"' not in client.get(reverse("payouts:credits")).content.decode()
    account = voucher_account(alice)
    html = client.get(reverse("payouts:credits")).content.decode()
    assert "No gift voucher is in stock right now" in html
    stock_vouchers(staff, 20_00, 10_00, 10_00)
    html = client.get(reverse("payouts:credits")).content.decode()
    line = html[html.index('data-testid="voucher-values"') :].split("</li>")[0]
    assert "€10.00, €20.00" in line  # an English page: English euros
    # a value out of stock is refused on the form, and nothing moves
    response = client.post(reverse("payouts:payout_request"), {"amount": "30", "account": account.pk})
    assert response.status_code == 400
    assert "No gift voucher of €30.00" in response.content.decode()
    assert available(alice) == 30_00
    assert not Payout.objects.exists()
    response = client.post(reverse("payouts:payout_request"), {"amount": "20", "account": account.pk})
    assert response.status_code == 302
    assert VoucherCode.objects.get(value_cents=20_00).state == VoucherState.RESERVED


def test_hm16_voucher_staff_page_imports_and_shows_the_stock(client, staff):
    signed_in(client, staff)
    html = client.get(reverse("payouts:staff")).content.decode()
    assert "No gift-voucher code in stock" in html
    file = upload(
        ("Fnac", "10.00", "FNAC-PAGE-0001", in_days(30)),
        ("Fnac", "10.00", "FNAC-PAGE-0002", in_days(30)),
        ("Cultura", "50.00", "CULT-PAGE-0001", in_days(30)),
    )
    response = client.post(reverse("payouts:staff_voucher_import"), {"file": file}, follow=True)
    html = response.content.decode()
    assert "3 gift-voucher codes added to the stock, worth €70.00" in html
    fnac = html[html.index('data-testid="stock-fnac-1000"') :].split("</tr>")[0]
    assert "<td>2</td>" in fnac
    assert "€20.00" in fnac
    assert 'data-testid="stock-cultura-5000"' in html
    assert "FNAC-PAGE-0001" not in html


def test_hm16_voucher_staff_page_shows_each_bad_row(client, staff):
    signed_in(client, staff)
    file = upload(("Fnac", "10.00", "FNAC-PAGE-0001", in_days(30)), ("Fnac", "10.00", "FNAC-PAGE-0002", "tomorrow"))
    response = client.post(reverse("payouts:staff_voucher_import"), {"file": file})
    assert response.status_code == 400
    html = response.content.decode()
    errors = html[html.index('data-testid="row-errors"') :]
    assert "<td>2</td><td><code>expiry</code></td>" in errors
    assert "nothing was imported" in html
    assert not VoucherCode.objects.exists()


def test_hm16_voucher_staff_page_is_for_staff_only(client, alice):
    signed_in(client, alice)
    file = upload(("Fnac", "10.00", "FNAC-PAGE-0001", in_days(30)))
    assert client.post(reverse("payouts:staff_voucher_import"), {"file": file}).status_code == 403
    assert not VoucherCode.objects.exists()


def test_hm16_voucher_code_of_a_failed_payout_is_a_wrong_state(alice, staff):
    stock_vouchers(staff, 10_00)
    fund(alice, 10_00)
    payout = services.payout_request(user=alice, amount_cents=10_00, account=voucher_account(alice))
    services.payout_fail(payout=payout, by=staff, reason="Issuer down")
    with pytest.raises(Conflict) as refused:
        services.voucher_code_reveal(payout=payout, user=alice)
    assert (refused.value.code, refused.value.status) == ("wrong_state", 409)
    assert refused.value.detail == "This payout failed: it has no voucher code."
