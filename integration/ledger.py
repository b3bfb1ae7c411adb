"""The one ledger interface, and Relance's own plain records of what a ledger holds.

Sync and reminders talk to a ``Ledger`` and never branch on the provider: above this module, a
Xero invoice and a QuickBooks invoice are the same ``InvoiceRecord``. Each provider's client
(``integration/xero``, ``integration/quickbooks``) turns its JSON into these records with
``Decimal`` money and aware UTC datetimes; nothing else parses a ledger's wire format.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class InvoiceStatus(StrEnum):
    DRAFT = "draft"  # not yet sent: never chased
    OPEN = "open"  # approved and owed (Xero AUTHORISED; a QuickBooks invoice with a balance)
    PAID = "paid"
    VOIDED = "voided"
    DELETED = "deleted"


class RecordStatus(StrEnum):
    """For payments and credit notes: whether the money still counts."""

    ACTIVE = "active"
    VOIDED = "voided"
    DELETED = "deleted"


class PaymentKind(StrEnum):
    PAYMENT = "payment"  # money applied to invoices
    OVERPAYMENT = "overpayment"  # more than was owed: a credit on the account
    PREPAYMENT = "prepayment"  # paid before an invoice existed: a credit on the account


@dataclass(frozen=True)
class ContactRecord:
    """A customer as the ledger knows it."""

    ledger_id: str
    name: str
    updated_at: datetime
    email: str | None = None
    phone: str | None = None
    currency: str | None = None
    active: bool = True  # archived (Xero) or made inactive (QuickBooks) when False
    deleted: bool = False
    # Where letters go, as lines in order: street lines, the locality line as the country writes it
    # ("Auckland 1010", "San Jose, CA 95112", "75008 Paris"), then the country; () if none is known.
    postal_address: tuple[str, ...] = ()


@dataclass(frozen=True)
class Allocation:
    """Money from a payment, credit note, overpayment or prepayment applied to one invoice."""

    invoice_ledger_id: str
    amount: Decimal
    applied_on: date


@dataclass(frozen=True)
class InvoiceRecord:
    """A sales invoice (Xero ACCREC, QuickBooks Invoice). Amounts in the invoice's currency."""

    ledger_id: str
    number: str
    contact_ledger_id: str
    status: InvoiceStatus
    currency: str
    issued_on: date
    due_on: date | None
    total: Decimal
    amount_due: Decimal
    amount_paid: Decimal
    amount_credited: Decimal
    updated_at: datetime
    # Units of the organisation's base currency per unit of ``currency``, as the ledger keeps it.
    currency_rate: Decimal | None = None
    reference: str = ""
    fully_paid_on: date | None = None
    sent: bool = False


@dataclass(frozen=True)
class PaymentRecord:
    """Money received from a customer."""

    ledger_id: str
    kind: PaymentKind
    contact_ledger_id: str
    received_on: date
    amount: Decimal
    currency: str
    status: RecordStatus
    updated_at: datetime
    currency_rate: Decimal | None = None
    # What is not applied to an invoice yet (overpayments, prepayments, QuickBooks unapplied cash).
    unapplied: Decimal = Decimal("0")
    allocations: tuple[Allocation, ...] = field(default=())


@dataclass(frozen=True)
class CreditNoteRecord:
    """A credit note (Xero ACCRECCREDIT, QuickBooks CreditMemo)."""

    ledger_id: str
    number: str
    contact_ledger_id: str
    status: RecordStatus
    currency: str
    issued_on: date
    total: Decimal
    remaining_credit: Decimal
    updated_at: datetime
    currency_rate: Decimal | None = None
    allocations: tuple[Allocation, ...] = field(default=())


@dataclass(frozen=True)
class OrganisationFacts:
    """What the ledger says of the business itself: its names, home currency, country and zone."""

    name: str
    legal_name: str
    base_currency: str  # ISO 4217
    country: str  # ISO 3166-1 alpha-2, "" if the ledger does not say
    # An IANA zone; None when the ledger names none and its address leaves the zone ambiguous.
    timezone: str | None


