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
    "": {PayoutState.REQUESTED},
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
    voucher_code_once = models.CharField(max_length=64, blank=True, default="")
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


class VoucherState(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    RESERVED = "reserved", _("Reserved")
    DELIVERED = "delivered", _("Delivered")


VOUCHER_MOVES: dict[str, set[str]] = {
    # An imported code starts on the shelf.
    "": {VoucherState.IN_STOCK},
    VoucherState.IN_STOCK: {VoucherState.RESERVED},
    # A payout that fails before its owner saw the code puts it back.
    VoucherState.RESERVED: {VoucherState.DELIVERED, VoucherState.IN_STOCK},
}


class VoucherCode(models.Model):
    """A gift-voucher code bought from its issuer, held in stock until a payout delivers it.

    The clear code is forgotten once its owner has seen it, as on the payout;
    its hash keeps the same code from being imported twice."""

    brand = models.CharField(max_length=40)
    value_cents = models.BigIntegerField()
    code = models.CharField(max_length=64, blank=True, default="")
    code_hash = models.CharField(max_length=64)
    last4 = models.CharField(max_length=4)
    expires_on = models.DateField()
    state = models.CharField(max_length=16, choices=VoucherState.choices, default=VoucherState.IN_STOCK)
    payout = models.OneToOneField(Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="voucher_code")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField()
    # One label per import: the ledger entry of that import carries it too.
    batch_label = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(value_cents__gt=0), name="payouts_voucher_value_positive"),
            models.UniqueConstraint(fields=["brand", "code_hash"], name="payouts_voucher_unique_per_brand"),
            # Only a reserved or delivered code belongs to a payout.
            models.CheckConstraint(
                condition=Q(state="in_stock", payout__isnull=True) | (~Q(state="in_stock") & Q(payout__isnull=False)),
                name="payouts_voucher_payout_iff_taken",
            ),
        ]
        indexes = [models.Index(fields=["state", "value_cents", "expires_on", "id"], name="payouts_voucher_pick_idx")]

    def __str__(self) -> str:
        return f"{self.brand} {self.value_cents} cents …{self.last4} ({self.state})"


class VoucherCodeTransition(Transition):
    voucher = models.ForeignKey(VoucherCode, on_delete=models.CASCADE, related_name="transitions")
