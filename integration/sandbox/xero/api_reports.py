"""/Organisation and /Reports/AgedReceivablesByContact (OAS-ACC example shape).

The report follows Xero's "Accounts Receivable Invoices" report
(https://help.xero.com/us/Report_AgedreceivableInvoices): "The report shows each invoice, credit
note, overpayment or prepayment within the relevant period ... the totals on each, less any credits
and payments, and the amount currently owing to you." Every amount is as at the report `date`:
an invoice owes its total less the payments and allocations (from credit notes, overpayments and
prepayments alike) dated on or before it; a credit is listed with negative amounts while some of it
was still unallocated on that date. Rows dated before `fromDate` fold into the Opening Balance,
rows after `toDate` are left out, and each amount stays in its transaction's own currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, request

from .books import OrganisationBooks
from .context import answer, books_of
from .errors import ValidationFailed
from .models import ZERO, Credit, Invoice
from .parsing import FieldInvalid, parse_date
from .wire import ms_envelope_datetime
from .wire_parties import organisation_json

if TYPE_CHECKING:
    from .sandbox import XeroSandbox

COLUMNS = ("Date", "Number", "Due Date", "", "Total", "Paid", "Credited", "Due")
CREDIT_TYPES = {"ACCRECCREDIT", "RECEIVE-OVERPAYMENT", "RECEIVE-PREPAYMENT"}
# The attribute naming a credit's row is unconfirmed; invoices' "invoiceID" is in the OAS-ACC example.
CREDIT_ID_ATTRIBUTES = {
    "CreditNote": "creditNoteID",
    "Overpayment": "overpaymentID",
    "Prepayment": "prepaymentID",
}


@dataclass(frozen=True)
class AgedLine:
    """One invoice or credit on the report, its amounts as at the report date (credits negative)."""

    on: date
    number: str
    due_date: date | None
    total: Decimal
    paid: Decimal
    credited: Decimal
    due: Decimal
    id_name: str
    id_value: str

    @property
    def amounts(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        return self.total, self.paid, self.credited, self.due


def _long_date(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def _cells(values: list[str], attribute: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    extra = {"Attributes": [{"Value": attribute[1], "Id": attribute[0]}]} if attribute else {}
    return [{"Value": v, **extra} for v in values]


def _allocated_by(books: OrganisationBooks, allocation_ids: list[str], as_at: date) -> Decimal:
    """What live allocations dated on or before the report date moved."""
    allocations = (books.allocations[i] for i in allocation_ids)
    return sum((a.amount for a in allocations if not a.is_deleted and a.date <= as_at), ZERO)


def invoice_line(books: OrganisationBooks, invoice: Invoice, as_at: date) -> AgedLine | None:
    """A sales invoice with what was still due on the report date, or None if nothing was."""
    if invoice.type != "ACCREC" or invoice.status not in ("AUTHORISED", "PAID") or invoice.date > as_at:
        return None
    payments = (books.payments[i] for i in invoice.payment_ids)
    paid = sum((p.amount for p in payments if p.status == "AUTHORISED" and p.date <= as_at), ZERO)
    credited = _allocated_by(books, invoice.allocation_ids, as_at)
    due = invoice.total - paid - credited
    if due <= ZERO:
        return None
    return AgedLine(
        invoice.date,
        invoice.invoice_number,
        invoice.due_date,
        invoice.total,
        paid,
        credited,
        due,
        "invoiceID",
        invoice.invoice_id,
    )


def credit_line(books: OrganisationBooks, credit: Credit, as_at: date) -> AgedLine | None:
    """A sales credit with what was still unallocated on the report date, or None if nothing was."""
    if credit.type not in CREDIT_TYPES or credit.status not in ("AUTHORISED", "PAID") or credit.date > as_at:
        return None
    allocated = _allocated_by(books, credit.allocation_ids, as_at)
    remaining = credit.total - allocated
    if remaining <= ZERO:
        return None
    number = credit.number if credit.kind == "CreditNote" else credit.reference
    # Negated so that Total - Paid - Credited = Due holds as on invoice rows.
    return AgedLine(
        credit.date,
        number,
        None,
        -credit.total,
        ZERO,
        -allocated,
        -remaining,
        CREDIT_ID_ATTRIBUTES[credit.kind],
        credit.credit_id,
    )


def aged_lines(books: OrganisationBooks, contact_id: str, as_at: date) -> list[AgedLine]:
    """The contact's open invoices and unallocated credits on the report date, in date order."""
    lines = [invoice_line(books, i, as_at) for i in books.invoices.values() if i.contact_id == contact_id]
    lines += [credit_line(books, c, as_at) for c in books.credits.values() if c.contact_id == contact_id]
    return sorted((line for line in lines if line is not None), key=lambda x: (x.on, x.number, x.id_value))


