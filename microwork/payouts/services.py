"""Every write on payouts (SPEC HM16, AM15, MW03).

A request moves the money at once from the wallet to "payouts in flight";
paying a batch moves it out of the platform; a failure brings it back to the
wallet. Each move is one ledger entry with its own idempotency key.
"""

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer

from microwork.accounts.models import User
from microwork.core.errors import Conflict, Forbidden, InvalidInput
from microwork.core.idempotency import key_first_use
from microwork.core.money import format_eur
from microwork.core.states import state_move
from microwork.ledger.models import AccountKind
from microwork.ledger.services import entry_post, system_account, transfer, wallet_of
from microwork.notifications.services import notify

from .models import (
    PAYOUT_MOVES,
    VOUCHER_MOVES,
    Method,
    Payout,
    PayoutAccount,
    PayoutBatch,
    PayoutState,
    PayoutTransition,
    VoucherCode,
    VoucherCodeTransition,
    VoucherState,
)

TASKER_MINIMUM_CENTS = 10_00  # HM16: from 10 EUR...
TASKER_STEP_CENTS = 10_00  # ...in steps of 10 EUR


class PayoutBelowMinimum(InvalidInput):
    code = "payout_below_minimum"


class PayoutNotMultiple(InvalidInput):
    code = "payout_not_multiple"


class IbanNotSepa(InvalidInput):
    code = "iban_not_sepa"


class PayoutAlreadyRequested(Conflict):
    code = "payout_already_requested"


class VoucherOutOfStock(Conflict):
    code = "voucher_out_of_stock"


class VoucherImportInvalid(InvalidInput):
    code = "voucher_import_invalid"

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__(
            _("%(count)s row(s) are not valid; nothing was imported.") % {"count": len(errors)}, field="file"
        )


def _require_payee(user: User) -> None:
    if not (user.is_tasker or user.is_expert):
        raise Forbidden(_("Only taskers and experts take money out."))


def _in_sepa_zone(iban: str) -> bool:
    try:
        return bool(IBAN(iban).in_sepa_zone)
    except (SchwiftyException, ValueError, TypeError):
        return False


def payout_account_create(
    *,
    user: User,
    method: str,
    paypal_email: str = "",
    iban: str = "",
    holder: str = "",
    make_default: bool = False,
) -> PayoutAccount:
    """Register where the money goes: PayPal, a checked IBAN, or gift vouchers (AM15)."""
    _require_payee(user)
    fields: dict[str, str] = {}
    if method == Method.PAYPAL:
        email = paypal_email.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput(_("Enter the email address of your PayPal account."), field="paypal_email") from None
        fields["paypal_email"] = email
    elif method == Method.IBAN:
        try:
            number = IBAN(iban)
        except (SchwiftyException, ValueError, TypeError):
            raise InvalidInput(_("This IBAN is not valid."), field="iban") from None
        if not number.in_sepa_zone:
            # Payouts leave as one SEPA credit transfer file: a bank outside the zone cannot be paid by it.
            raise IbanNotSepa(
                _(
                    "This IBAN is outside the SEPA zone: bank transfers go to SEPA accounts only. "
                    "Choose PayPal or gift vouchers instead."
                ),
                field="iban",
            )
        holder = " ".join(holder.split())
        if not holder or len(holder) > 70:
            raise InvalidInput(_("Give the account holder's name (at most 70 characters)."), field="holder")
        bic = number.bic
        fields.update(iban=number.compact, holder=holder, bic=str(bic.compact) if bic else "")
    elif method != Method.GIFT_VOUCHER:
        raise InvalidInput(_("Choose PayPal, IBAN or gift voucher."), field="method")
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=user.pk)
        has_default = PayoutAccount.objects.filter(user=user, is_default=True).exists()
        if make_default and has_default:
            PayoutAccount.objects.filter(user=user, is_default=True).update(is_default=False)
        return PayoutAccount.objects.create(
            user=user, method=method, is_default=make_default or not has_default, **fields
        )


def payout_account_make_default(*, account: PayoutAccount) -> PayoutAccount:
    with transaction.atomic():
        # Parallel clicks queue on the user's row: two swaps at once would leave two defaults.
        User.objects.select_for_update().only("pk").get(pk=account.user_id)
        PayoutAccount.objects.filter(user_id=account.user_id, is_default=True).exclude(pk=account.pk).update(
            is_default=False
        )
        PayoutAccount.objects.filter(pk=account.pk).update(is_default=True)
        account.is_default = True
    return account


def _move(payout: Payout, to: str, *, by: User | None, reason: str = "", fields: tuple[str, ...] = ()) -> None:
    state_move(
        payout,
        to,
        allowed=PAYOUT_MOVES,
        history=PayoutTransition,
        by=by,
        reason=reason,
        update_fields=fields,
        payout=payout,
    )


