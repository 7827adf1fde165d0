"""The only code that moves money.

`entry_post` is the one function that writes postings: it checks the entry
balances, locks the accounts it touches in primary-key order, refuses to take
a wallet below zero, writes the entry and its postings and moves the cached
balances, all in one transaction. Every other money movement calls it.

A user's money sits in two accounts (SPEC PL01): `funds` (put in: top-ups,
refunds) and `wallet` (earnings). `spend` takes funds first, then earnings;
`give_back` returns escrowed money to the account it came from, funds first.
Payouts draw on `wallet_of` alone, so money put in can never be paid out.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.core.bulk import insert_rows, next_ids
from microwork.core.errors import ApplicationError, InsufficientFunds, InvalidInput
from microwork.core.money import format_eur

from .models import WORLD_KINDS, Account, AccountKind, Entry, Posting

if TYPE_CHECKING:
    from microwork.accounts.models import User


class UnbalancedEntry(ApplicationError):
    status = 500
    code = "ledger_unbalanced"


class LedgerKeyReused(ApplicationError):
    """One idempotency key, two different movements: a bug to surface, never to paper over."""

    status = 500
    code = "ledger_key_reused"


Line = tuple[Account, int]


def account_get(*, kind: AccountKind, owner: "User | None" = None, ref: str = "") -> Account:
    """The account of that kind for that owner and reference, created on first use."""
    # A company's funds may fall below zero through a dispute settlement
    # (SPEC HM15); nobody else's money may.
    may_go_negative = kind in WORLD_KINDS or (kind == AccountKind.FUNDS and owner is not None and owner.is_company)
    account, _created = Account.objects.get_or_create(
        kind=kind,
        owner=owner,
        ref=ref,
        defaults={"may_go_negative": may_go_negative, "currency": settings.CURRENCY},
    )
    return account


def wallet_of(user: "User") -> Account:
    """The user's earnings: the only money that may be paid out (SPEC PL01)."""
    return account_get(kind=AccountKind.WALLET, owner=user)


def funds_of(user: "User") -> Account:
    """The money the user put in: spendable and refundable, never paid out (SPEC PL01)."""
    return account_get(kind=AccountKind.FUNDS, owner=user)


def pending_wallet_of(user: "User") -> Account:
    return account_get(kind=AccountKind.WALLET_PENDING, owner=user)


def escrow_of(ref: str) -> Account:
    return account_get(kind=AccountKind.ESCROW, ref=ref)


def system_account(kind: AccountKind) -> Account:
    return account_get(kind=kind)


def entry_post(
    *,
    kind: str,
    idempotency_key: str,
    lines: Sequence[Line],
    memo: str = "",
    ref: str = "",
    by: "User | None" = None,
    overdraft: Iterable[Account] = (),
) -> Entry:
    """Write one balanced entry, once per idempotency key.

    `overdraft` names the accounts this entry may take below zero: only a
    company's funds, by a dispute settlement (SPEC HM15). A second call with
    the same key and the same lines returns the first entry and moves nothing;
    the same key with other lines is refused.
    """
    if len(lines) < 2:
        raise UnbalancedEntry("An entry needs at least two postings.")
    totals: dict[int, int] = defaultdict(int)
    for account, amount in lines:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise UnbalancedEntry("Amounts are integer cents.")
        if amount == 0:
            continue
        totals[account.pk] += amount
    if sum(totals.values()) != 0:
        raise UnbalancedEntry(f"Postings of {kind} sum to {sum(totals.values())}, not zero.")
    totals = {pk: amount for pk, amount in totals.items() if amount != 0}
    if not totals:
        raise UnbalancedEntry("An entry must move money.")
    may_overdraw = {account.pk for account in overdraft}

    with transaction.atomic():
        # Lock in a fixed order so two entries on the same accounts never deadlock.
        locked = {
            account.pk: account for account in Account.objects.select_for_update().filter(pk__in=totals).order_by("pk")
        }
        # Checked after the locks: a concurrent twin has committed by now.
        existing = Entry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replayed(existing, totals)
        for pk, delta in totals.items():
            account = locked[pk]
            # Only a debit is refused: a credit to a wallet in debt (a company
            # after a settlement, SPEC HM15) must go through, or it could never
            # top up.
            if (
                delta < 0
                and account.balance_cents + delta < 0
                and account.kind not in WORLD_KINDS
                and pk not in may_overdraw
            ):
                raise InsufficientFunds(
                    _("Balance %(balance)s, %(needed)s needed.")
                    % {"balance": format_eur(account.balance_cents), "needed": format_eur(-delta)}
                )
        try:
            with transaction.atomic():
                entry = Entry.objects.create(
                    kind=kind, idempotency_key=idempotency_key, memo=memo[:200], ref=ref, created_by=by
                )
        except IntegrityError:
            return _replayed(Entry.objects.get(idempotency_key=idempotency_key), totals)
        Posting.objects.bulk_create(
            Posting(entry=entry, account_id=pk, amount_cents=delta) for pk, delta in sorted(totals.items())
        )
        for pk, delta in totals.items():
            Account.objects.filter(pk=pk).update(balance_cents=F("balance_cents") + delta)
        # The database refuses an unbalanced entry at commit on PostgreSQL (a
        # deferred constraint trigger); this check holds the line on SQLite.
        written = Posting.objects.filter(entry=entry).aggregate(total=Sum("amount_cents"))["total"]
        if written != 0:
            raise UnbalancedEntry(f"Entry {entry.pk} does not balance.")
        # The rows are locked: what they held plus what moved is what they hold.
        for account, _amount in lines:
            if account.pk in totals:
                account.balance_cents = locked[account.pk].balance_cents + totals[account.pk]
    return entry


