"""Invoices and credit notes for what the platform charges (SPEC PL02), and
the billing details printed on them.

An issued invoice never changes: it is written once, with its lines and
frozen copies of the seller's and the customer's identity, in the
transaction that gives it its number. Nothing updates it afterwards.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BillingProfile(models.Model):
    """What a customer's invoices name them by (issue 13, item 5)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_profile")
    billing_name = models.CharField(_("billing name"), max_length=200)
    address_line1 = models.CharField(_("address"), max_length=200)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True, default="")
    postcode = models.CharField(_("postcode"), max_length=16)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="FR")
    # Intra-community VAT number, compact ("FR40303265045"); empty when the customer has none.
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True, default="")
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("billing details")
        verbose_name_plural = _("billing details")

    def __str__(self) -> str:
        return f"{self.billing_name} ({self.user_id})"


class IssuedInvoiceChanged(Exception):
    """An attempt to change or delete an issued invoice or one of its lines."""


class FrozenQuerySet(models.QuerySet[Any]):
    """Rows written once: the ORM refuses to update or delete them in bulk;
    the database's triggers refuse it too (its first migration)."""

    def update(self, **kwargs: Any) -> int:
        raise IssuedInvoiceChanged("An issued invoice never changes.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise IssuedInvoiceChanged("An issued invoice is never deleted.")


class Frozen(models.Model):
    """Saved once, when the invoice is issued; never saved again nor deleted."""

    objects = FrozenQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise IssuedInvoiceChanged("An issued invoice never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise IssuedInvoiceChanged("An issued invoice is never deleted.")


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceCounter(models.Model):
    """The last number given in a year: invoices and credit notes share one
    sequence without gaps, taken under this row's lock."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Invoice(Frozen):
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=16, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    # The first day of the calendar month invoiced.
    period = models.DateField()
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=32, unique=True)
    issued_at = models.DateTimeField()
    issued_on = models.DateField()
    due_on = models.DateField()
    currency = models.CharField(max_length=3, default="EUR")
    # Frozen at issue: {name, siret, vat_number, address_line1, address_line2, postcode, city, country}.
    seller = models.JSONField()
    buyer = models.JSONField()
    # The platform's fees, subject to VAT.
    total_excl_vat_cents = models.BigIntegerField()
    vat_cents = models.BigIntegerField()
    # Rewards and expert prices collected on the customer's behalf, outside VAT.
    disbursements_cents = models.BigIntegerField()
    total_cents = models.BigIntegerField()
    # VAT set aside charge by charge, and what the ledger moved to make it equal `vat_cents`.
    vat_reserved_cents = models.BigIntegerField()
    vat_adjustment_cents = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(fields=["customer", "period", "kind"], name="billing_invoice_once_a_month"),
            models.UniqueConstraint(fields=["year", "sequence"], name="billing_invoice_sequence_unique"),
            models.CheckConstraint(
                condition=Q(
                    total_cents=models.F("total_excl_vat_cents")
                    + models.F("vat_cents")
                    + models.F("disbursements_cents")
                ),
                name="billing_invoice_total_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def fees_incl_vat_cents(self) -> int:
        """The platform's fees with their VAT: the total less the disbursements."""
        return self.total_excl_vat_cents + self.vat_cents


class LineCategory(models.TextChoices):
    FEE = "fee", _("Platform fee (VAT)")
    DISBURSEMENT = "disbursement", _("Collected on your behalf (outside VAT)")


class InvoiceLine(Frozen):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=16, choices=LineCategory.choices)
    label = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField()
    unit_cents = models.BigIntegerField()
    amount_cents = models.BigIntegerField()
    # 2000 = 20%; 0 outside VAT.
    vat_rate_bp = models.PositiveSmallIntegerField()
    # The VAT set aside for these charges, charge by charge.
    vat_reserved_cents = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="billing_line_position_unique"),
            models.CheckConstraint(
                condition=Q(amount_cents=models.F("quantity") * models.F("unit_cents")), name="billing_line_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.position}: {self.label}"


class InvoicedEntry(models.Model):
    """A ledger entry that charged a customer, and the one invoice (or credit
    note) it appears on: each charge is invoiced exactly once."""

    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="entries")

    def __str__(self) -> str:
        return f"entry {self.entry_id} on {self.invoice_id}"


class SellerTaxDetails(models.Model):
    """What DAC7 reports of a seller who crossed its threshold (SPEC PL03):
    the tax identification number, the date of birth and the address of
    residence, asked for when the seller reaches 30 sales or 2,000 EUR in a year."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tax_details")
    # French NIF (13 digits, compact) for a resident of France; the TIN of the country of residence otherwise.
    tin = models.CharField(_("tax identification number"), max_length=20)
    birth_date = models.DateField(_("date of birth"))
    address_line1 = models.CharField(_("address"), max_length=200)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True, default="")
    postcode = models.CharField(_("postcode"), max_length=16)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="FR")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"tax details of {self.user_id}"


class TaxDetailsRequest(models.Model):
    """A seller told once in a year that DAC7 needs their tax details."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    asked_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "year"], name="billing_tax_request_once_a_year")]

    def __str__(self) -> str:
        return f"{self.user_id} asked for {self.year}"
