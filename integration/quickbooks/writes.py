"""What Relance writes back to QuickBooks: notes, the credit hold, late-fee invoices, credit memos.

Credit memos. A CreditMemo is credit on the customer's account; it reduces an invoice's Balance
only once something applies it. Through the API that is a Payment of TotalAmt 0 whose lines link
the invoice and the credit memo for the same amount (quickbooks-details.md 3.2 and 3.3; "a
zero-dollar payment, which is the link between the Credit Memo and the Invoice",
https://docs.breadwinner.com/quickbooks/applying-credit-to-an-invoice). The company preference
"Automatically apply credits" (Preferences.SalesFormsPrefs.AutoApplyCredit) is documented for
people working in QuickBooks, not for a memo created through the API, so Relance links both
itself rather than leave the invoice open until someone does.

Credit hold. QuickBooks Online has no on-hold flag for a customer. Custom fields on customers
need Intuit's whitelisted ``app-foundations.custom-field-definitions`` scope (quickbooks-details.md
1.2), so they are not available to Relance. What every company has is the customer's own
free-text ``Notes`` ("other details", quickbooks-details.md 3.4 and 3.6 item 4), which the
accountant sees on the customer: the hold is a first line ``[Relance: on hold since 2026-03-01]``
there (added once, removed on release, the rest of the Notes left as they were), and each hold
and release also leaves a dated Attachable note on the customer as history.
"""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from quickbooks.exceptions import QuickbooksException

from integration.ledger import (
    Allocation,
    CreditNoteRecord,
    InvoiceRecord,
    LedgerError,
    LedgerRejected,
    NoteTarget,
)
from runtime import clock

from . import mapping
from .calls import ledger_errors

if TYPE_CHECKING:
    from .client import QuickBooksLedger

NOTE_LIMIT = 2000  # Attachable.Note (secondary: withone.ai, quickbooks-details.md 3.6)
NUMBERING_ROOM = len("(99/99) ")
HOLD_MARK = "[Relance: on hold since {day}]"
HOLD_LINE = re.compile(r"^\[Relance: on hold since [0-9-]+\]\n?", re.MULTILINE)
LATE_FEE_ITEM = "Late payment fee"
CREDIT_ITEM = "Early payment discount"
CENT = Decimal("0.01")
STALE_OBJECT = "5010"  # quickbooks-details.md 7.1


class StaleCustomer(LedgerError):
    """The customer changed between our read and our update."""


def note_parts(text: str) -> list[str]:
    """The notes to write: the text when it fits, else numbered parts split at word breaks."""
    text = text.strip()
    if not text:
        raise LedgerRejected("a note needs some text")
    if len(text) <= NOTE_LIMIT:
        return [text]
    chunks = textwrap.wrap(text, NOTE_LIMIT - NUMBERING_ROOM, break_long_words=True, replace_whitespace=False)
    return [f"({number}/{len(chunks)}) {chunk}" for number, chunk in enumerate(chunks, start=1)]


def dumps(body: dict[str, Any]) -> str:
    """JSON for a write; Decimals read back from QuickBooks go out as numbers again."""
    return json.dumps(body, default=lambda value: float(value) if isinstance(value, Decimal) else str(value))


def _amount(value: Decimal) -> float:
    """A JSON number for an amount: cents survive float's repr (python-quickbooks sends floats too)."""
    return float(value.quantize(CENT))


