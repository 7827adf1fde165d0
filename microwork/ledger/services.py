"""The only code that moves money.

`entry_post` is the one function that writes postings: it checks the entry
balances, locks the accounts it touches in primary-key order, refuses to take
a wallet below zero, writes the entry and its postings and moves the cached
balances, all in one transaction. Every other money movement calls it.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from microwork.core.errors import ApplicationError, Forbidden, InsufficientFunds, InvalidInput

from .gateways import get_gateway
from .models import WORLD_KINDS, Account, AccountKind, Entry, Posting, Topup, TopupState

if TYPE_CHECKING:
    from microwork.accounts.models import User


class UnbalancedEntry(ApplicationError):
    status = 500
    code = "ledger_unbalanced"


Line = tuple[Account, int]


def account_get(*, kind: AccountKind, owner: "User | None" = None, ref: str = "") -> Account:
    """The account of that kind for that owner and reference, created on first use."""
    may_go_negative = kind in WORLD_KINDS or (kind == AccountKind.WALLET and owner is not None and owner.is_company)
    account, _created = Account.objects.get_or_create(
        kind=kind,
        owner=owner,
        ref=ref,
        defaults={"may_go_negative": may_go_negative, "currency": settings.CURRENCY},
    )
    return account


def wallet_of(user: "User") -> Account:
    return account_get(kind=AccountKind.WALLET, owner=user)


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
    company's wallet, by a dispute settlement (SPEC HM15). A second call with
    the same key returns the first entry and moves nothing.
    """
    if len(lines) < 2:
        raise UnbalancedEntry("An entry needs at least two postings.")
    totals: dict[int, int] = defaultdict(int)
    accounts: dict[int, Account] = {}
    for account, amount in lines:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise UnbalancedEntry("Amounts are integer cents.")
        if amount == 0:
            continue
        totals[account.pk] += amount
        accounts[account.pk] = account
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
            return existing
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
                    _("Balance %(balance)s cents, %(needed)s cents needed.")
                    % {"balance": account.balance_cents, "needed": -delta}
                )
        try:
            with transaction.atomic():
                entry = Entry.objects.create(
                    kind=kind, idempotency_key=idempotency_key, memo=memo[:200], ref=ref, created_by=by
                )
        except IntegrityError:
            return Entry.objects.get(idempotency_key=idempotency_key)
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
        for pk in totals:
            accounts[pk].refresh_from_db(fields=["balance_cents"])
    return entry


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


def topup_create(*, user: "User", amount_cents: int, request_key: str = "") -> Topup:
    """Credit a wallet with money paid in through the payment gateway.

    With a `request_key` (a page form's one-time token), the same request
    twice charges once and returns the first top-up."""
    if user.is_staff_member:
        raise Forbidden(_("Staff accounts do not hold a balance."))
    if amount_cents <= 0:
        raise InvalidInput(_("The amount must be positive."), field="amount_cents")
    if amount_cents > settings.TOPUP_MAX_CENTS:
        raise InvalidInput(_("The amount is above the top-up limit."), field="amount_cents")
    gateway = get_gateway()
    request_key = request_key[:64]
    if request_key:
        earlier = Topup.objects.filter(user=user, request_key=request_key).first()
        if earlier is not None:
            return earlier
    try:
        with transaction.atomic():
            topup = Topup.objects.create(
                user=user, amount_cents=amount_cents, gateway=gateway.name, request_key=request_key
            )
    except IntegrityError:
        return Topup.objects.get(user=user, request_key=request_key)
    result = gateway.charge(amount_cents=amount_cents, reference=f"topup:{topup.pk}")
    return topup_settle(topup=topup, succeeded=result.succeeded, provider_ref=result.provider_ref, reason=result.reason)


def topup_settle(*, topup: Topup, succeeded: bool, provider_ref: str = "", reason: str = "") -> Topup:
    """Record the gateway's answer; a success credits the wallet once."""
    with transaction.atomic():
        topup = Topup.objects.select_for_update().get(pk=topup.pk)
        if topup.state != TopupState.PENDING:
            return topup
        topup.provider_ref = provider_ref
        if succeeded:
            topup.entry = transfer(
                kind="topup",
                idempotency_key=f"topup:{topup.pk}",
                source=system_account(AccountKind.GATEWAY),
                destination=wallet_of(topup.user),
                amount_cents=topup.amount_cents,
                memo=f"Top-up via {topup.gateway}",
                ref=f"topup:{topup.pk}",
                by=topup.user,
            )
            topup.state = TopupState.SUCCEEDED
        else:
            topup.state = TopupState.FAILED
            topup.failure_reason = reason[:200]
        topup.save(update_fields=["state", "provider_ref", "entry", "failure_reason"])
    return topup