def _row(line: AgedLine, as_at: date) -> dict[str, Any]:
    overdue = (as_at - line.due_date).days if line.due_date and line.due_date < as_at else 0
    values = [
        f"{line.on.isoformat()}T00:00:00",
        line.number,
        f"{line.due_date.isoformat()}T00:00:00" if line.due_date else "",
        f"{overdue} days overdue" if overdue else "",
        *(f"{amount:.2f}" for amount in line.amounts),
    ]
    return {"RowType": "Row", "Cells": _cells(values, (line.id_name, line.id_value))}


def aged_receivables(
    books: OrganisationBooks, contact_id: str, as_at: date, from_date: date, to_date: date
) -> dict[str, Any]:
    """The report: opening balance, one row per open invoice or credit dated in the range, totals, closing."""
    contact = books.contacts.get(contact_id)
    lines = aged_lines(books, contact_id, as_at)
    opening = sum((line.due for line in lines if line.on < from_date), ZERO)
    shown = [line for line in lines if from_date <= line.on <= to_date]
    totals = [sum((line.amounts[index] for line in shown), ZERO) for index in range(4)]
    body_rows = [
        *(_row(line, as_at) for line in shown),
        {"RowType": "SummaryRow", "Cells": _cells(["Total", "", "", ""] + [f"{t:.2f}" for t in totals])},
    ]
    closing = [f"{totals[0]:.2f}", f"{totals[1]:.2f}", f"{totals[2]:.2f}", f"{opening + totals[3]:.2f}"]
    return {
        "ReportID": "AgedReceivablesByContact",
        "ReportName": "Aged Receivables By Contact",
        "ReportType": "AgedReceivablesByContact",
        "ReportTitles": [
            "Invoices",
            contact.name if contact else "",
            f"From {_long_date(from_date)} to {_long_date(to_date)}",
            f"Showing payments to {_long_date(as_at)}",
        ],
        "ReportDate": _long_date(as_at),
        "UpdatedDateUTC": ms_envelope_datetime(books.now()),
        "Fields": [],
        "Rows": [
            {"RowType": "Header", "Cells": [{"Value": c} for c in COLUMNS]},
            {
                "RowType": "Section",
                "Title": "",
                "Rows": [
                    {
                        "RowType": "Row",
                        "Cells": _cells(
                            [
                                f"{from_date.isoformat()}T00:00:00",
                                "Opening Balance",
                                "",
                                "",
                                "",
                                "",
                                "",
                                f"{opening:.2f}",
                            ]
                        ),
                    }
                ],
            },
            {"RowType": "Section", "Title": "", "Rows": body_rows},
            {
                "RowType": "Section",
                "Title": "",
                "Rows": [
                    {"RowType": "SummaryRow", "Cells": _cells(["Closing Balance", "", "", "", *closing])}
                ],
            },
        ],
    }


def _date_arg(name: str) -> date | None:
    """A date query parameter; OAS-ACC spells them fromDate/toDate, the capitalised form is accepted too."""
    capitalised = name[0].upper() + name[1:]
    return parse_date(request.args.get(name) or request.args.get(capitalised), name)


def reports_blueprint(bp: Blueprint, sandbox: XeroSandbox) -> None:
    """Register Organisation and the aged receivables report."""

    @bp.get("/Organisation")
    def organisation() -> Response:
        return answer(sandbox, "Organisations", [organisation_json(books_of(sandbox))])

    @bp.get("/Reports/AgedReceivablesByContact")
    def aged_receivables_by_contact() -> Response:
        books = books_of(sandbox)
        contact_id = (request.args.get("contactId") or "").lower()
        if contact_id not in books.contacts:
            raise ValidationFailed.single("A valid contactId is required")  # unconfirmed wording
        try:
            as_at = _date_arg("date") or books.clock.today()
            to_date = _date_arg("toDate") or as_at
            from_date = _date_arg("fromDate") or (to_date - timedelta(days=365))
        except FieldInvalid as invalid:
            raise ValidationFailed.single(str(invalid)) from None
        with books.lock:
            report = aged_receivables(books, contact_id, as_at, from_date, to_date)
        return answer(sandbox, "Reports", [report])
