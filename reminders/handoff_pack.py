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
import zipfile
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

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
    "reminder.approved": "Reminder approved",
    "reminder.edited": "Reminder reworded",
    "reminder.failed": "Reminder not sent",
    "promise.made": "Promise to pay",
    "promise.kept": "Promise kept",
    "promise.broken": "Promise broken",
    "promise.cancelled": "Promise cancelled",
    "dispute.raised": "Dispute raised",
    "dispute.message": "Dispute message",
    "dispute.resolved": "Dispute closed",
    "hold.placed": "Credit hold placed",
    "hold.lifted": "Credit hold lifted",
    "hold.limit": "Credit limit",
    "fee.approved": "Late fee approved",
    "fee.skipped": "Late fee skipped",
    "fee.raised": "Late fee raised",
    "discount.settled": "Early-payment discount",
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


def _g(details: dict[str, Any], name: str) -> str:
    value = details.get(name)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def _with(text: str, extra: str, label: str = "") -> str:
    return f"{text}. {label}{extra}" if extra else text


# The audit trail's kinds, each as a sentence an agency reads (d: the event's details, by: who).
DESCRIPTIONS: dict[str, Callable[[dict[str, Any], str], str]] = {
    "customer.note": lambda d, by: _with(f"Note by {by}", _g(d, "text"), ""),
    "customer.chasing": lambda d, by: f"Reminder choices changed by {by}",
    "customer.handed_off": lambda d, by: _with(
        f"Handed off to {_g(d, 'agency')} by {by}; reminders stop", _g(d, "reference"), "Reference: "
    ),
    "customer.taken_back": lambda d, by: _with(
        f"Taken back from {_g(d, 'agency')} by {by}; reminders resume", _g(d, "reason"), "Reason: "
    ),
    "reminder.sent": lambda d, by: (
        f'Letter "{_g(d, "stage")}" written, naming {_g(d, "invoices")}'
        if d.get("channel") == "letter"
        else f'Call task "{_g(d, "stage")}" added to the call list'
        if d.get("channel") == "call"
        else f'Reminder "{_g(d, "stage")}" emailed to {_g(d, "recipient")}, naming {_g(d, "invoices")}'
    ),
    "reminder.skipped": lambda d, by: f'Reminder "{_g(d, "stage")}" skipped: {_g(d, "reason")}',
    "reminder.approved": lambda d, by: f'Reminder "{_g(d, "stage")}" approved by {by}',
    "reminder.edited": lambda d, by: f'Reminder "{_g(d, "stage")}" reworded by {by}',
    "reminder.call_outcome": lambda d, by: _with(
        f'Call "{_g(d, "stage")}" by {by}: {_g(d, "outcome").replace("_", " ")}', _g(d, "note"), "Note: "
    ),
    "reminder.posted": lambda d, by: f'Letter "{_g(d, "stage")}" posted by {by}',
    "reminder.failed": lambda d, by: f'Reminder "{_g(d, "stage")}" could not be sent: {_g(d, "reason")}',
    "promise.made": lambda d, by: _with(
        f"Promise to pay by {_g(d, 'promised_on')}, recorded by "
        f"{'the customer' if d.get('source') == 'customer' else by}",
        _g(d, "invoices"),
        "Invoices: ",
    ),
    "promise.kept": lambda d, by: "Promise to pay kept",
    "promise.broken": lambda d, by: f"Promise to pay by {_g(d, 'promised_on')} broken: not paid in time",
    "promise.cancelled": lambda d, by: _with(
        f"Promise to pay cancelled by {by}", _g(d, "reason"), "Reason: "
    ),
    "dispute.raised": lambda d, by: _with(
        f"Invoice disputed by {'the customer' if d.get('source') == 'customer' else by}",
        _g(d, "reason"),
        "Reason: ",
    ),
    "dispute.message": lambda d, by: _with(
        f"Message on the dispute from {'the customer' if d.get('author') == 'customer' else by}",
        _g(d, "text"),
    ),
    "dispute.resolved": lambda d, by: (
        _with("Dispute closed by a credit in the ledger", _g(d, "credit_note"), "Credit note: ")
        if d.get("outcome") == "credited"
        else _with(f"Dispute resolved by {by}", _g(d, "note"), "Note: ")
    ),
    "hold.placed": lambda d, by: f"Put on credit hold by {by}: {_g(d, 'why')}",
    "hold.lifted": lambda d, by: f"Credit hold lifted by {by}: {_g(d, 'why')}",
    "hold.limit": lambda d, by: (
        f"Credit limit set by {by}" if d.get("amount") else f"Credit limit removed by {by}"
    ),
    "fee.approved": lambda d, by: f"Late fee on invoice {_g(d, 'invoice')} approved by {by}",
    "fee.skipped": lambda d, by: f"Late fee on invoice {_g(d, 'invoice')} skipped by {by}: {_g(d, 'reason')}",
    "fee.raised": lambda d, by: (
        f"Late fee on invoice {_g(d, 'invoice')} raised in the ledger as invoice {_g(d, 'fee_invoice')}"
    ),
    "discount.settled": lambda d, by: (
        f"Paid at the early-payment price; the rest credited by credit note {_g(d, 'credit_note')}"
    ),
}


