"""Render the books as Xero's JSON: field names, `/Date(ms+0000)/` dates, 2-dp money, envelopes.

xero-python parses only the MS-JSON date form in date fields and validates enum values, so the
rendering follows xero_accounting.yaml and the examples in it (xero-details.md 2.4, 4.x).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from .books import OrganisationBooks
from .models import Allocation, Contact, Credit, HistoryRecord, Invoice, LineItem, Payment

CENT = Decimal("0.01")
_DECIMAL_MARK = re.compile(r'"@@dec:(-?[0-9]+(?:\.[0-9]+)?)@@"')


def money(amount: Decimal) -> Decimal:
    """Two decimal places, as Xero prints amounts."""
    return amount.quantize(CENT)


def ms_datetime(instant: datetime) -> str:
    """`/Date(1541176592690+0000)/` for an aware datetime."""
    return f"/Date({int(instant.timestamp() * 1000)}+0000)/"


def ms_date(day: date) -> str:
    """`/Date(1539993600000+0000)/`: midnight UTC of the day."""
    return ms_datetime(datetime.combine(day, time(0), tzinfo=UTC))


def ms_envelope_datetime(instant: datetime) -> str:
    """DateTimeUTC in envelopes has no offset: `/Date(1552326816230)/` (OAS-ACC examples)."""
    return f"/Date({int(instant.timestamp() * 1000)})/"


def date_string(day: date) -> str:
    """DateString / DueDateString: `2018-10-20T00:00:00`."""
    return f"{day.isoformat()}T00:00:00"


def utc_string(instant: datetime) -> str:
    """UpdatedDateUTCString: `2018-11-02T16:36:32Z`."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dumps(document: Any) -> bytes:
    """JSON with Decimals written as exact numbers (json cannot do that without going through float)."""

    def encode(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"@@dec:{value}@@"
        raise TypeError(f"cannot encode {type(value).__name__}")

    text = json.dumps(document, default=encode, ensure_ascii=False)
    return _DECIMAL_MARK.sub(r"\1", text).encode("utf-8")


def envelope(collection: str, items: list[dict[str, Any]], at: datetime, provider: str, **extra: Any) -> dict:
    """Xero's response envelope around a collection."""
    body: dict[str, Any] = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": provider,
        "DateTimeUTC": ms_envelope_datetime(at),
    }
    body.update(extra)
    body[collection] = items
    return body


def contact_stub(contact: Contact | None, contact_id: str) -> dict[str, Any]:
    """The contact as embedded in an invoice or credit (OAS-ACC GET /Invoices example)."""
    return {
        "ContactID": contact_id,
        "Name": contact.name if contact else "",
        "Addresses": [],
        "Phones": [],
        "ContactGroups": [],
        "ContactPersons": [],
        "HasValidationErrors": False,
    }


def line_item_json(line: LineItem, unitdp: int = 2) -> dict[str, Any]:
    return {
        "LineItemID": line.line_item_id,
        "Description": line.description,
        "Quantity": line.quantity.quantize(Decimal("0.0001")),
        "UnitAmount": line.unit_amount.quantize(Decimal(1).scaleb(-unitdp)),
        "AccountCode": line.account_code,
        "TaxType": line.tax_type,
        "TaxAmount": money(line.tax_amount),
        "LineAmount": money(line.line_amount),
        "Tracking": [],
    }


def payment_stub(payment: Payment) -> dict[str, Any]:
    """A payment as listed inside its invoice."""
    return {
        "PaymentID": payment.payment_id,
        "Date": ms_date(payment.date),
        "Amount": money(payment.amount),
        "Reference": payment.reference,
        "CurrencyRate": payment.currency_rate.quantize(Decimal("0.000001")),
        "HasAccount": False,
        "HasValidationErrors": False,
    }


