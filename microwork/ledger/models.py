"""The double-entry ledger: the only record of money on the platform.

Every movement is an `Entry` whose `Posting` rows sum to zero. A posting's
amount is signed: positive adds to the account's balance. Money that comes
from or goes to the outside world passes through the "world" accounts
(gateway, payouts), whose balances are negative mirrors of what the platform
holds. Entries and postings are append-only: database triggers refuse any
update or delete (see the migrations).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from microwork.core.models import Transition


class AccountKind(models.TextChoices):
    # A user's money is held apart by where it came from (SPEC PL01): `funds`
    # were put in (top-ups, refunds) and may be spent or refunded to their
    # source; `wallet` holds earnings (validated rewards, cleared expert fees),
    # the only money that may be paid out; `wallet_pending` holds earnings
    # still clearing (AM16).
    FUNDS = "funds", _("Funds (money put in)")
    WALLET = "wallet", _("Earnings (available)")
    WALLET_PENDING = "wallet_pending", _("Earnings (pending)")
    ESCROW = "escrow", _("Escrow")
    REVENUE = "revenue", _("Platform revenue")
    VAT = "vat", _("VAT collected")
    GATEWAY = "gateway", _("Payment gateway (money in)")
    PAYOUTS_IN_FLIGHT = "payouts_in_flight", _("Payouts in flight")
    PAYOUTS = "payouts", _("Payouts (money out)")
    REFUNDS_IN_FLIGHT = "refunds_in_flight", _("Refunds in flight")
    # Gift-voucher codes bought from their issuer and held until paid out.
    VOUCHER_STOCK = "voucher_stock", _("Gift vouchers in stock")
    VOUCHER_ISSUER = "voucher_issuer", _("Gift-voucher issuer (money out)")


#: Accounts that mirror the outside world: their balance is the negative of
#: what crossed the platform's border.
WORLD_KINDS = frozenset({AccountKind.GATEWAY, AccountKind.PAYOUTS, AccountKind.VOUCHER_ISSUER})


class Account(models.Model):
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    # What an escrow account holds money for, e.g. "mission:12" or "order:7".
    ref = models.CharField(max_length=64, blank=True, default="")
    currency = models.CharField(max_length=3, default="EUR")
    # Cached sum of the postings, moved in the same transaction as they are
    # written; `ledger_audit` recomputes it.
    balance_cents = models.BigIntegerField(default=0)
    may_go_negative = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.UniqueConstraint(fields=["kind", "owner", "ref"], name="ledger_account_unique"),
            models.UniqueConstraint(
                fields=["kind", "ref"], condition=Q(owner__isnull=True), name="ledger_system_account_unique"
            ),
            models.CheckConstraint(
                condition=Q(balance_cents__gte=0) | Q(may_go_negative=True),
                name="ledger_account_not_negative",
            ),
        ]

    def __str__(self) -> str:
        parts = [self.kind]
        if self.owner_id:
            parts.append(f"user:{self.owner_id}")
        if self.ref:
            parts.append(self.ref)
        return "/".join(parts)


class Entry(models.Model):
    kind = models.CharField(max_length=32)
    # One key per money-moving command: the same command twice posts once.
    idempotency_key = models.CharField(max_length=200, unique=True)
    memo = models.CharField(max_length=200, blank=True, default="")
    ref = models.CharField(max_length=64, blank=True, default="", db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Posting(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount_cents = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(amount_cents=0), name="ledger_posting_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "-entry"], name="ledger_posting_account_idx")]

    def __str__(self) -> str:
        return f"{self.amount_cents:+d} on {self.account_id} (entry {self.entry_id})"


class TopupState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("top-up", "Pending")
    SUCCEEDED = "succeeded", pgettext_lazy("top-up", "Succeeded")
    FAILED = "failed", pgettext_lazy("top-up", "Failed")


TOPUP_MOVES: dict[str, set[str]] = {
    "": {TopupState.PENDING},
    TopupState.PENDING: {TopupState.SUCCEEDED, TopupState.FAILED},
    # Only a checkout we gave up on ourselves: the provider may still confirm
    # its payment later, and paid money is never left uncredited.
    TopupState.FAILED: {TopupState.SUCCEEDED},
}


class Topup(models.Model):
    """Money put in through the payment provider (SPEC PL01). It is credited
    to the user's funds only once the provider confirms the payment."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="topups")
    amount_cents = models.BigIntegerField()
    state = models.CharField(max_length=16, choices=TopupState.choices, default=TopupState.PENDING)
    gateway = models.CharField(max_length=32)
    # The provider's checkout (a Stripe Checkout Session id) and, once paid,
    # the payment that refunds are made against (a PaymentIntent id).
    provider_ref = models.CharField(max_length=128, blank=True, default="", db_index=True)
    payment_ref = models.CharField(max_length=128, blank=True, default="")
    checkout_url = models.URLField(max_length=2000, blank=True, default="")
    failure_reason = models.CharField(max_length=200, blank=True, default="")
    entry = models.OneToOneField(Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="ledger_topup_positive"),
        ]

    def __str__(self) -> str:
        return f"top-up {self.pk}: {self.amount_cents} cents, {self.state}"