def _replayed(entry: Entry, totals: dict[int, int], *, payer_accounts: Iterable[int] = ()) -> Entry:
    """The entry already posted under this key, if it is the same movement.

    `payer_accounts` are left out of the comparison: how a payer's share
    splits between funds and earnings depends on the balances of the moment."""
    skip = set(payer_accounts)
    written = {
        pk: amount
        for pk, amount in Posting.objects.filter(entry=entry).values_list("account_id", "amount_cents")
        if pk not in skip
    }
    if written != {pk: amount for pk, amount in totals.items() if pk not in skip}:
        raise LedgerKeyReused(f"Key {entry.idempotency_key!r} was used for other postings (entry {entry.pk}).")
    return entry


def _merged(lines: Iterable[Line]) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for account, amount in lines:
        totals[account.pk] += amount
    return {pk: amount for pk, amount in totals.items() if amount}


def transfer(
    *,
    kind: str,
    idempotency_key: str,
    source: Account,
    destination: Account,
    amount_cents: int,
    memo: str = "",
    ref: str = "",
    by: "User | None" = None,
) -> Entry:
    """Move money from one account to another: the simplest balanced entry."""
    if amount_cents <= 0:
        raise InvalidInput(_("The amount must be positive."), field="amount_cents")
    return entry_post(
        kind=kind,
        idempotency_key=idempotency_key,
        lines=[(source, -amount_cents), (destination, amount_cents)],
        memo=memo,
        ref=ref,
        by=by,
    )


def purse_locked(user: "User") -> tuple[Account, Account]:
    """The user's funds and earnings, locked in primary-key order, with fresh
    balances: one query once both exist (every spending takes this lock)."""
    purse = Account.objects.select_for_update().filter(
        owner=user, kind__in=(AccountKind.FUNDS, AccountKind.WALLET), ref=""
    )
    locked = {a.kind: a for a in purse.order_by("pk")}
    if len(locked) < 2:
        funds_of(user)  # each created on first use
        wallet_of(user)
        locked = {a.kind: a for a in purse.order_by("pk")}
    return locked[AccountKind.FUNDS], locked[AccountKind.WALLET]


def spend(
    *,
    kind: str,
    idempotency_key: str,
    payer: "User",
    to: Sequence[Line],
    memo: str = "",
    ref: str = "",
    by: "User | None" = None,
    overdraft: bool = False,
) -> Entry:
    """Take what `to` receives from the payer: funds first, then earnings (SPEC PL01).

    With `overdraft` (a dispute settlement, SPEC HM15) what is missing is
    taken from the payer's funds, below zero; it may only be a company's.
    A payer whose funds are below zero spends nothing until they top up."""
    amount = sum(cents for _account, cents in to)
    if amount <= 0:
        raise InvalidInput(_("The amount must be positive."), field="amount_cents")
    with transaction.atomic():
        funds, earnings = purse_locked(payer)
        existing = Entry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replayed(existing, _merged(to), payer_accounts=(funds.pk, earnings.pk))
        from_funds = min(amount, max(funds.balance_cents, 0))
        from_earnings = amount - from_funds
        if overdraft:
            missing = max(from_earnings - max(earnings.balance_cents, 0), 0)
            from_earnings -= missing
            from_funds += missing
        elif funds.balance_cents < 0 or from_earnings > earnings.balance_cents:
            raise InsufficientFunds(
                _("Balance %(balance)s, %(needed)s needed.")
                % {
                    "balance": format_eur(funds.balance_cents + earnings.balance_cents),
                    "needed": format_eur(amount),
                }
            )
        return entry_post(
            kind=kind,
            idempotency_key=idempotency_key,
            lines=[(funds, -from_funds), (earnings, -from_earnings), *to],
            memo=memo,
            ref=ref,
            by=by,
            overdraft=[funds] if overdraft else (),
        )


