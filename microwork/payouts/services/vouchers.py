"""The stock of gift-voucher codes bought from issuers, held in the ledger
(voucher stock against the issuer) until a payout delivers them."""

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import IO

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.accounts.roles import require_role
from microwork.core.errors import Forbidden, InvalidInput, numbered
from microwork.core.money import format_eur
from microwork.core.states import WrongState, state_move
from microwork.core.uploads import csv_require_columns, csv_rows, csv_text, csv_upload_content
from microwork.ledger.models import AccountKind
from microwork.ledger.services import entry_post, system_account

from ..models import (
    VOUCHER_MOVES,
    Payout,
    VoucherCode,
    VoucherCodeTransition,
    VoucherState,
)
from .common import VoucherImportInvalid, VoucherOutOfStock

VOUCHER_COLUMNS = ("brand", "value", "code", "expiry")
VOUCHER_IMPORT_MAX_BYTES = 2 * 1024 * 1024
VOUCHER_IMPORT_MAX_ROWS = 5000
VOUCHER_MAX_VALUE_CENTS = 1000_00
_EUROS = re.compile(r"(\d{1,7})(?:[.,](\d{1,2}))?")


@dataclass(frozen=True)
class VoucherImport:
    imported: int
    total_cents: int
    batch_label: str


def voucher_move(
    voucher: VoucherCode, to: str, *, by: User | None, reason: str = "", fields: tuple[str, ...] = ()
) -> None:
    state_move(
        voucher,
        to,
        allowed=VOUCHER_MOVES,
        history=VoucherCodeTransition,
        by=by,
        reason=reason,
        update_fields=fields,
        voucher=voucher,
    )


def _voucher_start_many(codes: list[VoucherCode], *, by: User) -> None:
    """Record the first state of freshly bulk-created codes, as `state_start`
    does for one object: the move from "" that the table allows, one history
    row per code, written in one bulk insert (an import holds thousands)."""
    first = VOUCHER_MOVES.get("", set())
    for state in {code.state for code in codes}:
        if state not in first:
            raise WrongState(_("Cannot start in %(target)s.") % {"target": state})
    if any(code.pk is None for code in codes):
        # A database that does not return the new keys: read them back by the import's label.
        ids = {
            (brand, code_hash): pk
            for brand, code_hash, pk in VoucherCode.objects.filter(batch_label=codes[0].batch_label).values_list(
                "brand", "code_hash", "pk"
            )
        }
        for code in codes:
            code.pk = ids[(code.brand, code.code_hash)]
    at = timezone.now()
    VoucherCodeTransition.objects.bulk_create(
        (
            VoucherCodeTransition(voucher=code, from_state="", to_state=code.state, by=by, reason="", at=at)
            for code in codes
        ),
        batch_size=500,
    )


def _euros_to_cents(text: str) -> int | None:
    """ "10.00", "10,00", "10" or "10,5 €" as cents; None if it is not an amount."""
    match = _EUROS.fullmatch(text.replace("€", "").replace(" ", "").replace("\u00a0", "").replace("\u202f", ""))
    if match is None:
        return None
    euros, cents = match.groups()
    return int(euros) * 100 + int((cents or "0").ljust(2, "0"))


