"""The records a Xero organisation holds, as plain dataclasses with Decimal money.

These are the sandbox's own state, not the wire format: `wire.py` renders them as Xero JSON and
`books.py` keeps their derived amounts (AmountDue, RemainingCredit ...) consistent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

ZERO = Decimal("0.00")
# The type under another name, for classes with a field named `date` (it hides the type there).
Day = date


@dataclass
class Organisation:
    """One tenant; Xero's OrganisationID is the tenantId."""

    organisation_id: str
    name: str
    base_currency: str = "NZD"
    country_code: str = "NZ"
    short_code: str = "!sandbx"
    created_at: datetime | None = None
    # Xero's TimeZone enum: Windows zone ids in capitals without spaces (xero_accounting.yaml).
    timezone: str = "NEWZEALANDSTANDARDTIME"
    legal_name: str = ""


@dataclass
class HistoryRecord:
    """One line of History and Notes; notes added through the API have Changes == "Note"."""

    changes: str
    details: str
    at: datetime
    user: str = "System Generated"


@dataclass
class Phone:
    phone_type: str = "DEFAULT"
    number: str = ""


@dataclass
class Contact:
    contact_id: str
    name: str
    updated_at: datetime
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    contact_number: str = ""
    account_number: str = ""
    status: str = "ACTIVE"
    phones: list[Phone] = field(default_factory=list)
    street: tuple[str, str, str] | None = None  # line 1, city, postcode
    postal: tuple[str, str, str] | None = None  # the POBOX address: line 1, city, postcode
    default_currency: str | None = None
    is_customer: bool = False
    is_supplier: bool = False
    persona: str | None = None  # simulated payment behaviour, never on the wire
    history: list[HistoryRecord] = field(default_factory=list)


@dataclass
class ContactGroup:
    contact_group_id: str
    name: str
    status: str = "ACTIVE"
    contact_ids: list[str] = field(default_factory=list)


@dataclass
class LineItem:
    line_item_id: str
    description: str
    quantity: Decimal
    unit_amount: Decimal
    account_code: str = "200"
    tax_type: str = "OUTPUT2"
    tax_amount: Decimal = ZERO
    line_amount: Decimal = ZERO


@dataclass
class Invoice:
    """A sales invoice (ACCREC) or a bill (ACCPAY)."""

    invoice_id: str
    type: str
    contact_id: str
    invoice_number: str
    date: date
    due_date: Day | None
    status: str
    updated_at: datetime
    currency_code: str
    line_amount_types: str = "Exclusive"
    line_items: list[LineItem] = field(default_factory=list)
    reference: str = ""
    currency_rate: Decimal = Decimal(1)
    sub_total: Decimal = ZERO
    total_tax: Decimal = ZERO
    total: Decimal = ZERO
    amount_paid: Decimal = ZERO
    amount_credited: Decimal = ZERO
    sent_to_contact: bool = False
    fully_paid_on: Day | None = None
    payment_ids: list[str] = field(default_factory=list)
    allocation_ids: list[str] = field(default_factory=list)
    history: list[HistoryRecord] = field(default_factory=list)
    created_by_client: str | None = None
    first_reminded_on: Day | None = None

    @property
    def amount_due(self) -> Decimal:
        """What is still owed; never negative."""
        if self.status in ("VOIDED", "DELETED"):
            return ZERO
        return max(ZERO, self.total - self.amount_paid - self.amount_credited)


@dataclass
class Payment:
    payment_id: str
    date: date
    amount: Decimal
    updated_at: datetime
    payment_type: str
    invoice_id: str | None = None
    credit_note_id: str | None = None
    account_code: str = "090"
    account_id: str = ""
    reference: str = ""
    currency_rate: Decimal = Decimal(1)
    status: str = "AUTHORISED"
    history: list[HistoryRecord] = field(default_factory=list)


@dataclass
class Allocation:
    """Part of a credit note, overpayment or prepayment applied to an invoice."""

    allocation_id: str
    source_kind: str  # CreditNote | Overpayment | Prepayment
    source_id: str
    invoice_id: str
    amount: Decimal
    date: date
    is_deleted: bool = False


@dataclass
class Credit:
    """What CreditNotes, Overpayments and Prepayments share: a total that can be allocated."""

    credit_id: str
    kind: str  # CreditNote | Overpayment | Prepayment
    type: str
    contact_id: str
    date: date
    status: str
    updated_at: datetime
    currency_code: str
    number: str = ""
    reference: str = ""
    line_amount_types: str = "Exclusive"
    line_items: list[LineItem] = field(default_factory=list)
    sub_total: Decimal = ZERO
    total_tax: Decimal = ZERO
    total: Decimal = ZERO
    currency_rate: Decimal = Decimal(1)
    allocation_ids: list[str] = field(default_factory=list)
    applied: Decimal = ZERO
    history: list[HistoryRecord] = field(default_factory=list)

    @property
    def remaining_credit(self) -> Decimal:
        """What can still be allocated."""
        if self.status in ("VOIDED", "DELETED", "DRAFT", "SUBMITTED"):
            return ZERO if self.status in ("VOIDED", "DELETED") else self.total
        return max(ZERO, self.total - self.applied)
