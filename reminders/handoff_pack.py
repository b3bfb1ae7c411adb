"""The hand-off pack: what a collection agency asks for when it takes a debt on, in one ZIP.

- ``statement.pdf``: the customer's statement today (reminders.dispatch.documents);
- ``invoices.csv``: the open invoices, one a row: number, dates, amounts, days late;
- ``history.csv``: the whole contact history, oldest first (reminders.timeline: the invoices,
  payments and credit notes of the mirror, and every reminder, note, call, promise, dispute and
  hold of the audit trail), so the agency sees what was asked, when, and what the customer said.

The CSV files are in English with plain decimals (an agency's system reads them); a text that a
spreadsheet would take for a formula is written as text.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from reminders.customers import account_of
from reminders.reports.exports import FORMULA_STARTS
from reminders.timeline import TimelineEntry, timeline_of
from runtime import clock
from runtime.tenancy import Organisation
from sync.models import Customer

# The whole history: the customer page shows the latest 200 entries, the agency gets them all
# (up to a bound no real account reaches, so one request cannot read without end).
LONGEST_HISTORY = 100_000
INVOICE_COLUMNS = (
    "Invoice number",
    "Issued on",
    "Due on",
    "Currency",
    "Total",
    "Balance",
    "Days late",
)
HISTORY_COLUMNS = ("Date", "Time", "Event", "Number", "Amount", "Currency", "Status", "By", "Details")
KIND_NAMES = {
    "invoice": "Invoice issued",
    "payment": "Payment received",
    "credit_note": "Credit note",
    "customer.note": "Note",
    "customer.chasing": "Reminder choices changed",
    "customer.handed_off": "Handed off to a collection agency",
    "customer.taken_back": "Taken back from the collection agency",
    "reminder.sent": "Reminder sent",
    "reminder.skipped": "Reminder skipped",
    "reminder.call_outcome": "Call",
    "reminder.posted": "Letter posted",
}


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _amount(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else ""


def pack_name(customer: Customer, today: date) -> str:
    """The ZIP's file name: the customer's name as letters, digits and dashes, and the day."""
    plain = "".join(c if c.isascii() and c.isalnum() else "-" for c in customer.name).strip("-")
    while "--" in plain:
        plain = plain.replace("--", "-")
    return f"handoff-{(plain or 'customer')[:60]}-{today.isoformat()}.zip"


def invoices_csv(session: Session, organisation: Organisation, customer: Customer) -> str:
    """The customer's open invoices, the latest due last, with how many days each is late today."""
    account = account_of(session, organisation, customer)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(INVOICE_COLUMNS)
    for invoice in sorted(account.open_invoices, key=lambda i: (i.due_on or i.issued_on, i.number)):
        late = max(0, (account.today - invoice.due_on).days) if invoice.due_on else 0
        writer.writerow(
            [
                _text(invoice.number),
                invoice.issued_on.isoformat(),
                invoice.due_on.isoformat() if invoice.due_on else "",
                invoice.currency,
                _amount(invoice.total),
                _amount(invoice.balance),
                late,
            ]
        )
    return out.getvalue()


def _details(entry: TimelineEntry) -> str:
    if not entry.details:
        return ""
    return json.dumps(entry.details, ensure_ascii=False, sort_keys=True, default=str)


def history_csv(session: Session, organisation: Organisation, customer: Customer) -> str:
    """Everything that happened to the customer's account, oldest first."""
    entries = timeline_of(session, customer, organisation.timezone, limit=LONGEST_HISTORY)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HISTORY_COLUMNS)
    for entry in reversed(entries):
        writer.writerow(
            [
                entry.on.isoformat(),
                entry.at.strftime("%H:%M") if entry.at else "",
                KIND_NAMES.get(entry.kind, entry.kind),
                _text(entry.number),
                _amount(entry.amount),
                entry.currency,
                entry.status,
                _text(entry.actor),
                _text(_details(entry)),
            ]
        )
    return out.getvalue()


def handoff_pack(session: Session, organisation: Organisation, customer: Customer, language: str) -> bytes:
    """The ZIP of the statement, the open invoices and the contact history of ``customer``.
    Raises reminders.reports.exports.PdfUnavailable when the server cannot make PDFs."""
    from reminders.dispatch.documents import statement_pdf

    today = clock.today(organisation.timezone)
    statement = statement_pdf(session, organisation.id, customer.id, today, language)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as pack:
        pack.writestr("statement.pdf", statement)
        pack.writestr("invoices.csv", invoices_csv(session, organisation, customer))
        pack.writestr("history.csv", history_csv(session, organisation, customer))
    return out.getvalue()