def payout_request(*, user: User, amount_cents: int, account: PayoutAccount, request_key: str = "") -> Payout:
    """Ask for money out; it leaves the available balance at once (HM16, AM15).

    `request_key` is a page form's one-time token: the same form sent twice
    asks once, and the second is refused with `PayoutAlreadyRequested`.
    """
    with transaction.atomic():
        if request_key and not key_first_use(scope=f"page:user:{user.pk}", key=f"payout:{request_key}"):
            raise PayoutAlreadyRequested(_("This request was already sent."))
        return _payout_request(user=user, amount_cents=amount_cents, account=account)


def _payout_request(*, user: User, amount_cents: int, account: PayoutAccount) -> Payout:
    _require_payee(user)
    if account.user_id != user.pk:
        raise Forbidden()
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise InvalidInput(_("The amount must be positive."), field="amount_cents")
    if user.is_tasker:
        if amount_cents < TASKER_MINIMUM_CENTS:
            raise PayoutBelowMinimum(
                _("Payouts start at %(minimum)s.") % {"minimum": format_eur(TASKER_MINIMUM_CENTS)},
                field="amount_cents",
            )
        if amount_cents % TASKER_STEP_CENTS:
            raise PayoutNotMultiple(
                _("Payouts go in steps of %(step)s.") % {"step": format_eur(TASKER_STEP_CENTS)}, field="amount_cents"
            )
    if account.method == Method.IBAN and not _in_sepa_zone(account.iban):
        raise IbanNotSepa(
            _("This bank account is outside the SEPA zone: choose another payout account."),
            field="payout_account_id",
        )
    with transaction.atomic():
        payout = Payout.objects.create(user=user, account=account, method=account.method, amount_cents=amount_cents)
        # The wallet's row lock inside the posting serialises parallel requests.
        transfer(
            kind="payout_request",
            idempotency_key=f"payout:{payout.pk}",
            source=wallet_of(user),
            destination=system_account(AccountKind.PAYOUTS_IN_FLIGHT),
            amount_cents=amount_cents,
            memo=str(account),
            ref=f"payout:{payout.pk}",
            by=user,
        )
        if account.method == Method.GIFT_VOUCHER:
            # Without a code to hand over, the whole request rolls back: the money stays in the wallet.
            voucher_reserve(payout=payout, by=user)
        PayoutTransition.objects.create(
            payout=payout, from_state="", to_state=PayoutState.REQUESTED, by=user, at=timezone.now()
        )
    return payout


def _sepa_export(batch: PayoutBatch, payouts: list[Payout]) -> bytes:
    sepa = SepaTransfer(
        {
            "name": settings.PAYOUT_DEBTOR_NAME,
            "IBAN": settings.PAYOUT_DEBTOR_IBAN,
            "BIC": settings.PAYOUT_DEBTOR_BIC,
            "batch": True,
            "currency": "EUR",
        },
        clean=True,
    )
    execution = timezone.localdate() + timedelta(days=1)
    for payout in payouts:
        payment = {
            "name": payout.account.holder,
            "IBAN": payout.account.iban,
            "amount": payout.amount_cents,
            "execution_date": execution,
            "description": f"Microwork payout {payout.pk}",
            "endtoend_id": f"MW-PAYOUT-{payout.pk}",
        }
        if payout.account.bic:
            payment["BIC"] = payout.account.bic
        sepa.add_payment(payment)
    return bytes(sepa.export(validate=True))