def invoice_json(
    invoice: Invoice,
    books: OrganisationBooks,
    with_lines: bool = True,
    summary_only: bool = False,
    unitdp: int = 2,
) -> dict[str, Any]:
    """An Invoice; `summary_only` drops the heavy parts (lines, payments, credits)."""
    allocations = [
        books.allocations[a] for a in invoice.allocation_ids if not books.allocations[a].is_deleted
    ]
    body: dict[str, Any] = {
        "Type": invoice.type,
        "InvoiceID": invoice.invoice_id,
        "InvoiceNumber": invoice.invoice_number,
        "Reference": invoice.reference,
        "AmountDue": money(invoice.amount_due),
        "AmountPaid": money(invoice.amount_paid),
        "AmountCredited": money(invoice.amount_credited),
        "SentToContact": invoice.sent_to_contact,
        "CurrencyRate": invoice.currency_rate.quantize(Decimal("0.000001")),
        "IsDiscounted": False,
        "HasAttachments": False,
        "HasErrors": False,
        "Contact": contact_stub(books.contacts.get(invoice.contact_id), invoice.contact_id),
        "DateString": date_string(invoice.date),
        "Date": ms_date(invoice.date),
        "Status": invoice.status,
        "LineAmountTypes": invoice.line_amount_types,
        "SubTotal": money(invoice.sub_total),
        "TotalTax": money(invoice.total_tax),
        "Total": money(invoice.total),
        "UpdatedDateUTC": ms_datetime(invoice.updated_at),
        "UpdatedDateUTCString": utc_string(invoice.updated_at),
        "CurrencyCode": invoice.currency_code,
    }
    if invoice.due_date is not None:
        body["DueDateString"] = date_string(invoice.due_date)
        body["DueDate"] = ms_date(invoice.due_date)
    if invoice.fully_paid_on is not None:
        body["FullyPaidOnDate"] = ms_date(invoice.fully_paid_on)
    if not summary_only:
        body["Payments"] = [
            payment_stub(books.payments[p])
            for p in invoice.payment_ids
            if books.payments[p].status == "AUTHORISED"
        ]
        body["CreditNotes"] = [
            credit_stub(books.credits[a.source_id], a) for a in allocations if a.source_kind == "CreditNote"
        ]
        body["Prepayments"] = [
            credit_stub(books.credits[a.source_id], a) for a in allocations if a.source_kind == "Prepayment"
        ]
        body["Overpayments"] = [
            credit_stub(books.credits[a.source_id], a) for a in allocations if a.source_kind == "Overpayment"
        ]
        body["LineItems"] = (
            [line_item_json(line, unitdp) for line in invoice.line_items] if with_lines else []
        )
    return body


def credit_stub(credit: Credit, allocation: Allocation) -> dict[str, Any]:
    """A credit as listed inside the invoice it was allocated to."""
    id_key = f"{credit.kind}ID"
    body: dict[str, Any] = {
        id_key: credit.credit_id,
        "ID": credit.credit_id,
        "Date": ms_date(allocation.date),
        "AppliedAmount": money(allocation.amount),
        "Total": money(credit.total),
        "LineItems": [],
    }
    if credit.kind == "CreditNote":
        body["CreditNoteNumber"] = credit.number
    return body


CREDIT_COLLECTIONS = {"CreditNote": "CreditNotes", "Overpayment": "Overpayments", "Prepayment": "Prepayments"}


def credit_json(credit: Credit, books: OrganisationBooks, with_lines: bool = True) -> dict[str, Any]:
    """A CreditNote, Overpayment or Prepayment with its allocations."""
    body: dict[str, Any] = {
        f"{credit.kind}ID": credit.credit_id,
        "Type": credit.type,
        "Contact": contact_stub(books.contacts.get(credit.contact_id), credit.contact_id),
        "Date": ms_date(credit.date),
        "Status": credit.status,
        "LineAmountTypes": credit.line_amount_types,
        "SubTotal": money(credit.sub_total),
        "TotalTax": money(credit.total_tax),
        "Total": money(credit.total),
        "UpdatedDateUTC": ms_datetime(credit.updated_at),
        "CurrencyCode": credit.currency_code,
        "CurrencyRate": credit.currency_rate.quantize(Decimal("0.000001")),
        "RemainingCredit": money(credit.remaining_credit),
        "Allocations": [
            allocation_json(books.allocations[a], books, embed_credit=False)
            for a in credit.allocation_ids
            if not books.allocations[a].is_deleted
        ],
        "Payments": [],
        "HasAttachments": False,
        "Reference": credit.reference,
        "LineItems": [line_item_json(line) for line in credit.line_items] if with_lines else [],
    }
    if credit.kind == "CreditNote":
        body["CreditNoteNumber"] = credit.number
        body["DateString"] = date_string(credit.date)
        body["AppliedAmount"] = money(credit.applied)
        body["HasErrors"] = False
    else:
        body["AppliedAmount"] = money(credit.applied)
    return body


