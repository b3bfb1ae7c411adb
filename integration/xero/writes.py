"""What Relance writes back to Xero: History notes, the credit-hold contact group, late-fee invoices,
credit notes applied to an invoice.

Kept apart from the reads because it changes for other reasons (what the accountant should see
in Xero), and because every write carries an Idempotency-Key so a retried call cannot write twice.
"""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from xero_python.accounting import (
    Allocation,
    Allocations,
    Contact,
    ContactGroup,
    ContactGroups,
    Contacts,
    CreditNote,
    CreditNotes,
    CurrencyCode,
    HistoryRecord,
    HistoryRecords,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
)

from integration.ledger import Allocation as AllocationRecord
from integration.ledger import CreditNoteRecord, InvoiceRecord, LedgerRejected, NoteTarget
from runtime import clock

from . import mapping
from .calls import NotFound

if TYPE_CHECKING:
    from .client import XeroLedger

HOLD_GROUP = "Relance: on hold"
# History "Details" is at most 250 characters (developer.xero.com/documentation/api/history-and-notes,
# xero-details.md 4.6); longer text is split into numbered notes rather than cut.
NOTE_LIMIT = 250
NUMBERING_ROOM = len("(99/99) ")


def note_parts(text: str) -> list[str]:
    """The notes to write for ``text``: itself when it fits, else "(1/3) …" parts at word breaks."""
    text = text.strip()
    if not text:
        raise LedgerRejected("a note needs some text")
    if len(text) <= NOTE_LIMIT:
        return [text]
    words = " ".join(text.split())  # line breaks do not survive being cut into parts anyway
    chunks = textwrap.wrap(words, NOTE_LIMIT - NUMBERING_ROOM, break_long_words=True, break_on_hyphens=False)
    return [f"({number}/{len(chunks)}) {chunk}" for number, chunk in enumerate(chunks, start=1)]