def _paypal_export(payouts: list[Payout]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Email", "Amount", "Currency", "Reference ID", "Note"])
    for payout in payouts:
        writer.writerow(
            [
                payout.account.paypal_email,
                f"{payout.amount_cents // 100}.{payout.amount_cents % 100:02d}",
                "EUR",
                f"MW-PAYOUT-{payout.pk}",
                "Microwork payout",
            ]
        )
    return out.getvalue().encode()


def payout_batch_create(*, by: User, method: str) -> PayoutBatch:
    """Gather the requested payouts of one method into a batch, with the file the bank or PayPal takes."""
    if not by.is_staff_member:
        raise Forbidden()
    if method not in Method.values:
        raise InvalidInput(_("Choose PayPal, IBAN or gift voucher."), field="method")
    with transaction.atomic():
        queue = Payout.objects.filter(state=PayoutState.REQUESTED, method=method).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            # Two staff batching at once split the queue instead of waiting.
            queue = queue.select_for_update(skip_locked=True, of=("self",))
        payouts = list(queue.select_related("account", "user")[:1000])
        vouchers: dict[int, VoucherCode] = {}
        if method == Method.IBAN:
            # An account saved before the SEPA rule would break the bank's file:
            # its payout waits for staff to fail it with a reason.
            payouts = [payout for payout in payouts if _in_sepa_zone(payout.account.iban)]
        elif method == Method.GIFT_VOUCHER:
            vouchers = _vouchers_for_batch(payouts, by=by)
            payouts = [payout for payout in payouts if payout.pk in vouchers]
        if not payouts:
            raise Conflict(_("No payout is waiting for this method."), code="nothing_to_batch")
        batch = PayoutBatch.objects.create(
            method=method,
            created_by=by,
            total_cents=sum(p.amount_cents for p in payouts),
            count=len(payouts),
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        if method == Method.IBAN:
            batch.export = _sepa_export(batch, payouts)
            batch.export_name = f"microwork-sepa-{batch.pk}-{stamp}.xml"
        elif method == Method.PAYPAL:
            batch.export = _paypal_export(payouts)
            batch.export_name = f"microwork-paypal-{batch.pk}-{stamp}.csv"
        batch.save(update_fields=["export", "export_name"])
        for payout in payouts:
            payout.batch = batch
            fields: tuple[str, ...] = ("batch",)
            if method == Method.GIFT_VOUCHER:
                code = vouchers[payout.pk].code
                payout.voucher_code_hash = Payout.hash_code(code)
                payout.voucher_code_once = code
                payout.voucher_last4 = code[-4:]
                fields += ("voucher_code_hash", "voucher_code_once", "voucher_last4")
            _move(payout, PayoutState.PROCESSING, by=by, fields=fields)
            notify(
                user=payout.user,
                kind="payout_processing",
                title=_("Your payout of %(amount)s is being processed.") % {"amount": format_eur(payout.amount_cents)},
                url=reverse("payouts:credits"),
            )
    return batch


def _vouchers_for_batch(payouts: list[Payout], *, by: User) -> dict[int, VoucherCode]:
    """The code reserved for each gift-voucher payout. One asked for before
    codes were held in stock gets one now; with none of its value left, it
    waits for the next batch."""
    reserved = {
        voucher.payout_id: voucher
        for voucher in VoucherCode.objects.select_for_update()
        .filter(payout__in=payouts, state=VoucherState.RESERVED)
        .order_by("pk")
    }
    vouchers: dict[int, VoucherCode] = {}
    for payout in payouts:
        voucher = reserved.get(payout.pk)
        if voucher is None:
            try:
                voucher = voucher_reserve(payout=payout, by=by)
            except VoucherOutOfStock:
                continue
        vouchers[payout.pk] = voucher
    return vouchers


def payout_batch_mark_paid(*, batch: PayoutBatch, by: User) -> PayoutBatch:
    """The bank or PayPal paid the batch: each payout still processing leaves the platform."""
    if not by.is_staff_member:
        raise Forbidden()
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
        for payout in (
            Payout.objects.select_for_update().filter(batch=batch, state=PayoutState.PROCESSING).order_by("pk")
        ):
            _pay(payout, by=by)
        if batch.paid_at is None:
            batch.paid_at = timezone.now()
            batch.save(update_fields=["paid_at"])
    return batch


def _pay(payout: Payout, *, by: User) -> None:
    transfer(
        kind="payout_paid",
        idempotency_key=f"payout-paid:{payout.pk}",
        source=system_account(AccountKind.PAYOUTS_IN_FLIGHT),
        destination=system_account(AccountKind.PAYOUTS),
        amount_cents=payout.amount_cents,
        memo=f"{payout.method} payout",
        ref=f"payout:{payout.pk}",
        by=by,
    )
    voucher = VoucherCode.objects.select_for_update().filter(payout=payout, state=VoucherState.RESERVED).first()
    if voucher is not None:
        # The code now belongs to its owner: its value leaves the stock for the issuer it was bought from.
        transfer(
            kind="voucher_delivered",
            idempotency_key=f"voucher-delivered:{voucher.pk}",
            source=system_account(AccountKind.VOUCHER_STOCK),
            destination=system_account(AccountKind.VOUCHER_ISSUER),
            amount_cents=voucher.value_cents,
            memo=f"{voucher.brand} gift voucher …{voucher.last4}",
            ref=f"payout:{payout.pk}",
            by=by,
        )
        _voucher_move(voucher, VoucherState.DELIVERED, by=by)
    _move(payout, PayoutState.PAID, by=by)
    notify(
        user=payout.user,
        kind="payout_paid",
        title=_("Your payout of %(amount)s is paid.") % {"amount": format_eur(payout.amount_cents)},
        url=reverse("payouts:credits"),
        email=True,
    )


def payout_fail(*, payout: Payout, by: User, reason: str) -> Payout:
    """The payment did not go through: the money returns to the wallet and the user is told why."""
    if not by.is_staff_member:
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Tell the user why the payout failed."), field="reason")
    with transaction.atomic():
        payout = Payout.objects.select_for_update().select_related("user").get(pk=payout.pk)
        if payout.state not in (PayoutState.REQUESTED, PayoutState.PROCESSING):
            raise Conflict(_("Only a payout under way can fail."), code="wrong_state")
        if payout.voucher_code_hash and not payout.voucher_code_once:
            # Its owner holds the code: giving the money back as well would pay twice.
            raise Conflict(
                _("The voucher code has already been shown to its owner; it cannot fail now."),
                code="voucher_already_shown",
            )
        transfer(
            kind="payout_failed",
            idempotency_key=f"payout-failed:{payout.pk}",
            source=system_account(AccountKind.PAYOUTS_IN_FLIGHT),
            destination=wallet_of(payout.user),
            amount_cents=payout.amount_cents,
            memo=reason[:200],
            ref=f"payout:{payout.pk}",
            by=by,
        )
        voucher = VoucherCode.objects.select_for_update().filter(payout=payout, state=VoucherState.RESERVED).first()
        if voucher is not None:
            # Nobody saw it: the code goes back on the shelf for the next payout of its value.
            voucher.payout = None
            _voucher_move(voucher, VoucherState.IN_STOCK, by=by, reason=reason, fields=("payout",))
            payout.voucher_code_hash = ""
            payout.voucher_last4 = ""
        payout.failure_reason = reason[:300]
        payout.voucher_code_once = ""
        _move(
            payout,
            PayoutState.FAILED,
            by=by,
            reason=reason,
            fields=("failure_reason", "voucher_code_once", "voucher_code_hash", "voucher_last4"),
        )
        notify(
            user=payout.user,
            kind="payout_failed",
            title=_("Your payout of %(amount)s failed; the money is back in your wallet.")
            % {"amount": format_eur(payout.amount_cents)},
            body=reason,
            url=reverse("payouts:credits"),
            email=True,
        )
    return payout


def voucher_code_reveal(*, payout: Payout, user: User) -> str:
    """The voucher's code, shown to its owner once, then forgotten (only its hash stays)."""
    if payout.user_id != user.pk:
        raise Forbidden()
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        code = payout.voucher_code_once
        if not code and payout.method == Method.GIFT_VOUCHER and payout.state == PayoutState.REQUESTED:
            raise Conflict(_("The voucher code is made when the payout is processed."), code="voucher_not_ready")
        if not code and payout.state == PayoutState.FAILED:
            raise Conflict(_("This payout failed: it has no voucher code."), code="wrong_state")
        if not code:
            raise Conflict(_("This voucher code has already been shown."), code="voucher_already_shown")
        payout.voucher_code_once = ""
        payout.save(update_fields=["voucher_code_once"])
        VoucherCode.objects.filter(payout=payout).update(code="")
    return code


# --- The gift-voucher stock ------------------------------------------------------------

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


def _voucher_move(
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


def _euros_to_cents(text: str) -> int | None:
    """ "10.00", "10,00", "10" or "10,5 €" as cents; None if it is not an amount."""
    match = _EUROS.fullmatch(text.replace("€", "").replace(" ", "").replace("\u00a0", "").replace("\u202f", ""))
    if match is None:
        return None
    euros, cents = match.groups()
    return int(euros) * 100 + int((cents or "0").ljust(2, "0"))


def _voucher_rows(content: bytes, *, today: date) -> list[VoucherCode]:
    """The issuer's CSV as unsaved codes; every bad row is named, and one bad row refuses the file."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("The file must be UTF-8 CSV."), field="file") from None
    if "\x00" in text:
        raise InvalidInput(_("The file may not contain NUL characters."), field="file")
    header_line = text.split("\n", 1)[0]
    # A spreadsheet saved in French separates with semicolons, since the comma marks decimals.
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in VOUCHER_COLUMNS if name not in header]
    if missing:
        raise InvalidInput(_("Missing column(s): %(columns)s.") % {"columns": ", ".join(missing)}, field="file")
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
        raise VoucherImportInvalid([{"field": f"row {n}: {column}", "message": text} for n, column, text in errors])
    if not codes:
        raise InvalidInput(_("The file has no voucher rows."), field="file")
    return codes


def voucher_stock_import(*, by: User, file: IO[bytes]) -> VoucherImport:
    """Add the codes bought from an issuer to the stock, all or none, and
    book what they are worth in one entry: into the stock, out to the issuer."""
    if not by.is_staff_member:
        raise Forbidden()
    content = file.read(VOUCHER_IMPORT_MAX_BYTES + 1)
    if len(content) > VOUCHER_IMPORT_MAX_BYTES:
        raise InvalidInput(_("The CSV file is larger than 2 MB."), field="file")
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
        _voucher_move(voucher, VoucherState.RESERVED, by=by, fields=("payout",))
    return voucher
