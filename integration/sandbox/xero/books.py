"""One organisation's books: contacts, invoices, payments, credits, and the rules that link them.

Every change goes through here so the derived amounts stay right (a payment lowers AmountDue and
can make an invoice PAID, an allocation consumes credit) and so every change stamps
UpdatedDateUTC from the sandbox clock and raises the webhook event Xero would send.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from ..common.clock import SandboxClock
from .models import (
    ZERO,
    Allocation,
    Contact,
    ContactGroup,
    Credit,
    HistoryRecord,
    Invoice,
    Organisation,
    Payment,
)

HISTORY_DETAILS_MAX = 250  # XHIST: "Details" is at most 250 characters (xero-details.md 4.6)


class BusinessRuleViolation(Exception):
    """A change Xero would refuse; the message is Xero's validation message."""


@dataclass(frozen=True)
class ChangeEvent:
    """What a webhook event is made from (tenant filled in by the sandbox)."""

    category: str  # INVOICE | CONTACT | CREDITNOTE
    event_type: str  # CREATE | UPDATE
    resource_id: str
    at: datetime
    data: dict[str, str] | None = None


def new_id() -> str:
    """A fresh GUID for records created through the API."""
    return str(uuid.uuid4())


def to_ms(instant: datetime) -> datetime:
    """Truncate to milliseconds, the precision of `/Date(ms)/`, so wire round-trips are exact."""
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