class XeroWrites:
    """The write side of one XeroLedger."""

    def __init__(
        self, ledger: XeroLedger, late_fee_account_code: str, credit_account_code: str = "200"
    ) -> None:
        self.ledger = ledger
        self.api = ledger.api
        self.late_fee_account_code = late_fee_account_code
        self.credit_account_code = credit_account_code
        self._hold_group_id: str | None = None

    def write_note(self, target: NoteTarget, ledger_id: str, text: str) -> None:
        """All parts in one PUT, so they arrive together and in order."""
        records = HistoryRecords(history_records=[HistoryRecord(details=part) for part in note_parts(text)])
        if target is NoteTarget.INVOICE:
            self.ledger.call(
                self.api.create_invoice_history,
                invoice_id=ledger_id,
                history_records=records,
                idempotency_key=self.ledger.idempotency_key(),
            )
        else:
            self.ledger.call(
                self.api.create_contact_history,
                contact_id=ledger_id,
                history_records=records,
                idempotency_key=self.ledger.idempotency_key(),
            )

    def _hold_group(self, create: bool) -> str | None:
        """The hold group's id: found by name, created when asked to and absent, then remembered."""
        if self._hold_group_id is None:
            answer = self.ledger.call(self.api.get_contact_groups)
            for group in answer.get("ContactGroups") or []:
                if group.get("Name") == HOLD_GROUP and group.get("Status", "ACTIVE") == "ACTIVE":
                    self._hold_group_id = str(group["ContactGroupID"])
                    break
        if self._hold_group_id is None and create:
            groups = ContactGroups(contact_groups=[ContactGroup(name=HOLD_GROUP)])
            answer = self.ledger.call(
                self.api.create_contact_group,
                contact_groups=groups,
                idempotency_key=self.ledger.idempotency_key(),
            )
            self._hold_group_id = str(answer["ContactGroups"][0]["ContactGroupID"])
        return self._hold_group_id

    def put_on_hold(self, contact_ledger_id: str) -> None:
        """Adding a member twice is harmless in Xero: the group keeps one membership. If someone
        deleted the group in Xero since it was looked up, it is looked up (or made) again once."""
        for attempt in (1, 2):
            group_id = self._hold_group(create=True)
            try:
                self.ledger.call(
                    self.api.create_contact_group_contacts,
                    contact_group_id=group_id,
                    contacts=Contacts(contacts=[Contact(contact_id=contact_ledger_id)]),
                    idempotency_key=self.ledger.idempotency_key(),
                )
                return
            except NotFound:
                if attempt == 2:
                    raise
                self._hold_group_id = None

    def release_hold(self, contact_ledger_id: str) -> None:
        """Remove the membership; a contact that is not in the group (or no group) is not an error."""
        group_id = self._hold_group(create=False)
        if group_id is None:
            return
        try:
            self.ledger.call(
                self.api.delete_contact_group_contact, contact_group_id=group_id, contact_id=contact_ledger_id
            )
        except (NotFound, LedgerRejected):
            # Xero refuses to remove a contact that is not a member; released is released.
            return

    def create_credit_note(
        self,
        contact_ledger_id: str,
        invoice_ledger_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        key: str = "",
    ) -> CreditNoteRecord:
        """PUT /CreditNotes (ACCRECCREDIT, AUTHORISED: only an approved note can be allocated),
        then PUT /CreditNotes/{id}/Allocations for the whole amount (xero_accounting.yaml
        operationId createCreditNoteAllocation; xero-details.md 4.5). Each call carries its own
        Idempotency-Key derived from ``key``, so a retry after either call replays it in Xero:
        the same credit note comes back and is not allocated twice."""
        try:
            currency_code = CurrencyCode(currency.upper())
        except ValueError:
            raise LedgerRejected(f"Xero does not know the currency {currency!r}") from None
        today = clock.today()
        note = CreditNote(
            type="ACCRECCREDIT",
            contact=Contact(contact_id=contact_ledger_id),
            line_items=[
                LineItem(
                    description=description,
                    quantity=Decimal(1),
                    unit_amount=amount,
                    account_code=self.credit_account_code,
                )
            ],
            date=today,
            currency_code=currency_code,
            line_amount_types=LineAmountTypes.NOTAX,
            status="AUTHORISED",
        )
        answer = self.ledger.call(
            self.api.create_credit_notes,
            credit_notes=CreditNotes(credit_notes=[note]),
            idempotency_key=f"{key}-note" if key else self.ledger.idempotency_key(),
        )
        created = (answer.get("CreditNotes") or [None])[0]
        if not created or not created.get("CreditNoteID"):
            raise LedgerRejected("Xero did not return the credit note")
        record = mapping.credit_note_record(created)
        allocation = Allocation(invoice=Invoice(invoice_id=invoice_ledger_id), amount=amount, date=today)
        self.ledger.call(
            self.api.create_credit_note_allocation,
            credit_note_id=record.ledger_id,
            allocations=Allocations(allocations=[allocation]),
            idempotency_key=f"{key}-allocation" if key else self.ledger.idempotency_key(),
        )
        return dataclasses.replace(
            record,
            remaining_credit=record.remaining_credit - amount,
            allocations=(*record.allocations, AllocationRecord(invoice_ledger_id, amount, today)),
        )

    def create_late_fee_invoice(
        self, contact_ledger_id: str, amount: Decimal, currency: str, description: str, due_on: date
    ) -> InvoiceRecord:
        """NoTax on the line: whether a late fee bears GST/VAT is the accountant's call, and a wrong
        tax type is a validation error; the account code is configurable (200 = Sales in Xero's
        default chart of accounts)."""
        try:
            currency_code = CurrencyCode(currency.upper())
        except ValueError:
            raise LedgerRejected(f"Xero does not know the currency {currency!r}") from None
        invoice = Invoice(
            type="ACCREC",
            contact=Contact(contact_id=contact_ledger_id),
            line_items=[
                LineItem(
                    description=description,
                    quantity=Decimal(1),
                    unit_amount=amount,
                    account_code=self.late_fee_account_code,
                )
            ],
            date=clock.today(),
            due_date=due_on,
            currency_code=currency_code,
            line_amount_types=LineAmountTypes.NOTAX,
            status="AUTHORISED",
        )
        answer = self.ledger.call(
            self.api.create_invoices,
            invoices=Invoices(invoices=[invoice]),
            idempotency_key=self.ledger.idempotency_key(),
        )
        created = (answer.get("Invoices") or [None])[0]
        if not created or not created.get("InvoiceID"):
            raise LedgerRejected("Xero did not return the late-fee invoice")
        return mapping.invoice_record(created)