def describe(entry: TimelineEntry) -> str:
    """The event in plain English; a kind not known here as "kind: key=value; …"."""
    details = dict(entry.details or {})
    found = DESCRIPTIONS.get(entry.kind)
    if found is not None:
        return found(details, entry.actor or "Relance")
    if not details:
        return ""
    listed = "; ".join(f"{name}={_g(details, name)}" for name in sorted(details))
    return f"{entry.kind}: {listed}"


def _number(entry: TimelineEntry) -> str:
    details = entry.details or {}
    return entry.number or _g(details, "number") or _g(details, "invoice")


def _money_of(entry: TimelineEntry) -> tuple[str, str]:
    """The entry's amount and currency: the mirror's, else the details' (promise, fee, limit)."""
    if entry.amount is not None:
        return _amount(entry.amount), entry.currency
    details = entry.details or {}
    try:
        amount = Decimal(_g(details, "amount")) if details.get("amount") else None
    except ArithmeticError:
        amount = None
    return _amount(amount), _g(details, "currency") if amount is not None else ""


def history_csv(session: Session, organisation: Organisation, customer: Customer) -> str:
    """Everything that happened to the customer's account, oldest first."""
    entries = timeline_of(session, customer, organisation.timezone, limit=LONGEST_HISTORY)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HISTORY_COLUMNS)
    for entry in reversed(entries):
        amount, currency = _money_of(entry)
        writer.writerow(
            [
                entry.on.isoformat(),
                entry.at.strftime("%H:%M") if entry.at else "",
                KIND_NAMES.get(entry.kind, entry.kind),
                _text(_number(entry)),
                amount,
                currency,
                entry.status,
                _text(entry.actor),
                _text(describe(entry)),
            ]
        )
    return out.getvalue()


def handoff_pack(session: Session, organisation: Organisation, customer: Customer, language: str) -> bytes:
    """The ZIP of the statement, the open invoices and the contact history of ``customer``.
    Raises reminders.reports.exports.PdfUnavailable when the server cannot make PDFs."""
    from reminders.dispatch.documents import statement_pdf
    from reminders.dispatch.send import locale_for
    from reminders.holds import is_on_hold

    today = clock.today(organisation.timezone)
    # As the reminders' statements are: on hold said, dates the organisation's country's way.
    statement = statement_pdf(
        session,
        organisation.id,
        customer.id,
        today,
        locale_for(language, organisation.country),
        on_hold=is_on_hold(session, organisation.id, customer.id),
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as pack:
        pack.writestr("statement.pdf", statement)
        pack.writestr("invoices.csv", invoices_csv(session, organisation, customer))
        pack.writestr("history.csv", history_csv(session, organisation, customer))
    return out.getvalue()
