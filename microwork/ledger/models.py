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


class AccountKind(models.TextChoices):
    WALLET = "wallet", _("Wallet (available)")
    WALLET_PENDING = "wallet_pending", _("Wallet (pending)")
    ESCROW = "escrow", _("Escrow")
    REVENUE = "revenue", _("Platform revenue")
    VAT = "vat", _("VAT collected")
    GATEWAY = "gateway", _("Payment gateway (money in)")
    PAYOUTS_IN_FLIGHT = "payouts_in_flight", _("Payouts in flight")
    PAYOUTS = "payouts", _("Payouts (money out)")


#: Accounts that mirror the outside world: their balance is the negative of
#: what crossed the platform's border.
WORLD_KINDS = frozenset({AccountKind.GATEWAY, AccountKind.PAYOUTS})


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
        verbose_name_plural = "entries"

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
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Topup(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="topups")
    amount_cents = models.BigIntegerField()
    state = models.CharField(max_length=16, choices=TopupState.choices, default=TopupState.PENDING)
    gateway = models.CharField(max_length=32)
    provider_ref = models.CharField(max_length=128, blank=True, default="")
    failure_reason = models.CharField(max_length=200, blank=True, default="")
    # The form's one-time token: a double-submitted form charges once.
    request_key = models.CharField(max_length=64, blank=True, default="")
    entry = models.OneToOneField(Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="ledger_topup_positive"),
            models.UniqueConstraint(
                fields=["user", "request_key"], condition=~Q(request_key=""), name="ledger_topup_request_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"top-up {self.pk}: {self.amount_cents} cents, {self.state}"
