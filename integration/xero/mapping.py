"""Xero's Accounting JSON -> Relance's records: the only place that reads Xero's wire formats.

The client reads answers as raw JSON (numbers parsed straight to ``Decimal``) rather than through
xero-python's models: the models refuse an unknown enum value with a ValueError
(xero-details.md 2.4), and one odd record must not stop a tenant's sync. So ``/Date(ms+0000)/``
parsing lives here and nowhere else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from integration.ledger import (
    Allocation,
    ContactRecord,
    CreditNoteRecord,
    InvoiceRecord,
    InvoiceStatus,
    OrganisationFacts,
    PaymentKind,
    PaymentRecord,
    RecordStatus,
)
from integration.postal import postal_lines
from integration.zones import country_code, zone_from_windows_name

# `/Date(1541176592690+0000)/`: epoch milliseconds; the offset only says how Xero displayed it.
_MS_DATE = re.compile(r"^/Date\((?P<ms>-?\d+)(?P<offset>[+-]\d{2,4})?\)/$")
ZERO = Decimal("0")
RATE_PLACES = Decimal("0.0000000001")

INVOICE_STATUS = {
    "DRAFT": InvoiceStatus.DRAFT,
    "SUBMITTED": InvoiceStatus.DRAFT,  # awaiting approval: not sent, so never chased
    "AUTHORISED": InvoiceStatus.OPEN,
    "PAID": InvoiceStatus.PAID,
    "VOIDED": InvoiceStatus.VOIDED,
    "DELETED": InvoiceStatus.DELETED,
}
# Overpayments, prepayments and credit notes: PAID means fully allocated, the money still counts.
CREDIT_STATUS = {
    "AUTHORISED": RecordStatus.ACTIVE,
    "PAID": RecordStatus.ACTIVE,
    "VOIDED": RecordStatus.VOIDED,
    "DELETED": RecordStatus.DELETED,
}
SALES_PAYMENT_TYPES = {"ACCRECPAYMENT"}  # money in against a sales invoice (SDK Payment.PaymentType)


def loads(raw: bytes | str) -> Any:
    """A Xero answer body with every number as Decimal (never through float)."""
    return json.loads(raw, parse_float=Decimal, parse_int=Decimal)


def instant(value: Any) -> datetime | None:
    """An aware UTC datetime from `/Date(ms+0000)/` or an ISO string (Xero uses both)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    match = _MS_DATE.match(text)
    if match:
        return datetime.fromtimestamp(int(match["ms"]) / 1000, tz=UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    # Xero's ISO siblings without an offset (UpdatedDateUTCString, DateString) are UTC.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def day(value: Any) -> date | None:
    """A calendar date: Xero sends a date as midnight UTC of that day."""
    moment = instant(value)
    return moment.date() if moment is not None else None


def updated_at(data: dict[str, Any]) -> datetime:
    """UpdatedDateUTC, which every record Xero sends carries (without it one cannot be mirrored)."""
    moment = instant(data.get("UpdatedDateUTC"))
    if moment is None:
        raise ValueError("a Xero record without UpdatedDateUTC")
    return moment


def transaction_date(data: dict[str, Any]) -> date:
    """The Date of a transaction or an allocation, which Xero always sends."""
    on = day(data.get("Date"))
    if on is None:
        raise ValueError("a Xero transaction without a Date")
    return on


def money(value: Any) -> Decimal:
    """An amount as Decimal; absent amounts are zero."""
    if value in (None, ""):
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def base_per_unit(rate: Any) -> Decimal | None:
    """Xero's CurrencyRate is units of the foreign currency per unit of base currency (an AUD
    invoice in an NZD organisation at 1.09 means 1 NZD = 1.09 AUD, which is how the Xero sandbox
    converts balances too); the record wants base per foreign unit, so it is inverted."""
    if rate in (None, ""):
        return None
    value = money(rate)
    if value == ZERO:
        return None
    if value == 1:
        return Decimal(1)
    return (Decimal(1) / value).quantize(RATE_PLACES)


def _contact_id(data: dict[str, Any]) -> str:
    return str((data.get("Contact") or {}).get("ContactID") or "")


def _allocations(items: Iterable[dict[str, Any]]) -> tuple[Allocation, ...]:
    """Live allocations (deleted ones no longer move money)."""
    found = []
    for item in items or ():
        invoice_id = (item.get("Invoice") or {}).get("InvoiceID")
        if item.get("IsDeleted") or not invoice_id:
            continue
        found.append(Allocation(str(invoice_id), money(item.get("Amount")), transaction_date(item)))
    return tuple(found)


def _phone(data: dict[str, Any]) -> str | None:
    phones = data.get("Phones") or []
    chosen = next((p for p in phones if p.get("PhoneType") == "DEFAULT" and p.get("PhoneNumber")), None)
    chosen = chosen or next((p for p in phones if p.get("PhoneNumber")), None)
    if chosen is None:
        return None
    parts = (chosen.get("PhoneCountryCode"), chosen.get("PhoneAreaCode"), chosen.get("PhoneNumber"))
    return " ".join(str(part) for part in parts if part) or None


def _postal_address(data: dict[str, Any]) -> tuple[str, ...]:
    """The Contact's postal address: its POBOX address (Xero's "Postal Address"), else its STREET
    one. Address is AddressType (POBOX | STREET), AddressLine1-4, City, Region, PostalCode and
    Country (xero_accounting.yaml, components.schemas.Address); Xero sends both types on every
    Contact, the unused one with empty fields (xero-details.md 4.2)."""
    by_type = {
        str(address.get("AddressType") or "").upper(): address
        for address in data.get("Addresses") or []
        if isinstance(address, dict)
    }
    for kind in ("POBOX", "STREET"):
        address = by_type.get(kind) or {}
        lines = postal_lines(
            (address.get(f"AddressLine{n}") for n in range(1, 5)),
            address.get("City"),
            address.get("Region"),
            address.get("PostalCode"),
            address.get("Country"),
        )
        # A country alone is not somewhere a letter can go.
        if lines and lines != (str(address.get("Country") or "").strip(),):
            return lines
    return ()


def contact_record(data: dict[str, Any]) -> ContactRecord:
    """A Xero Contact. Xero never deletes contacts: it archives them (and GDPR-erases on request)."""
    status = str(data.get("ContactStatus") or "ACTIVE").upper()
    return ContactRecord(
        ledger_id=str(data["ContactID"]),
        name=str(data.get("Name") or ""),
        updated_at=updated_at(data),
        email=data.get("EmailAddress") or None,
        phone=_phone(data),
        currency=data.get("DefaultCurrency") or None,
        active=status == "ACTIVE" and not data.get("MergedToContactID"),
        # A GDPR request means the customer asked to be forgotten: treat it as gone.
        deleted=status == "GDPRREQUEST",
        postal_address=_postal_address(data),
    )


def is_sales_invoice(data: dict[str, Any]) -> bool:
    return data.get("Type") == "ACCREC"


def invoice_record(data: dict[str, Any]) -> InvoiceRecord:
    """A sales invoice (the caller keeps only Type ACCREC)."""
    status = INVOICE_STATUS.get(str(data.get("Status") or "").upper(), InvoiceStatus.DRAFT)
    return InvoiceRecord(
        ledger_id=str(data["InvoiceID"]),
        number=str(data.get("InvoiceNumber") or ""),
        contact_ledger_id=_contact_id(data),
        status=status,
        currency=str(data.get("CurrencyCode") or ""),
        issued_on=transaction_date(data),
        due_on=day(data.get("DueDate")),
        total=money(data.get("Total")),
        amount_due=money(data.get("AmountDue")),
        amount_paid=money(data.get("AmountPaid")),
        amount_credited=money(data.get("AmountCredited")),
        updated_at=updated_at(data),
        currency_rate=base_per_unit(data.get("CurrencyRate")),
        reference=str(data.get("Reference") or ""),
        fully_paid_on=day(data.get("FullyPaidOnDate")),
        sent=bool(data.get("SentToContact")),
    )


def is_sales_payment(data: dict[str, Any]) -> bool:
    return data.get("PaymentType") in SALES_PAYMENT_TYPES


def payment_record(data: dict[str, Any]) -> PaymentRecord:
    """A payment against one sales invoice; its one allocation is that invoice."""
    invoice = data.get("Invoice") or {}
    received_on = transaction_date(data)
    amount = money(data.get("Amount"))
    status = RecordStatus.DELETED if str(data.get("Status")).upper() == "DELETED" else RecordStatus.ACTIVE
    allocations: tuple[Allocation, ...] = ()
    if invoice.get("InvoiceID") and status is RecordStatus.ACTIVE:
        allocations = (Allocation(str(invoice["InvoiceID"]), amount, received_on),)
    return PaymentRecord(
        ledger_id=str(data["PaymentID"]),
        kind=PaymentKind.PAYMENT,
        contact_ledger_id=_contact_id(invoice),
        received_on=received_on,
        amount=amount,
        currency=str(invoice.get("CurrencyCode") or ""),
        status=status,
        updated_at=updated_at(data),
        currency_rate=base_per_unit(data.get("CurrencyRate")),
        allocations=allocations,
    )


def is_received_credit(data: dict[str, Any]) -> bool:
    """Money received (RECEIVE-OVERPAYMENT / RECEIVE-PREPAYMENT), not money spent."""
    return str(data.get("Type") or "").startswith("RECEIVE-")


def credit_payment_record(data: dict[str, Any], kind: PaymentKind) -> PaymentRecord:
    """An Overpayment or Prepayment: received money, partly allocated to invoices."""
    id_key = "OverpaymentID" if kind is PaymentKind.OVERPAYMENT else "PrepaymentID"
    return PaymentRecord(
        ledger_id=str(data[id_key]),
        kind=kind,
        contact_ledger_id=_contact_id(data),
        received_on=transaction_date(data),
        amount=money(data.get("Total")),
        currency=str(data.get("CurrencyCode") or ""),
        status=CREDIT_STATUS.get(str(data.get("Status") or "").upper(), RecordStatus.ACTIVE),
        updated_at=updated_at(data),
        currency_rate=base_per_unit(data.get("CurrencyRate")),
        unapplied=money(data.get("RemainingCredit")),
        allocations=_allocations(data.get("Allocations") or ()),
    )


def is_sales_credit_note(data: dict[str, Any]) -> bool:
    """ACCRECCREDIT that counts: drafts and submitted notes are not approved credit yet."""
    return data.get("Type") == "ACCRECCREDIT" and str(data.get("Status")).upper() in CREDIT_STATUS


def credit_note_record(data: dict[str, Any]) -> CreditNoteRecord:
    """A sales credit note and the invoices it was allocated to."""
    return CreditNoteRecord(
        ledger_id=str(data["CreditNoteID"]),
        number=str(data.get("CreditNoteNumber") or ""),
        contact_ledger_id=_contact_id(data),
        status=CREDIT_STATUS.get(str(data.get("Status") or "").upper(), RecordStatus.ACTIVE),
        currency=str(data.get("CurrencyCode") or ""),
        issued_on=transaction_date(data),
        total=money(data.get("Total")),
        remaining_credit=money(data.get("RemainingCredit")),
        updated_at=updated_at(data),
        currency_rate=base_per_unit(data.get("CurrencyRate")),
        allocations=_allocations(data.get("Allocations") or ()),
    )


def online_invoice_url(document: dict[str, Any]) -> str | None:
    """`{"OnlineInvoices": [{"OnlineInvoiceUrl": …}]}` -> the URL."""
    links = document.get("OnlineInvoices") or []
    return str(links[0]["OnlineInvoiceUrl"]) if links and links[0].get("OnlineInvoiceUrl") else None


def organisation_facts(data: dict[str, Any]) -> OrganisationFacts:
    """GET /Organisation's one organisation (xero_accounting.yaml, schema Organisation)."""
    return OrganisationFacts(
        name=str(data.get("Name") or ""),
        legal_name=str(data.get("LegalName") or data.get("Name") or ""),
        base_currency=str(data.get("BaseCurrency") or "").upper(),
        country=country_code(data.get("CountryCode")),
        timezone=zone_from_windows_name(data.get("Timezone")),
    )
