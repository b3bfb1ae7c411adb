"""QuickBooks Online JSON -> Relance's records: the only place that reads MetaData.LastUpdatedTime.

QuickBooks writes times in the company's zone with an offset (`2015-07-24T10:33:39-07:00`) and
dates as `YYYY-MM-DD` (quickbooks-details.md section 2); money arrives as Decimal because the
client asks python-quickbooks for ``use_decimal``. Things QuickBooks does not say outright:

- a voided transaction keeps its Id with every amount zeroed and "Voided" at the start of
  PrivateNote (REFINV, quickbooks-details.md 3.1 and 3.2); there is no status field for it;
- a deleted one only shows in change data capture, as ``{"Id", "status": "Deleted", "MetaData"}``
  (DCDC): such a tombstone becomes a record where only ``ledger_id``, ``status`` and
  ``updated_at`` mean anything, the rest are empty placeholders the mirror must not copy;
- an invoice's Balance is what is still owed after payments, credits applied through payments
  and deposits alike, so ``amount_paid`` is total minus balance and ``amount_credited`` is 0;
  nor does an invoice say when its balance reached zero, so ``fully_paid_on`` stays None.
"""

from __future__ import annotations

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
from integration.zones import country_code, zone_for_place

ZERO = Decimal("0")


def instant(value: Any) -> datetime | None:
    """An aware UTC datetime from a QuickBooks timestamp (`-07:00`, `-0700` or `Z`)."""
    if value in (None, ""):
        return None
    parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def updated_at(entity: dict[str, Any]) -> datetime:
    """MetaData.LastUpdatedTime of an entity (every entity carries it, tombstones too)."""
    moment = instant((entity.get("MetaData") or {}).get("LastUpdatedTime"))
    if moment is None:
        raise ValueError("a QuickBooks entity without MetaData.LastUpdatedTime")
    return moment


