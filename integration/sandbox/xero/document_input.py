"""Turning posted Invoices and CreditNotes into records, with Xero's validation messages.

Messages follow the ones Xero is known to return where a source exists ("Invoice # must be
unique.", "A Contact must be specified for this type of transaction", "Payment amount exceeds
the amount outstanding on this document": XeroAPI/Xero-Java#353, gist holm/1234265); others are
worded in the same style and marked unconfirmed here.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .books import OrganisationBooks, new_id
from .models import Contact, LineItem
from .parsing import FieldInvalid, line_tax, parse_date, parse_decimal

CURRENCIES = {"NZD", "AUD", "USD", "GBP", "EUR", "CAD", "SGD", "JPY", "CHF", "HKD", "ZAR", "FJD"}
# Indicative rates to NZD for foreign-currency documents that come without a CurrencyRate.
DEFAULT_RATES = {
    "NZD": Decimal(1),
    "AUD": Decimal("1.090000"),
    "USD": Decimal("0.600000"),
    "GBP": Decimal("0.470000"),
    "EUR": Decimal("0.550000"),
}
LINE_AMOUNT_TYPES = {"Exclusive", "Inclusive", "NoTax"}


class ElementInvalid(Exception):
    """One posted element failed; `messages` are its ValidationErrors."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def resolve_contact(books: OrganisationBooks, data: Any, create_missing: bool = True) -> Contact:
    """Contact by ContactID, ContactNumber or Name; a new Name creates a contact, as Xero does."""
    if not isinstance(data, dict) or not any(data.get(k) for k in ("ContactID", "ContactNumber", "Name")):
        raise ElementInvalid("A Contact must be specified for this type of transaction")
    if data.get("ContactID"):
        contact = books.contacts.get(str(data["ContactID"]).lower())
        if contact is None:
            raise ElementInvalid(
                f"The contact with ContactID {data['ContactID']} could not be found"
            )  # unconfirmed
        return contact
    if data.get("ContactNumber"):
        contact = books.find_contact(str(data["ContactNumber"]))
        if contact is not None:
            return contact
    name = str(data.get("Name") or "").strip()
    contact = next((c for c in books.contacts.values() if c.name.lower() == name.lower()), None)
    if contact is not None:
        return contact
    if not name or not create_missing:
        raise ElementInvalid(
            "The Contact must contain at least 1 of the following elements to identify the "
            "contact: Name, ContactID, ContactNumber"
        )
    contact = Contact(
        contact_id=new_id(),
        name=name,
        updated_at=books.now(),
        contact_number=str(data.get("ContactNumber") or ""),
    )
    books.save_contact(contact, created=True)
    return contact


def parse_line_items(raw: Any, line_amount_types: str, sales: bool) -> list[LineItem]:
    """LineItems with LineAmount = Quantity x UnitAmount (less discount) and GST per line."""
    if not isinstance(raw, list):
        raise ElementInvalid("LineItems must be a list")
    lines = []
    for item in raw:
        if not isinstance(item, dict):
            raise ElementInvalid("LineItems must be a list of objects")
        try:
            quantity = parse_decimal(item.get("Quantity"), "Quantity")
            unit = parse_decimal(item.get("UnitAmount"), "UnitAmount")
            line_amount = parse_decimal(item.get("LineAmount"), "LineAmount")
            discount = parse_decimal(item.get("DiscountRate"), "DiscountRate") or Decimal(0)
        except FieldInvalid as invalid:
            raise ElementInvalid(str(invalid)) from None
        quantity = Decimal(1) if quantity is None else quantity
        if unit is None:
            unit = (line_amount / quantity) if line_amount is not None and quantity else Decimal(0)
        amount = (quantity * unit * (1 - discount / 100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if not item.get("Description") and unit == 0:
            raise ElementInvalid("Description is required for a line item without an amount")  # unconfirmed
        tax_type = str(item.get("TaxType") or ("OUTPUT2" if sales else "INPUT2"))
        lines.append(
            LineItem(
                line_item_id=str(item.get("LineItemID") or new_id()),
                description=str(item.get("Description") or ""),
                quantity=quantity,
                unit_amount=unit,
                account_code=str(item.get("AccountCode") or ("200" if sales else "400")),
                tax_type=tax_type,
                tax_amount=line_tax(amount, tax_type, line_amount_types),
                line_amount=amount,
            )
        )
    return lines


def currency_of(books: OrganisationBooks, data: dict[str, Any]) -> tuple[str, Decimal]:
    """CurrencyCode (default the base currency) and CurrencyRate."""
    code = str(data.get("CurrencyCode") or books.organisation.base_currency).upper()
    if code not in CURRENCIES:
        raise ElementInvalid(f"The currency code {code} is not valid or is not enabled for this organisation")
    try:
        rate = parse_decimal(data.get("CurrencyRate"), "CurrencyRate")
    except FieldInvalid as invalid:
        raise ElementInvalid(str(invalid)) from None
    if rate is None or rate <= 0:
        rate = Decimal(1) if code == books.organisation.base_currency else DEFAULT_RATES.get(code, Decimal(1))
    return code, rate


def dates_of(data: dict[str, Any]) -> tuple[Any, Any]:
    """Date and DueDate as dates (None when absent)."""
    try:
        return parse_date(data.get("Date"), "Date"), parse_date(data.get("DueDate"), "DueDate")
    except FieldInvalid as invalid:
        raise ElementInvalid(str(invalid)) from None


def line_amount_types_of(data: dict[str, Any], default: str = "Exclusive") -> str:
    """LineAmountTypes, exact case as the SDK enum wants."""
    value = data.get("LineAmountTypes") or default
    matches = {t.lower(): t for t in LINE_AMOUNT_TYPES}
    if str(value).lower() not in matches:
        raise ElementInvalid("LineAmountTypes must be Exclusive, Inclusive or NoTax")
    return matches[str(value).lower()]