def give_back(
    *,
    kind: str,
    idempotency_key: str,
    payer: "User",
    source: Account,
    amount_cents: int,
    ref: str,
    memo: str = "",
    by: "User | None" = None,
) -> Entry:
    """Return money held under `ref` (an escrow) to the payer who put it there.

    What came from funds goes back to funds first; only what came from
    earnings goes back to earnings, so a refund never turns money put in into
    money that may be paid out (SPEC PL01)."""
    if amount_cents <= 0:
        raise InvalidInput(_("The amount must be positive."), field="amount_cents")
    with transaction.atomic():
        funds, earnings = purse_locked(payer)
        existing = Entry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replayed(existing, {source.pk: -amount_cents}, payer_accounts=(funds.pk, earnings.pk))
        net = dict(
            Posting.objects.filter(account__in=[funds, earnings], entry__ref=ref)
            .values("account_id")
            .annotate(total=Sum("amount_cents"))
            .values_list("account_id", "total")
        )
        to_funds = min(amount_cents, max(-(net.get(funds.pk) or 0), 0))
        to_earnings = min(amount_cents - to_funds, max(-(net.get(earnings.pk) or 0), 0))
        to_funds = amount_cents - to_earnings
        return entry_post(
            kind=kind,
            idempotency_key=idempotency_key,
            lines=[(source, -amount_cents), (funds, to_funds), (earnings, to_earnings)],
            memo=memo,
            ref=ref,
            by=by,
        )


def escrow_fund_many(
    *, kind: str, payer: "User", amounts: Sequence[tuple[str, str, int]], by: "User | None" = None, memo: str = ""
) -> int:
    """Many reservations from one payer's funds at once (a bulk load): for each
    (escrow reference, idempotency key, cents), a new escrow account and one
    balanced entry of two postings, the payer's funds debited once for all.

    Every entry is balanced as `entry_post` writes them; the funds must cover
    the whole and the escrow accounts must not exist yet. Returns the cents moved.
    """
    total = sum(cents for _ref, _key, cents in amounts)
    if not amounts or any(cents <= 0 for _ref, _key, cents in amounts):
        raise InvalidInput(_("The amount must be positive."), field="amount_cents")
    with transaction.atomic():
        funds = Account.objects.select_for_update().get(pk=funds_of(payer).pk)
        if funds.balance_cents < total:
            raise InsufficientFunds(
                _("Balance %(balance)s, %(needed)s needed.")
                % {"balance": format_eur(funds.balance_cents), "needed": format_eur(total)}
            )
        # Written as plain rows (a bulk load of many thousands): the same
        # rows `account_get` and `entry_post` would write, one entry each.
        now = timezone.now()
        escrow_ids = next_ids(Account, len(amounts))
        entry_ids = next_ids(Entry, len(amounts))
        insert_rows(
            Account,
            ["id", "kind", "owner_id", "ref", "currency", "balance_cents", "may_go_negative", "created_at"],
            (
                (pk, AccountKind.ESCROW.value, None, ref, settings.CURRENCY, cents, False, now)
                for pk, (ref, _key, cents) in zip(escrow_ids, amounts, strict=True)
            ),
        )
        insert_rows(
            Entry,
            ["id", "kind", "idempotency_key", "memo", "ref", "created_by_id", "created_at"],
            (
                (pk, kind, key, memo[:200], ref, by.pk if by else None, now)
                for pk, (ref, key, _cents) in zip(entry_ids, amounts, strict=True)
            ),
        )
        insert_rows(
            Posting,
            ["entry_id", "account_id", "amount_cents"],
            (
                row
                for entry_id, escrow_id, (_ref, _key, cents) in zip(entry_ids, escrow_ids, amounts, strict=True)
                for row in ((entry_id, funds.pk, -cents), (entry_id, escrow_id, cents))
            ),
        )
        Account.objects.filter(pk=funds.pk).update(balance_cents=F("balance_cents") - total)
    return total
