"""What sellers earned (SPEC PL03; issue 13, item 4): each tasker's and
expert's yearly statement, and the staff's DAC7 export of the sellers the
directive reports.

Read from the ledger: a sale is a claim or an order that credited the
seller's earnings; its gross is what the customer paid for it (the expert's
share plus the platform's commission, VAT included; a tasker's reward, on
which the tasker pays no fee), its fees what the platform kept, its net what
the seller received.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Count, Q, Sum
from django.utils import timezone

from microwork.accounts.models import User
from microwork.core.errors import NotFound
from microwork.core.spreadsheets import SafeCsvWriter
from microwork.ledger.models import AccountKind, Posting

from .models import BillingProfile, SellerTaxDetails

#: The entries that pay a seller for a sale.
SALE_KINDS = ("claim_approve", "claim_settle", "claim_bonus", "order_pay")
EARNINGS_KINDS = (AccountKind.WALLET, AccountKind.WALLET_PENDING)
PLATFORM_KINDS = (AccountKind.REVENUE, AccountKind.VAT)
#: Where the platform's commission comes out of the seller's price (AM12); a
#: tasker's reward carries no fee (the company pays it on top, HM10).
SELLER_FEE_KINDS = frozenset({"order_pay"})
#: DAC7: a seller is reported from 30 sales or 2,000 EUR in a year.
DAC7_MIN_SALES = 30
DAC7_MIN_GROSS_CENTS = 2_000_00
DECLARING_TITLE = "Dois-je déclarer mes gains ?"
DECLARING_MORE = (
    "Microwork ne contrôle pas la déclaration de vos gains. Pour toute question, adressez-vous à "
    "l'administration fiscale (votre espace sur impots.gouv.fr)."
)
DECLARING_NOTE = (
    "En France, vous devez déclarer tout l'argent que vous gagnez. Si vous êtes un particulier, vous "
    "déclarez vos gains dans votre déclaration de revenus, dans la partie BNC (bénéfices non "
    "commerciaux). Si vous êtes un professionnel (société ou auto-entrepreneur), vous ajoutez ces gains "
    "à votre comptabilité. Microwork transmet chaque année à l'administration fiscale les revenus des "
    "vendeurs qui dépassent 30 ventes ou 2 000 € (directive européenne DAC7)."
)


@dataclass
class Period:
    sales: int = 0
    gross_cents: int = 0
    fees_cents: int = 0
    net_cents: int = 0
    refs: set[str] = field(default_factory=set)


@dataclass
class SellerYear:
    seller_id: int
    year: int
    months: dict[int, Period] = field(default_factory=lambda: defaultdict(Period))
    quarters: dict[int, Period] = field(default_factory=lambda: defaultdict(Period))
    total: Period = field(default_factory=Period)


def year_check(year: int) -> int:
    """A year the platform may have sales in; any other is simply not found."""
    if not 2000 <= year <= 2999:
        raise NotFound()
    return year


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(date(year, 1, 1), time.min), zone),
        timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min), zone),
    )


def sellers_year(
    year: int, *, seller: User | None = None, seller_ids: Iterable[int] | None = None
) -> dict[int, SellerYear]:
    """Each seller's sales of the year, by month, by quarter and in all."""
    start, end = _year_bounds(year)
    paid = Posting.objects.filter(
        account__kind__in=EARNINGS_KINDS,
        amount_cents__gt=0,
        entry__kind__in=SALE_KINDS,
        entry__created_at__gte=start,
        entry__created_at__lt=end,
    )
    if seller is not None:
        paid = paid.filter(account__owner=seller)
    if seller_ids is not None:
        paid = paid.filter(account__owner_id__in=list(seller_ids))
    rows = list(paid.values_list("entry_id", "account__owner_id", "amount_cents", "entry__ref", "entry__created_at"))
    fees: dict[int, int] = defaultdict(int)
    for entry_id, amount in Posting.objects.filter(
        entry_id__in={row[0] for row in rows}, entry__kind__in=SELLER_FEE_KINDS, account__kind__in=PLATFORM_KINDS
    ).values_list("entry_id", "amount_cents"):
        fees[entry_id] += amount
    out: dict[int, SellerYear] = {}
    for entry_id, owner, net, ref, created_at in rows:
        record = out.setdefault(owner, SellerYear(seller_id=owner, year=year))
        local = timezone.localtime(created_at)
        for period in (record.months[local.month], record.quarters[(local.month - 1) // 3 + 1], record.total):
            if ref not in period.refs:
                period.refs.add(ref)
                period.sales += 1
            period.net_cents += net
            period.fees_cents += fees[entry_id]
            period.gross_cents += net + fees[entry_id]
    return out


def seller_statement(user: User, year: int) -> SellerYear:
    return sellers_year(year, seller=user).get(user.pk) or SellerYear(seller_id=user.pk, year=year)


def seller_identity(user: User) -> dict[str, str]:
    """The seller as their statement names them: billing details where given, else the account."""
    profile = BillingProfile.objects.filter(user=user).first()
    organisation = getattr(user, "organisation", None)
    address = ""
    if profile is not None:
        address = ", ".join(
            filter(None, [profile.address_line1, profile.address_line2, f"{profile.postcode} {profile.city}".strip()])
        )
    return {
        "name": profile.billing_name if profile else user.display_name,
        "email": user.email,
        "siret": (profile.siret if profile else "") or (organisation.siret if organisation else ""),
        "address": address,
    }


def seller_statement_csv(user: User, year: int) -> str:
    """The yearly statement as CSV: one row per month, the year's total, and the note on declaring."""
    statement = seller_statement(user, year)
    out = io.StringIO()
    writer = SafeCsvWriter(out, delimiter=";", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["mois", "ventes", "brut_centimes", "frais_centimes", "net_centimes"])
    for month in range(1, 13):
        period = statement.months.get(month, Period())
        writer.writerow([f"{year}-{month:02d}", period.sales, period.gross_cents, period.fees_cents, period.net_cents])
    total = statement.total
    writer.writerow([f"{year}", total.sales, total.gross_cents, total.fees_cents, total.net_cents])
    writer.writerow([])
    writer.writerow([DECLARING_NOTE])
    return out.getvalue()


DAC7_COLUMNS = [
    "vendeur_id",
    "role",
    "nom",
    "raison_sociale",
    "email",
    "siret",
    "numero_tva",
    "identifiant_fiscal",
    "nif",
    "date_naissance",
    "adresse",
    "code_postal",
    "ville",
    "pays",
    "ventes_annee",
    "brut_annee_centimes",
    "frais_annee_centimes",
    *[f"{what}_t{quarter}" for quarter in range(1, 5) for what in ("ventes", "brut_centimes", "frais_centimes")],
]


def dac7_sellers(year: int) -> list[SellerYear]:
    """The sellers DAC7 reports for the year: 30 sales or 2,000 EUR and more."""
    return [record for record in sellers_year(year).values() if reaches_dac7(record)]


def reaches_dac7(record: SellerYear) -> bool:
    """DAC7's threshold: 30 sales or 2,000 EUR gross in the year."""
    return record.total.sales >= DAC7_MIN_SALES or record.total.gross_cents >= DAC7_MIN_GROSS_CENTS


def dac7_crossed(user: User, year: int) -> bool:
    """Whether the seller reached DAC7's threshold in the year."""
    return reaches_dac7(seller_statement(user, year))


def dac7_candidates(year: int) -> list[int]:
    """Sellers who may have reached the threshold, found by one grouped query:
    30 paid sales, or net earnings of at least 80% of the threshold (the
    commission is at most 20% of the gross). `dac7_crossed` then decides."""
    start, end = _year_bounds(year)
    rows = (
        Posting.objects.filter(
            account__kind__in=EARNINGS_KINDS,
            amount_cents__gt=0,
            entry__kind__in=SALE_KINDS,
            entry__created_at__gte=start,
            entry__created_at__lt=end,
        )
        .values("account__owner_id")
        .annotate(sales=Count("entry__ref", distinct=True), net=Sum("amount_cents"))
        .filter(Q(sales__gte=DAC7_MIN_SALES) | Q(net__gte=DAC7_MIN_GROSS_CENTS * 8 // 10))
        .order_by("account__owner_id")
    )
    return [row["account__owner_id"] for row in rows]


def dac7_csv(year: int) -> str:
    """The yearly DAC7 export for staff, as CSV (no library carries the tax authority's XML schema)."""
    records = dac7_sellers(year)
    users = {u.pk: u for u in User.objects.filter(pk__in=[r.seller_id for r in records]).select_related("organisation")}
    profiles = {p.user_id: p for p in BillingProfile.objects.filter(user_id__in=users)}
    taxes = {t.user_id: t for t in SellerTaxDetails.objects.filter(user_id__in=users)}
    out = io.StringIO()
    writer = SafeCsvWriter(out, delimiter=";", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(DAC7_COLUMNS)
    for record in sorted(records, key=lambda r: r.seller_id):
        user = users[record.seller_id]
        organisation = getattr(user, "organisation", None)
        profile = profiles.get(user.pk)
        tax = taxes.get(user.pk)
        # The address of residence the seller gave with their TIN, else their billing address.
        where: SellerTaxDetails | BillingProfile | None = tax or profile
        siret = (profile.siret if profile and profile.siret else "") or (organisation.siret if organisation else "")
        quarters = []
        for quarter in range(1, 5):
            period = record.quarters.get(quarter, Period())
            quarters += [period.sales, period.gross_cents, period.fees_cents]
        writer.writerow(
            [
                user.pk,
                user.role,
                user.display_name,
                organisation.legal_name if organisation else "",
                user.email,
                siret,
                profile.vat_number if profile else "",
                tax.tin if tax else siret[:9],
                tax.tin if tax else "",
                tax.birth_date.isoformat() if tax else "",
                " ".join(filter(None, [where.address_line1, where.address_line2])) if where else "",
                where.postcode if where else "",
                where.city if where else "",
                where.country if where else "",
                record.total.sales,
                record.total.gross_cents,
                record.total.fees_cents,
                *quarters,
            ]
        )
    return out.getvalue()