def allocation_json(
    allocation: Allocation, books: OrganisationBooks, embed_credit: bool = True
) -> dict[str, Any]:
    """An Allocation: which invoice got how much of which credit."""
    invoice = books.invoices[allocation.invoice_id]
    body: dict[str, Any] = {
        "AllocationID": allocation.allocation_id,
        "Amount": money(allocation.amount),
        "Date": ms_date(allocation.date),
        "IsDeleted": allocation.is_deleted,
        "Invoice": {
            "InvoiceID": invoice.invoice_id,
            "InvoiceNumber": invoice.invoice_number,
            "Type": invoice.type,
            "Payments": [],
            "CreditNotes": [],
            "Prepayments": [],
            "Overpayments": [],
            "HasErrors": False,
            "IsDiscounted": False,
            "LineItems": [],
        },
    }
    if embed_credit:
        credit = books.credits[allocation.source_id]
        body[allocation.source_kind] = {
            f"{credit.kind}ID": credit.credit_id,
            "Type": credit.type,
            "LineItems": [],
            "Allocations": [],
            "Payments": [],
        }
    return body


def payment_json(payment: Payment, books: OrganisationBooks) -> dict[str, Any]:
    """A Payment with its invoice summary (OAS-ACC GET /Payments example)."""
    body: dict[str, Any] = {
        "PaymentID": payment.payment_id,
        "Date": ms_date(payment.date),
        "BankAmount": money(payment.amount),
        "Amount": money(payment.amount),
        "Reference": payment.reference,
        "CurrencyRate": payment.currency_rate.quantize(Decimal("0.000001")),
        "PaymentType": payment.payment_type,
        "Status": payment.status,
        "UpdatedDateUTC": ms_datetime(payment.updated_at),
        "UpdatedDateUTCString": utc_string(payment.updated_at),
        "HasAccount": True,
        "IsReconciled": False,
        "Account": {
            "AccountID": payment.account_id or books.organisation.organisation_id,
            "Code": payment.account_code,
        },
        "HasValidationErrors": False,
    }
    invoice = books.invoices.get(payment.invoice_id or "")
    if invoice is not None:
        body["Invoice"] = {
            "Type": invoice.type,
            "InvoiceID": invoice.invoice_id,
            "InvoiceNumber": invoice.invoice_number,
            "Payments": [],
            "CreditNotes": [],
            "Prepayments": [],
            "Overpayments": [],
            "HasErrors": False,
            "IsDiscounted": False,
            "Contact": contact_stub(books.contacts.get(invoice.contact_id), invoice.contact_id),
            "LineItems": [],
            "CurrencyCode": invoice.currency_code,
        }
    return body


def history_json(record: HistoryRecord, created: bool = False) -> dict[str, Any]:
    """A HistoryRecord; the PUT echo has no Changes/User (OAS-ACC HistoryRecordCreated example)."""
    body: dict[str, Any] = {
        "DateUTCString": record.at.strftime("%Y-%m-%dT%H:%M:%S"),
        "DateUTC": ms_datetime(record.at),
        "Details": record.details,
    }
    if created:
        body["ValidationErrors"] = []
    else:
        body["Changes"] = record.changes
        body["User"] = record.user
    return body