class NoteTarget(StrEnum):
    INVOICE = "invoice"
    CONTACT = "contact"


class Ledger(Protocol):
    """What Relance asks of a connected ledger. Implementations page at the ledger's maximum."""

    provider: str
    max_page_size: int

    def organisation_facts(self) -> OrganisationFacts:
        """The business's names, base currency, country and time zone, as the ledger keeps them."""
        ...

    def changed_contacts(self, since: datetime | None) -> Iterator[list[ContactRecord]]:
        """Contacts created or changed since ``since`` (all of them for None), page by page."""
        ...

    def changed_invoices(self, since: datetime | None) -> Iterator[list[InvoiceRecord]]:
        """Sales invoices created or changed since ``since``, page by page."""
        ...

    def changed_payments(self, since: datetime | None) -> Iterator[list[PaymentRecord]]:
        """Payments, overpayments and prepayments created or changed since ``since``."""
        ...

    def changed_credit_notes(self, since: datetime | None) -> Iterator[list[CreditNoteRecord]]:
        """Sales credit notes created or changed since ``since``."""
        ...

    def invoices_by_id(self, ledger_ids: Sequence[str]) -> list[InvoiceRecord]:
        """These invoices, in as few calls as the API allows."""
        ...

    def contacts_by_id(self, ledger_ids: Sequence[str]) -> list[ContactRecord]:
        """These contacts, in as few calls as the API allows."""
        ...

    def payment_link(self, invoice_ledger_id: str) -> str | None:
        """The invoice's online payment page, if the ledger offers one for it."""
        ...

    def write_note(self, target: NoteTarget, ledger_id: str, text: str) -> None:
        """Leave a note on an invoice or a contact, where the accountant will see it."""
        ...

    def put_on_hold(self, contact_ledger_id: str) -> None:
        """Mark the contact as on credit hold in the ledger."""
        ...

    def release_hold(self, contact_ledger_id: str) -> None:
        """Take the contact off credit hold in the ledger."""
        ...

    def create_late_fee_invoice(
        self, contact_ledger_id: str, amount: Decimal, currency: str, description: str, due_on: date
    ) -> InvoiceRecord:
        """Raise an invoice for a late-payment fee."""
        ...

    def create_credit_note(
        self,
        contact_ledger_id: str,
        invoice_ledger_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        key: str = "",
    ) -> CreditNoteRecord:
        """Raise an approved credit note for ``amount`` and apply it to the invoice, so the
        invoice's amount due falls by that much. ``key`` (hex, at most 32 characters) names the
        logical write: the same key again replays the first answer instead of crediting twice."""
        ...


class LedgerError(Exception):
    """A ledger call failed in a way the caller must decide about."""


class LedgerRateLimited(LedgerError):
    """The ledger said slow down; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: float, problem: str = "") -> None:
        super().__init__(f"rate limited ({problem or 'unspecified'}); retry after {retry_after} s")
        self.retry_after = retry_after
        self.problem = problem


class ReconnectRequired(LedgerError):
    """The grant was refused (revoked, expired): a person must connect the ledger again."""

    def __init__(self, connection_id: int, reason: str) -> None:
        super().__init__(f"connection {connection_id} needs reconnecting: {reason}")
        self.connection_id = connection_id
        self.reason = reason


class LedgerUnauthorized(LedgerError):
    """The ledger refused our credentials even with a fresh access token (a second 401, or 403).

    A ledger client does not know Relance's connection ids; whoever built it from a connection
    turns this into :class:`ReconnectRequired` (or ``on_unauthorized`` raises that directly).
    """


class LedgerUnavailable(LedgerError):
    """The ledger answered with a server error or not at all; the job is retried later."""


class LedgerRejected(LedgerError):
    """The ledger refused what we sent (validation): retrying the same request will not help."""
