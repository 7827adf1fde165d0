"""Where taskers and experts take their money out (SPEC HM16, AM15, MW03)."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from microwork.core.models import Transition


class Method(models.TextChoices):
    PAYPAL = "paypal", _("PayPal")
    IBAN = "iban", _("Bank transfer (IBAN)")
    GIFT_VOUCHER = "gift_voucher", _("Gift voucher")


class PayoutAccount(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_accounts")
    method = models.CharField(max_length=16, choices=Method.choices)
    paypal_email = models.EmailField(blank=True, default="")
    iban = models.CharField(max_length=34, blank=True, default="")
    bic = models.CharField(max_length=11, blank=True, default="")
    holder = models.CharField(max_length=70, blank=True, default="")
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(is_default=True), name="payouts_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()}: {self.label}"

    @property
    def label(self) -> str:
        if self.method == Method.PAYPAL:
            return self.paypal_email
        if self.method == Method.IBAN:
            return f"{self.iban[:4]} •••• {self.iban[-4:]} ({self.holder})"
        return str(_("Gift voucher"))


class PayoutState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    PROCESSING = "processing", _("Processing")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")


PAYOUT_MOVES: dict[str, set[str]] = {
    PayoutState.REQUESTED: {PayoutState.PROCESSING, PayoutState.FAILED},
    PayoutState.PROCESSING: {PayoutState.PAID, PayoutState.FAILED},
}


class PayoutBatch(models.Model):
    """Requested payouts of one method, gathered by staff and paid together."""

    method = models.CharField(max_length=16, choices=Method.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    total_cents = models.BigIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)
    # The SEPA pain.001 XML or the PayPal Payouts CSV handed to the bank.
    export = models.BinaryField(default=b"")
    export_name = models.CharField(max_length=100, blank=True, default="")
    paid_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.method}, {self.count})"


class Payout(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    account = models.ForeignKey(PayoutAccount, on_delete=models.PROTECT, related_name="payouts")
    method = models.CharField(max_length=16, choices=Method.choices)
    amount_cents = models.BigIntegerField()
    state = models.CharField(max_length=16, choices=PayoutState.choices, default=PayoutState.REQUESTED)
    batch = models.ForeignKey(PayoutBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="payouts")
    failure_reason = models.CharField(max_length=300, blank=True, default="")
    # A gift voucher's code is kept hashed; the clear code waits here until
    # its owner has seen it once.
    voucher_code_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    voucher_code_once = models.CharField(max_length=32, blank=True, default="")
    voucher_last4 = models.CharField(max_length=4, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payouts_amount_positive")]
        indexes = [
            models.Index(fields=["user", "-id"], name="payouts_user_idx"),
            models.Index(fields=["state", "method", "id"], name="payouts_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"payout {self.pk}: {self.amount_cents} cents, {self.state}"

    @staticmethod
    def hash_code(code: str) -> str:
        return hashlib.sha256(f"{settings.SECRET_KEY}:voucher:{code}".encode()).hexdigest()


class PayoutTransition(Transition):
    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="transitions")

    def __str__(self) -> str:
        return f"{self.payout_id}: {self.from_state} → {self.to_state}"