class QuickBooksWrites:
    """The write side of one QuickBooksLedger."""

    def __init__(self, ledger: QuickBooksLedger, late_fee_item_id: str | None) -> None:
        self.ledger = ledger
        self.client = ledger.client
        self._late_fee_item_id = late_fee_item_id
        self._credit_item: str | None = None

    def _create(self, entity: str, body: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
        """POST one entity; a ``request_id`` makes QuickBooks answer a repeat with the first answer
        instead of creating it again (requestid, unique per company, at most 50 characters: BREQ,
        quickbooks-details.md 2)."""
        with ledger_errors():
            return self.client.create_object(entity, dumps(body), request_id=request_id).get(entity) or {}

    def write_note(self, target: NoteTarget, ledger_id: str, text: str) -> None:
        """One Attachable per part; IncludeOnSend false keeps it off what the customer receives."""
        entity = "Invoice" if target is NoteTarget.INVOICE else "Customer"
        for part in note_parts(text):
            self._create(
                "Attachable",
                {
                    "Note": part,
                    "AttachableRef": [
                        {"EntityRef": {"type": entity, "value": str(ledger_id)}, "IncludeOnSend": False}
                    ],
                },
            )

    def _set_notes(self, customer_id: str, change: Callable[[str], str]) -> bool:
        """Update the customer's Notes with ``change(notes) -> notes``; False if unchanged. Someone
        editing the customer in between makes the SyncToken stale (5010): read again, once."""
        try:
            return self._set_notes_once(customer_id, change)
        except StaleCustomer:
            return self._set_notes_once(customer_id, change)

    def _set_notes_once(self, customer_id: str, change: Callable[[str], str]) -> bool:
        customer = self.ledger.read("Customer", customer_id)
        notes = str(customer.get("Notes") or "")
        changed = change(notes)
        if changed == notes:
            return False
        if changed:
            body = {
                "Id": customer["Id"],
                "SyncToken": customer["SyncToken"],
                "sparse": True,
                "Notes": changed,
            }
        else:
            # An empty string in a sparse update may read as "not provided"; a full update clears
            # every writable field it leaves out (REFINV), so the customer goes back without Notes.
            body = {key: value for key, value in customer.items() if key != "Notes"}
        with ledger_errors():
            try:
                self.client.update_object("Customer", dumps(body))
            except QuickbooksException as error:
                if str(error.error_code) == STALE_OBJECT:
                    raise StaleCustomer from None
                raise
        return True

    def put_on_hold(self, contact_ledger_id: str) -> None:
        today = clock.today()

        def mark(notes: str) -> str:
            if HOLD_LINE.search(notes):
                return notes  # already on hold: keep the original date
            return HOLD_MARK.format(day=today.isoformat()) + ("\n" + notes if notes else "")

        if self._set_notes(contact_ledger_id, mark):
            self.write_note(
                NoteTarget.CONTACT, contact_ledger_id, f"Relance put this customer on credit hold on {today}."
            )

    def release_hold(self, contact_ledger_id: str) -> None:
        if self._set_notes(contact_ledger_id, lambda notes: HOLD_LINE.sub("", notes, count=1)):
            self.write_note(
                NoteTarget.CONTACT,
                contact_ledger_id,
                f"Relance released this customer's credit hold on {clock.today()}.",
            )

    def late_fee_item_id(self) -> str:
        """The "Late payment fee" service item: configured, found by name, or created once."""
        if self._late_fee_item_id is None:
            # Inactive items too: a name made inactive still blocks creating it again (6240).
            found = mapping.query_rows(
                self.ledger.query(
                    f"SELECT * FROM Item WHERE Name = '{LATE_FEE_ITEM}' AND Active IN (true, false) MAXRESULTS 1"  # noqa: S608
                ),
                "Item",
            )
            if found:
                item = found[0]
                if item.get("Active") is False:
                    with ledger_errors():
                        self.client.update_object(
                            "Item",
                            dumps(
                                {
                                    "Id": item["Id"],
                                    "SyncToken": item["SyncToken"],
                                    "sparse": True,
                                    "Active": True,
                                }
                            ),
                        )
                self._late_fee_item_id = str(item["Id"])
            else:
                self._late_fee_item_id = str(
                    self._create(
                        "Item",
                        {
                            "Name": LATE_FEE_ITEM,
                            "Type": "Service",
                            "IncomeAccountRef": {"value": self._income_account_id()},
                        },
                    )["Id"]
                )
        return self._late_fee_item_id

    def _credit_item_id(self) -> str:
        """The "Early payment discount" service item a credit memo's line is on: found or made."""
        if self._credit_item is None:
            found = mapping.query_rows(
                self.ledger.query(
                    f"SELECT * FROM Item WHERE Name = '{CREDIT_ITEM}' AND Active = true MAXRESULTS 1"  # noqa: S608
                ),
                "Item",
            )
            if found:
                self._credit_item = str(found[0]["Id"])
            else:
                self._credit_item = str(
                    self._create(
                        "Item",
                        {
                            "Name": CREDIT_ITEM,
                            "Type": "Service",
                            "IncomeAccountRef": {"value": self._income_account_id()},
                        },
                    )["Id"]
                )
        return self._credit_item

    def create_credit_note(
        self,
        contact_ledger_id: str,
        invoice_ledger_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        key: str = "",
    ) -> CreditNoteRecord:
        """A CreditMemo for ``amount``, then the zero Payment that applies it to the invoice (see
        the module docstring). Each POST has a requestid derived from ``key``."""
        today = clock.today()
        memo = self._create(
            "CreditMemo",
            {
                "CustomerRef": {"value": str(contact_ledger_id)},
                "TxnDate": today.isoformat(),
                "CurrencyRef": {"value": currency.upper()},
                "Line": [
                    {
                        "DetailType": "SalesItemLineDetail",
                        "Amount": _amount(amount),
                        "Description": description,
                        "SalesItemLineDetail": {
                            "ItemRef": {"value": self._credit_item_id()},
                            "Qty": 1,
                            "UnitPrice": _amount(amount),
                        },
                    }
                ],
            },
            request_id=f"{key}-memo" if key else None,
        )
        if not memo.get("Id"):
            raise LedgerRejected("QuickBooks did not return the credit memo")
        self._create(
            "Payment",
            {
                "CustomerRef": {"value": str(contact_ledger_id)},
                "TotalAmt": 0,
                "TxnDate": today.isoformat(),
                "CurrencyRef": {"value": currency.upper()},
                "Line": [
                    {
                        "Amount": _amount(amount),
                        "LinkedTxn": [{"TxnId": str(invoice_ledger_id), "TxnType": "Invoice"}],
                    },
                    {
                        "Amount": _amount(amount),
                        "LinkedTxn": [{"TxnId": str(memo["Id"]), "TxnType": "CreditMemo"}],
                    },
                ],
            },
            request_id=f"{key}-apply" if key else None,
        )
        record = mapping.credit_note_record(memo)
        return dataclasses.replace(
            record,
            remaining_credit=max(record.remaining_credit - amount, Decimal("0")),
            allocations=(Allocation(str(invoice_ledger_id), amount, today),),
        )

    def _income_account_id(self) -> str:
        """A service item needs an income account; the first active Income account is used."""
        accounts = mapping.query_rows(
            self.ledger.query(
                "SELECT * FROM Account WHERE AccountType = 'Income' AND Active = true MAXRESULTS 1"
            ),
            "Account",
        )
        if not accounts:
            raise LedgerRejected("QuickBooks has no income account for a late-fee item")
        return str(accounts[0]["Id"])

    def create_late_fee_invoice(
        self, contact_ledger_id: str, amount: Decimal, currency: str, description: str, due_on: date
    ) -> InvoiceRecord:
        body = {
            "CustomerRef": {"value": str(contact_ledger_id)},
            "TxnDate": clock.today().isoformat(),
            "DueDate": due_on.isoformat(),
            "CurrencyRef": {"value": currency.upper()},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": _amount(amount),
                    "Description": description,
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": self.late_fee_item_id()},
                        "Qty": 1,
                        "UnitPrice": _amount(amount),
                    },
                }
            ],
        }
        created = self._create("Invoice", body)
        if not created.get("Id"):
            raise LedgerRejected("QuickBooks did not return the late-fee invoice")
        return mapping.invoice_record(created)