class OrganisationBooks:
    """The state of one tenant behind a re-entrant lock."""

    def __init__(
        self,
        organisation: Organisation,
        clock: SandboxClock,
        on_change: Callable[[ChangeEvent], None] | None = None,
    ) -> None:
        self.organisation = organisation
        self.clock = clock
        self.on_change = on_change or (lambda event: None)
        self.lock = threading.RLock()
        self.contacts: dict[str, Contact] = {}
        self.groups: dict[str, ContactGroup] = {}
        self.invoices: dict[str, Invoice] = {}
        self.payments: dict[str, Payment] = {}
        self.credits: dict[str, Credit] = {}
        self.allocations: dict[str, Allocation] = {}
        self._numbers: dict[str, int] = {}

    @property
    def tenant_id(self) -> str:
        return self.organisation.organisation_id

    def now(self) -> datetime:
        """The clock's now at the wire's precision."""
        return to_ms(self.clock.now())

    def next_number(self, prefix: str) -> str:
        """INV-0001, CN-0001 ... per prefix, never reused."""
        with self.lock:
            self._numbers[prefix] = self._numbers.get(prefix, 0) + 1
            return f"{prefix}-{self._numbers[prefix]:04d}"

    def _emit(
        self, category: str, event_type: str, resource_id: str, data: dict[str, str] | None = None
    ) -> None:
        self.on_change(ChangeEvent(category, event_type, resource_id, self.now(), data))

    # Contacts ------------------------------------------------------------------------------

    def save_contact(self, contact: Contact, created: bool) -> Contact:
        """Store a new or changed contact and announce it."""
        with self.lock:
            contact.updated_at = self.now()
            self.contacts[contact.contact_id] = contact
        self._emit("CONTACT", "CREATE" if created else "UPDATE", contact.contact_id)
        return contact

    def find_contact(self, key: str) -> Contact | None:
        """By ContactID, or by ContactNumber as Xero also allows."""
        contact = self.contacts.get(key.lower()) or self.contacts.get(key)
        if contact is None:
            contact = next(
                (c for c in self.contacts.values() if c.contact_number and c.contact_number == key), None
            )
        return contact

    def mark_customer(self, contact_id: str, is_sales: bool) -> None:
        """IsCustomer / IsSupplier follow the transactions a contact has."""
        contact = self.contacts.get(contact_id)
        if contact is not None:
            if is_sales:
                contact.is_customer = True
            else:
                contact.is_supplier = True

    # Invoices ------------------------------------------------------------------------------

    def save_invoice(self, invoice: Invoice, created: bool) -> Invoice:
        """Store a new or changed invoice, recomputing its totals, and announce it."""
        with self.lock:
            self.recompute_totals(invoice)
            invoice.updated_at = self.now()
            self.invoices[invoice.invoice_id] = invoice
            self.mark_customer(invoice.contact_id, invoice.type == "ACCREC")
        self._emit("INVOICE", "CREATE" if created else "UPDATE", invoice.invoice_id)
        return invoice

    def find_invoice(self, key: str) -> Invoice | None:
        """By InvoiceID, or by InvoiceNumber as GET /Invoices/{InvoiceID} also accepts."""
        invoice = self.invoices.get(key.lower())
        if invoice is None:
            invoice = next((i for i in self.invoices.values() if i.invoice_number == key), None)
        return invoice

    @staticmethod
    def recompute_totals(document: Invoice | Credit) -> None:
        """SubTotal, TotalTax and Total from the line items."""
        if not document.line_items:
            return
        sub_total = sum((line.line_amount for line in document.line_items), ZERO)
        tax = sum((line.tax_amount for line in document.line_items), ZERO)
        if document.line_amount_types == "Inclusive":
            document.sub_total, document.total_tax, document.total = sub_total - tax, tax, sub_total
        else:
            document.sub_total, document.total_tax, document.total = sub_total, tax, sub_total + tax

    def settle(self, invoice: Invoice) -> None:
        """Paid and credited amounts from payments and allocations; PAID when nothing is owed."""
        paid = [p for p in (self.payments[i] for i in invoice.payment_ids) if p.status == "AUTHORISED"]
        allocations = [a for a in (self.allocations[i] for i in invoice.allocation_ids) if not a.is_deleted]
        invoice.amount_paid = sum((p.amount for p in paid), ZERO)
        invoice.amount_credited = sum((a.amount for a in allocations), ZERO)
        if invoice.status in ("AUTHORISED", "PAID"):
            settled = invoice.total > ZERO and invoice.amount_due == ZERO
            invoice.status = "PAID" if settled else "AUTHORISED"
            dates = [p.date for p in paid] + [a.date for a in allocations]
            invoice.fully_paid_on = max(dates) if settled and dates else None

    # Payments ------------------------------------------------------------------------------

    def pay_invoice(
        self,
        invoice: Invoice,
        amount: Decimal,
        paid_on: date,
        account_code: str = "090",
        reference: str = "",
        currency_rate: Decimal | None = None,
    ) -> Payment:
        """Record a payment against an authorised invoice; Xero refuses overpaying through this path."""
        with self.lock:
            if invoice.status != "AUTHORISED":
                raise BusinessRuleViolation(
                    "Payment can only be applied to an invoice with a status of AUTHORISED"
                )
            if amount <= ZERO:
                raise BusinessRuleViolation("Payment amount must be greater than zero")
            if amount > invoice.amount_due:
                raise BusinessRuleViolation("Payment amount exceeds the amount outstanding on this document")
            payment = Payment(
                payment_id=new_id(),
                date=paid_on,
                amount=amount,
                updated_at=self.now(),
                payment_type="ACCRECPAYMENT" if invoice.type == "ACCREC" else "ACCPAYPAYMENT",
                invoice_id=invoice.invoice_id,
                account_code=account_code,
                reference=reference,
                currency_rate=currency_rate or invoice.currency_rate,
            )
            self.payments[payment.payment_id] = payment
            invoice.payment_ids.append(payment.payment_id)
            self.settle(invoice)
            invoice.updated_at = self.now()
        self._emit("INVOICE", "UPDATE", invoice.invoice_id)
        return payment

    def delete_payment(self, payment: Payment) -> Payment:
        """Reverse a payment; its invoice owes the amount again."""
        with self.lock:
            if payment.status == "DELETED":
                raise BusinessRuleViolation("Payment has already been deleted")
            payment.status = "DELETED"
            payment.updated_at = self.now()
            invoice = self.invoices.get(payment.invoice_id or "")
            if invoice is not None:
                self.settle(invoice)
                invoice.updated_at = self.now()
        if invoice is not None:
            self._emit("INVOICE", "UPDATE", invoice.invoice_id)
        return payment

    # Credit notes, overpayments, prepayments ------------------------------------------------

    def save_credit(self, credit: Credit, created: bool) -> Credit:
        """Store a credit; credit notes are announced (CREDITNOTE events carry Type and Status)."""
        with self.lock:
            self.recompute_totals(credit)
            credit.updated_at = self.now()
            self.credits[credit.credit_id] = credit
        if credit.kind == "CreditNote":
            data = {"Type": credit.type, "Status": credit.status}
            self._emit("CREDITNOTE", "CREATE" if created else "UPDATE", credit.credit_id, data)
        return credit

    def allocate(self, credit: Credit, invoice: Invoice, amount: Decimal, on: date) -> Allocation:
        """Apply part of a credit to an invoice of the same contact and currency."""
        with self.lock:
            if credit.status != "AUTHORISED":
                raise BusinessRuleViolation(f"{credit.kind} must be AUTHORISED to be allocated")
            if invoice.status != "AUTHORISED":
                raise BusinessRuleViolation("Invoice must be AUTHORISED to receive an allocation")
            if invoice.currency_code != credit.currency_code:
                raise BusinessRuleViolation("The currencies of the invoice and the credit do not match")
            if amount <= ZERO:
                raise BusinessRuleViolation("Allocation amount must be greater than zero")
            if amount > credit.remaining_credit:
                raise BusinessRuleViolation("The amount to allocate exceeds the remaining credit")
            if amount > invoice.amount_due:
                raise BusinessRuleViolation("The amount to allocate exceeds the amount due on the invoice")
            allocation = Allocation(new_id(), credit.kind, credit.credit_id, invoice.invoice_id, amount, on)
            self.allocations[allocation.allocation_id] = allocation
            credit.allocation_ids.append(allocation.allocation_id)
            credit.applied += amount
            if credit.remaining_credit == ZERO:
                credit.status = "PAID"
            invoice.allocation_ids.append(allocation.allocation_id)
            self.settle(invoice)
            invoice.updated_at = credit.updated_at = self.now()
        self._emit("INVOICE", "UPDATE", invoice.invoice_id)
        if credit.kind == "CreditNote":
            self._emit(
                "CREDITNOTE", "UPDATE", credit.credit_id, {"Type": credit.type, "Status": credit.status}
            )
        return allocation

    # History and notes ----------------------------------------------------------------------

    def add_note(self, history: list[HistoryRecord], details: str) -> HistoryRecord:
        """Append a note (notes cannot be edited or deleted)."""
        if not details or not details.strip():
            raise BusinessRuleViolation("The Details field is required")
        if len(details) > HISTORY_DETAILS_MAX:
            raise BusinessRuleViolation(f"Details cannot be more than {HISTORY_DETAILS_MAX} characters long")
        record = HistoryRecord("Note", details, self.now())
        with self.lock:
            history.append(record)
        return record
