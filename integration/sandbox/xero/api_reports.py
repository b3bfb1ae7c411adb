"""/Organisation and /Reports/AgedReceivablesByContact (OAS-ACC example shape)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, request

from .context import answer, books_of
from .errors import ValidationFailed
from .models import ZERO, Invoice
from .parsing import FieldInvalid, parse_date
from .wire import ms_envelope_datetime
from .wire_parties import organisation_json

if TYPE_CHECKING:
    from .sandbox import XeroSandbox

COLUMNS = ("Date", "Number", "Due Date", "", "Total", "Paid", "Credited", "Due")


def _long_date(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def _cells(values: list[str], invoice_id: str | None = None) -> list[dict[str, Any]]:
    attributes = [{"Value": invoice_id, "Id": "invoiceID"}] if invoice_id else None
    return [{"Value": v, **({"Attributes": attributes} if attributes else {})} for v in values]


def _amounts_at(invoice: Invoice, books, as_at: date) -> tuple[Decimal, Decimal, Decimal]:
    """Paid and credited up to the report date, and what was due then."""
    paid = sum(
        (
            p.amount
            for p in (books.payments[i] for i in invoice.payment_ids)
            if p.status == "AUTHORISED" and p.date <= as_at
        ),
        ZERO,
    )
    credited = sum(
        (
            a.amount
            for a in (books.allocations[i] for i in invoice.allocation_ids)
            if not a.is_deleted and a.date <= as_at
        ),
        ZERO,
    )
    return paid, credited, invoice.total - paid - credited


def aged_receivables(books, contact_id: str, as_at: date, from_date: date, to_date: date) -> dict[str, Any]:
    """The report: opening balance, one row per open invoice dated in the range, totals, closing balance."""
    contact = books.contacts.get(contact_id)
    opening = ZERO
    rows = []
    totals = [ZERO, ZERO, ZERO, ZERO]
    for invoice in sorted(books.invoices.values(), key=lambda i: (i.date, i.invoice_number)):
        if invoice.contact_id != contact_id or invoice.type != "ACCREC" or invoice.date > as_at:
            continue
        if invoice.status not in ("AUTHORISED", "PAID"):
            continue
        paid, credited, due = _amounts_at(invoice, books, as_at)
        if due <= ZERO:
            continue
        if invoice.date < from_date:
            opening += due
            continue
        if invoice.date > to_date:
            continue
        overdue = (as_at - invoice.due_date).days if invoice.due_date and invoice.due_date < as_at else 0
        rows.append(
            {
                "RowType": "Row",
                "Cells": _cells(
                    [
                        f"{invoice.date.isoformat()}T00:00:00",
                        invoice.invoice_number,
                        f"{invoice.due_date.isoformat()}T00:00:00" if invoice.due_date else "",
                        f"{overdue} days overdue" if overdue else "",
                        f"{invoice.total:.2f}",
                        f"{paid:.2f}",
                        f"{credited:.2f}",
                        f"{due:.2f}",
                    ],
                    invoice.invoice_id,
                ),
            }
        )
        for index, amount in enumerate((invoice.total, paid, credited, due)):
            totals[index] += amount
    body_rows = [
        *rows,
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
            as_at = parse_date(request.args.get("date"), "date") or books.clock.today()
            to_date = parse_date(request.args.get("ToDate"), "ToDate") or as_at
            from_date = parse_date(request.args.get("FromDate"), "FromDate") or (
                to_date - timedelta(days=365)
            )
        except FieldInvalid as invalid:
            raise ValidationFailed.single(str(invalid)) from None
        with books.lock:
            report = aged_receivables(books, contact_id, as_at, from_date, to_date)
        return answer(sandbox, "Reports", [report])