def _voucher_rows(content: bytes, *, today: date) -> list[VoucherCode]:
    """The issuer's CSV as unsaved codes; every bad row is named, and one bad row refuses the file."""
    text = csv_text(content)
    header_line = text.split("\n", 1)[0]
    # A spreadsheet saved in French separates with semicolons, since the comma marks decimals.
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv_rows(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [name.strip().lower() for name in next(reader, [])]
    csv_require_columns(VOUCHER_COLUMNS, header)
    where = {name: header.index(name) for name in VOUCHER_COLUMNS}
    codes: list[VoucherCode] = []
    errors: list[tuple[int, str, str]] = []
    first_seen: dict[tuple[str, str], int] = {}
    rows: dict[int, tuple[str, str]] = {}

    def refuse(number: int, column: str, message: str) -> None:
        errors.append((number, column, message))

    for number, raw in enumerate(reader, start=1):
        if not any(cell.strip() for cell in raw):
            continue
        if number > VOUCHER_IMPORT_MAX_ROWS:
            raise InvalidInput(_("At most %(count)s rows per file.") % {"count": VOUCHER_IMPORT_MAX_ROWS}, field="file")
        cells = {name: (raw[index].strip() if index < len(raw) else "") for name, index in where.items()}
        before = len(errors)
        brand = " ".join(cells["brand"].split())
        if not brand or len(brand) > 40:
            refuse(number, "brand", _("Give the brand (at most 40 characters)."))
        value_cents = _euros_to_cents(cells["value"])
        if value_cents is None or not 0 < value_cents <= VOUCHER_MAX_VALUE_CENTS:
            refuse(
                number,
                "value",
                _("The value is an amount in euros, such as 10.00 or 10,00, up to %(maximum)s.")
                % {"maximum": format_eur(VOUCHER_MAX_VALUE_CENTS)},
            )
        code = cells["code"]
        if not 4 <= len(code) <= 64 or not code.isprintable():
            refuse(number, "code", _("The code has 4 to 64 printable characters."))
        try:
            expires_on: date | None = date.fromisoformat(cells["expiry"])
        except ValueError:
            expires_on = None
            refuse(number, "expiry", _("The expiry is a date such as 2027-12-31."))
        if expires_on is not None and expires_on <= today:
            refuse(number, "expiry", _("This code has expired or expires today."))
        if len(errors) > before or value_cents is None or expires_on is None:
            continue
        code_hash = Payout.hash_code(code)
        key = (brand.casefold(), code_hash)
        if key in first_seen:
            refuse(number, "code", _("The same code is already on row %(row)s.") % {"row": first_seen[key]})
            continue
        first_seen[key] = number
        rows[number] = key
        codes.append(
            VoucherCode(
                brand=brand,
                value_cents=value_cents,
                code=code,
                code_hash=code_hash,
                last4=code[-4:],
                expires_on=expires_on,
            )
        )
    known = {
        (brand.casefold(), code_hash)
        for brand, code_hash in VoucherCode.objects.filter(
            code_hash__in=[code_hash for _brand, code_hash in rows.values()]
        ).values_list("brand", "code_hash")
    }
    for number, key in rows.items():
        if key in known:
            refuse(number, "code", _("This code was already imported."))
    if errors:
        errors.sort(key=lambda error: error[0])
        raise VoucherImportInvalid([numbered(n, [{"field": column, "message": text}])[0] for n, column, text in errors])
    if not codes:
        raise InvalidInput(_("The file has no voucher rows."), field="file")
    return codes


def voucher_stock_import(*, by: User, file: IO[bytes]) -> VoucherImport:
    """Add the codes bought from an issuer to the stock, all or none, and
    book what they are worth in one entry: into the stock, out to the issuer."""
    require_role(by, "staff", message=Forbidden.title)
    content = csv_upload_content(
        file, max_bytes=VOUCHER_IMPORT_MAX_BYTES, too_large=_("The CSV file is larger than 2 MB.")
    )
    codes = _voucher_rows(content, today=timezone.localdate())
    now = timezone.now()
    label = f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
    total = sum(code.value_cents for code in codes)
    for code in codes:
        code.imported_by = by
        code.imported_at = now
        code.batch_label = label
    try:
        with transaction.atomic():
            VoucherCode.objects.bulk_create(codes, batch_size=500)
            _voucher_start_many(codes, by=by)
            entry_post(
                kind="voucher_stock_import",
                idempotency_key=f"voucher-import:{label}",
                lines=[
                    (system_account(AccountKind.VOUCHER_STOCK), total),
                    (system_account(AccountKind.VOUCHER_ISSUER), -total),
                ],
                memo=f"{len(codes)} gift-voucher codes",
                ref=f"voucher-import:{label}",
                by=by,
            )
    except IntegrityError:
        # The same codes, imported by someone else at the very same moment.
        raise InvalidInput(
            _("Some of these codes were imported meanwhile; nothing was imported. Send the file again to see which."),
            field="file",
        ) from None
    return VoucherImport(imported=len(codes), total_cents=total, batch_label=label)


def voucher_reserve(*, payout: Payout, by: User | None) -> VoucherCode:
    """Set aside for a gift-voucher payout an unexpired code of exactly its
    value, the first to expire, in the caller's transaction."""
    with transaction.atomic():
        candidates = VoucherCode.objects.filter(
            state=VoucherState.IN_STOCK, value_cents=payout.amount_cents, expires_on__gt=timezone.localdate()
        ).order_by("expires_on", "pk")
        if connection.features.has_select_for_update_skip_locked:
            # Parallel requests each take a different code instead of queueing on the same one.
            candidates = candidates.select_for_update(skip_locked=True)
        voucher = candidates.first()
        if voucher is None:
            raise VoucherOutOfStock(
                _(
                    "No gift voucher of %(amount)s is in stock right now. "
                    "Choose another amount or method, or try again later."
                )
                % {"amount": format_eur(payout.amount_cents)},
                field="amount_cents",
            )
        voucher.payout = payout
        voucher_move(voucher, VoucherState.RESERVED, by=by, fields=("payout",))
    return voucher