class TopupTransition(Transition):
    topup = models.ForeignKey(Topup, on_delete=models.CASCADE, related_name="transitions")


class RefundState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Refunded")
    PARTIAL = "partial", _("Partly refunded")
    FAILED = "failed", _("Failed")


REFUND_MOVES: dict[str, set[str]] = {
    "": {RefundState.PENDING},
    RefundState.PENDING: {RefundState.SUCCEEDED, RefundState.PARTIAL, RefundState.FAILED},
    # A card refund can fail after it succeeded (card closed meanwhile).
    RefundState.SUCCEEDED: {RefundState.PARTIAL, RefundState.FAILED},
    RefundState.PARTIAL: {RefundState.FAILED},
}

REFUND_PART_MOVES: dict[str, set[str]] = {
    "": {RefundState.PENDING},
    RefundState.PENDING: {RefundState.SUCCEEDED, RefundState.FAILED},
    RefundState.SUCCEEDED: {RefundState.FAILED},
}


class Refund(models.Model):
    """Unspent funds sent back to where they came from (SPEC PL01): one part
    per top-up it is refunded against, newest top-up first."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.BigIntegerField()
    state = models.CharField(max_length=16, choices=RefundState.choices, default=RefundState.PENDING)
    refunded_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gt=0), name="ledger_refund_positive")]

    def __str__(self) -> str:
        return f"refund {self.pk}: {self.amount_cents} cents, {self.state}"


class RefundPart(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="parts")
    topup = models.ForeignKey(Topup, on_delete=models.PROTECT, related_name="refund_parts")
    amount_cents = models.BigIntegerField()
    state = models.CharField(max_length=16, choices=RefundState.choices, default=RefundState.PENDING)
    # The provider's refund id, once it has answered.
    provider_ref = models.CharField(max_length=128, blank=True, default="", db_index=True)
    failure_reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gt=0), name="ledger_refund_part_positive")]

    def __str__(self) -> str:
        return f"refund part {self.pk}: {self.amount_cents} cents of top-up {self.topup_id}, {self.state}"


class RefundTransition(Transition):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="transitions")


class RefundPartTransition(Transition):
    part = models.ForeignKey(RefundPart, on_delete=models.CASCADE, related_name="transitions")


class PaymentEvent(models.Model):
    """A provider's webhook event, kept so that each is applied once."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    outcome = models.CharField(max_length=200, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment provider event")
        verbose_name_plural = _("payment provider events")
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="ledger_payment_event_once")]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


class HeldEarning(models.Model):
    """Earnings credited to `wallet_pending` that clear into the withdrawable
    wallet at `release_at` (AM16: an expert's fee clears a few days after the
    buyer accepts). One row per crediting entry; `released_at` once moved."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="held_earnings")
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="+")
    amount_cents = models.BigIntegerField()
    ref = models.CharField(max_length=64, blank=True, default="")
    release_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gt=0), name="ledger_held_positive")]
        indexes = [models.Index(fields=["released_at", "release_at"], name="ledger_held_due_idx")]

    def __str__(self) -> str:
        return f"held {self.amount_cents} cents for user {self.user_id} until {self.release_at:%Y-%m-%d}"
