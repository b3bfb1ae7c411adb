"""Creating and updating invoices with Xero's status rules.

DRAFT and SUBMITTED invoices can be edited, approved or deleted; an AUTHORISED invoice can be
edited or voided while it has no payments; PAID, VOIDED and DELETED invoices are final
(xero-details.md 4.1, partially unconfirmed).
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from .books import OrganisationBooks, new_id
from .document_input import (
    ElementInvalid,
    currency_of,
    dates_of,
    line_amount_types_of,
    parse_line_items,
    resolve_contact,
)
from .models import Invoice

CREATABLE = {"DRAFT", "SUBMITTED", "AUTHORISED"}
NEXT_STATUSES = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}


def create_invoice(books: OrganisationBooks, data: dict[str, Any], client_id: str | None) -> Invoice:
    """A new invoice from a posted element."""
    kind = str(data.get("Type") or "")
    if kind not in ("ACCREC", "ACCPAY"):
        raise ElementInvalid("Invoice Type must be specified as ACCREC or ACCPAY")  # unconfirmed wording
    status = str(data.get("Status") or "DRAFT").upper()
    if status not in CREATABLE:
        raise ElementInvalid("Invoice not of valid status for creation")
    contact = resolve_contact(books, data.get("Contact"))
    day, due = dates_of(data)
    day = day or books.clock.today()
    amount_types = line_amount_types_of(data)
    lines = parse_line_items(data.get("LineItems") or [], amount_types, kind == "ACCREC")
    currency, rate = currency_of(books, data)
    if status != "DRAFT" and not lines:
        raise ElementInvalid("Invoice must have at least one line item to be approved")  # unconfirmed
    number = str(data.get("InvoiceNumber") or "")
    if kind == "ACCREC":
        number = number or books.next_number("INV")
        _unique_number(books, number, None)
    invoice = Invoice(
        invoice_id=new_id(),
        type=kind,
        contact_id=contact.contact_id,
        invoice_number=number,
        date=day,
        due_date=due or (day + timedelta(days=30) if status != "DRAFT" else due),
        status=status,
        updated_at=books.now(),
        currency_code=currency,
        currency_rate=rate,
        line_amount_types=amount_types,
        line_items=lines,
        reference=str(data.get("Reference") or ""),
        sent_to_contact=bool(data.get("SentToContact") or False),
        created_by_client=client_id,
    )
    return books.save_invoice(invoice, created=True)


def _unique_number(books: OrganisationBooks, number: str, invoice_id: str | None) -> None:
    for other in books.invoices.values():
        if other.type == "ACCREC" and other.invoice_number == number and other.invoice_id != invoice_id:
            raise ElementInvalid("Invoice # must be unique.")


def update_invoice(books: OrganisationBooks, invoice: Invoice, data: dict[str, Any]) -> Invoice:
    """Apply the posted fields to an existing invoice (to a copy, so a refused change leaves no trace)."""
    with books.lock:
        invoice = copy.deepcopy(invoice)
        if invoice.status not in NEXT_STATUSES:
            if invoice.status == "PAID":
                raise ElementInvalid(
                    "This document cannot be edited as it has a payment or credit note allocated to it."
                )
            raise ElementInvalid("Invoice not of valid status for modification")
        status = str(data.get("Status") or invoice.status).upper()
        if status not in NEXT_STATUSES[invoice.status]:
            raise ElementInvalid("Invoice not of valid status for modification")
        has_money = invoice.amount_paid > 0 or invoice.amount_credited > 0
        if status == "VOIDED" and has_money:
            raise ElementInvalid(
                "This document cannot be voided as it has a payment or credit note allocated to it."
            )  # unconfirmed wording
        if data.get("Contact"):
            invoice.contact_id = resolve_contact(books, data["Contact"]).contact_id
        day, due = dates_of(data)
        invoice.date = day or invoice.date
        invoice.due_date = due or invoice.due_date
        if "LineAmountTypes" in data:
            invoice.line_amount_types = line_amount_types_of(data)
        if data.get("LineItems") is not None:
            if has_money:
                raise ElementInvalid(
                    "This document cannot be edited as it has a payment or credit note allocated to it."
                )
            invoice.line_items = parse_line_items(
                data["LineItems"], invoice.line_amount_types, invoice.type == "ACCREC"
            )
        if "Reference" in data:
            invoice.reference = str(data.get("Reference") or "")
        if data.get("InvoiceNumber") and data["InvoiceNumber"] != invoice.invoice_number:
            _unique_number(books, str(data["InvoiceNumber"]), invoice.invoice_id)
            invoice.invoice_number = str(data["InvoiceNumber"])
        if "SentToContact" in data:
            invoice.sent_to_contact = bool(data["SentToContact"])
        if status in ("AUTHORISED", "SUBMITTED") and not invoice.line_items:
            raise ElementInvalid("Invoice must have at least one line item to be approved")
        if status == "AUTHORISED" and invoice.due_date is None:
            invoice.due_date = invoice.date + timedelta(days=30)
        invoice.status = status
        return books.save_invoice(invoice, created=False)