def query_time(moment: datetime) -> str:
    """A time literal for a query or changedSince: whole seconds (QuickBooks' precision), UTC offset."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def day(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value not in (None, "") else None


def money(value: Any) -> Decimal:
    if value in (None, ""):
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _ref(entity: dict[str, Any], name: str) -> str:
    return str((entity.get(name) or {}).get("value") or "")


def _rate(entity: dict[str, Any]) -> Decimal | None:
    """ExchangeRate is home-currency units per unit of CurrencyRef, as the record wants it."""
    rate = entity.get("ExchangeRate")
    return money(rate) if rate not in (None, "") else None


def is_deleted(entity: dict[str, Any]) -> bool:
    return str(entity.get("status") or "").lower() == "deleted"


def is_voided(entity: dict[str, Any]) -> bool:
    return money(entity.get("TotalAmt")) == ZERO and str(entity.get("PrivateNote") or "").startswith("Voided")


def _record_status(entity: dict[str, Any]) -> RecordStatus:
    if is_deleted(entity):
        return RecordStatus.DELETED
    return RecordStatus.VOIDED if is_voided(entity) else RecordStatus.ACTIVE


def postal_address(address: dict[str, Any] | None) -> tuple[str, ...]:
    """A PhysicalAddress (Customer.BillAddr): Line1-5, City, CountrySubDivisionCode, PostalCode,
    Country (quickbooks-details.md 3.4; Intuit's PhysicalAddress type). QuickBooks also keeps
    addresses typed free-form, every part in Line1-5 ("Middlefield, CA  94303" as Line4, no City:
    quickbooks-details.md 3.1): those lines are then the address as it is."""
    address = address or {}
    lines = postal_lines(
        (address.get(f"Line{n}") for n in range(1, 6)),
        address.get("City"),
        address.get("CountrySubDivisionCode"),
        address.get("PostalCode"),
        address.get("Country"),
    )
    return () if lines == (str(address.get("Country") or "").strip(),) else lines


def contact_record(entity: dict[str, Any]) -> ContactRecord:
    """A Customer; QuickBooks "deletes" a customer by making it inactive, or merges it away."""
    return ContactRecord(
        ledger_id=str(entity["Id"]),
        name=str(entity.get("DisplayName") or ""),
        updated_at=updated_at(entity),
        email=(entity.get("PrimaryEmailAddr") or {}).get("Address") or None,
        phone=(entity.get("PrimaryPhone") or {}).get("FreeFormNumber") or None,
        currency=_ref(entity, "CurrencyRef") or None,
        active=bool(entity.get("Active", True)) and not is_deleted(entity),
        deleted=is_deleted(entity),
        postal_address=postal_address(entity.get("BillAddr")),
    )


def invoice_status(entity: dict[str, Any]) -> InvoiceStatus:
    """QuickBooks has no drafts: an invoice is owed until its Balance reaches zero."""
    if is_deleted(entity):
        return InvoiceStatus.DELETED
    if is_voided(entity):
        return InvoiceStatus.VOIDED
    return InvoiceStatus.OPEN if money(entity.get("Balance")) > ZERO else InvoiceStatus.PAID


def invoice_record(entity: dict[str, Any]) -> InvoiceRecord:
    total, balance = money(entity.get("TotalAmt")), money(entity.get("Balance"))
    moment = updated_at(entity)
    return InvoiceRecord(
        ledger_id=str(entity["Id"]),
        number=str(entity.get("DocNumber") or ""),
        contact_ledger_id=_ref(entity, "CustomerRef"),
        status=invoice_status(entity),
        currency=_ref(entity, "CurrencyRef"),
        issued_on=day(entity.get("TxnDate")) or moment.date(),
        due_on=day(entity.get("DueDate")),
        total=total,
        amount_due=balance,
        amount_paid=max(total - balance, ZERO),
        amount_credited=ZERO,
        updated_at=moment,
        currency_rate=_rate(entity),
        sent=entity.get("EmailStatus") == "EmailSent" or bool(entity.get("DeliveryInfo")),
    )


def _invoice_links(entity: dict[str, Any], on: date) -> tuple[Allocation, ...]:
    """Each payment line linked to an invoice (`Line[].LinkedTxn`, REFPAY)."""
    found = []
    for line in entity.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") == "Invoice":
                found.append(Allocation(str(link["TxnId"]), money(line.get("Amount")), on))
    return tuple(found)


def payment_record(entity: dict[str, Any]) -> PaymentRecord:
    """A Payment. What it leaves unapplied is a credit: an overpayment when it also settled
    invoices, a prepayment when it settled none (QuickBooks has no separate entities for them)."""
    status = _record_status(entity)
    received_on = day(entity.get("TxnDate")) or updated_at(entity).date()
    allocations = _invoice_links(entity, received_on) if status is RecordStatus.ACTIVE else ()
    unapplied = money(entity.get("UnappliedAmt")) if status is RecordStatus.ACTIVE else ZERO
    kind = PaymentKind.PAYMENT
    if unapplied > ZERO:
        kind = PaymentKind.OVERPAYMENT if allocations else PaymentKind.PREPAYMENT
    return PaymentRecord(
        ledger_id=str(entity["Id"]),
        kind=kind,
        contact_ledger_id=_ref(entity, "CustomerRef"),
        received_on=received_on,
        amount=money(entity.get("TotalAmt")),
        currency=_ref(entity, "CurrencyRef"),
        status=status,
        updated_at=updated_at(entity),
        currency_rate=_rate(entity),
        unapplied=unapplied,
        allocations=allocations,
    )


def credit_note_record(entity: dict[str, Any]) -> CreditNoteRecord:
    """A CreditMemo. QuickBooks applies credit through a Payment whose lines link the memo and
    the invoice, so the allocation is on that Payment's record, not here."""
    moment = updated_at(entity)
    return CreditNoteRecord(
        ledger_id=str(entity["Id"]),
        number=str(entity.get("DocNumber") or ""),
        contact_ledger_id=_ref(entity, "CustomerRef"),
        status=_record_status(entity),
        currency=_ref(entity, "CurrencyRef"),
        issued_on=day(entity.get("TxnDate")) or moment.date(),
        total=money(entity.get("TotalAmt")),
        remaining_credit=money(entity.get("RemainingCredit")),
        updated_at=moment,
        currency_rate=_rate(entity),
    )


def query_rows(answer: dict[str, Any], entity: str) -> list[dict[str, Any]]:
    """The entities of a query answer (an empty result has no entity key at all)."""
    return list((answer.get("QueryResponse") or {}).get(entity) or [])


def cdc_rows(answer: dict[str, Any], entity: str) -> list[dict[str, Any]]:
    """The entities of a change-data-capture answer (`CDCResponse[0].QueryResponse[*]`)."""
    rows: list[dict[str, Any]] = []
    for block in answer.get("CDCResponse") or []:
        for response in block.get("QueryResponse") or []:
            rows.extend(response.get(entity) or [])
    return rows


def organisation_facts(info: dict[str, Any], preferences: dict[str, Any]) -> OrganisationFacts:
    """CompanyInfo and Preferences (CurrencyPrefs.HomeCurrency). QuickBooks states no time zone:
    it comes from the country and the company's address where that is unambiguous (zones.py)."""
    address = info.get("CompanyAddr") or info.get("LegalAddr") or {}
    country = country_code(info.get("Country")) or country_code(address.get("Country"))
    home = ((preferences.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}).get("value")
    return OrganisationFacts(
        name=str(info.get("CompanyName") or ""),
        legal_name=str(info.get("LegalName") or info.get("CompanyName") or ""),
        base_currency=str(home or "").upper(),
        country=country,
        timezone=zone_for_place(country, address.get("CountrySubDivisionCode")),
    )
