"""/CreditNotes, /Overpayments, /Prepayments: list, get, create credit notes, allocate to invoices.

Overpayments and prepayments are created in Xero through BankTransactions (RECEIVE-OVERPAYMENT,
RECEIVE-PREPAYMENT); the sandbox creates them through its admin API and serves them here.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, request

from .batch import write_elements
from .books import OrganisationBooks, new_id
from .context import answer, books_of
from .document_input import (
    ElementInvalid,
    currency_of,
    dates_of,
    line_amount_types_of,
    parse_line_items,
    resolve_contact,
)
from .errors import NotFound
from .models import Allocation, Credit
from .parsing import FieldInvalid, body_json, elements, parse_date, parse_decimal
from .queries import csv_list, page_request, paginate, select
from .wire import CREDIT_COLLECTIONS, allocation_json, credit_json

if TYPE_CHECKING:
    from .sandbox import XeroSandbox

CREDIT_NOTE_TYPES = {"ACCRECCREDIT", "ACCPAYCREDIT"}


def credit_view(books: OrganisationBooks, kind: str) -> Any:
    def view(credit: Credit) -> dict[str, Any]:
        contact = books.contacts.get(credit.contact_id)
        return {
            f"{kind}ID": credit.credit_id,
            "Type": credit.type,
            "Status": credit.status,
            "Date": credit.date,
            "Total": credit.total,
            "RemainingCredit": credit.remaining_credit,
            "CurrencyCode": credit.currency_code,
            "UpdatedDateUTC": credit.updated_at,
            "Contact.ContactID": credit.contact_id,
            "Contact.Name": contact.name if contact else "",
            "CreditNoteNumber": credit.number,
            "Reference": credit.reference,
        }

    return view


def credit_fields(kind: str) -> set[str]:
    return {
        f"{kind}ID",
        "Type",
        "Status",
        "Date",
        "Total",
        "RemainingCredit",
        "CurrencyCode",
        "UpdatedDateUTC",
        "Contact.ContactID",
        "Contact.Name",
        "CreditNoteNumber",
        "Reference",
    }


def save_credit_note(books: OrganisationBooks, data: dict[str, Any], allow_update: bool) -> Credit:
    """Create a credit note, or change the status of one (POST with CreditNoteID)."""
    existing = books.credits.get(str(data.get("CreditNoteID") or "").lower())
    if existing is not None and existing.kind == "CreditNote":
        if not allow_update:
            raise ElementInvalid("A credit note with this CreditNoteID already exists")
        credit = copy.deepcopy(existing)
        status = str(data.get("Status") or credit.status).upper()
        allowed = {
            "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
            "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
            "AUTHORISED": {"AUTHORISED", "VOIDED"},
        }.get(credit.status, set())
        if status not in allowed or (status == "VOIDED" and credit.applied > 0):
            raise ElementInvalid("Credit note not of valid status for modification")
        if data.get("LineItems") is not None and credit.status in ("DRAFT", "SUBMITTED"):
            credit.line_items = parse_line_items(
                data["LineItems"], credit.line_amount_types, credit.type == "ACCRECCREDIT"
            )
        credit.reference = str(data.get("Reference", credit.reference) or "")
        credit.status = status
        return books.save_credit(credit, created=False)
    kind = str(data.get("Type") or "")
    if kind not in CREDIT_NOTE_TYPES:
        raise ElementInvalid("Credit note Type must be ACCRECCREDIT or ACCPAYCREDIT")  # unconfirmed wording
    status = str(data.get("Status") or "DRAFT").upper()
    if status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
        raise ElementInvalid("Credit note not of valid status for creation")
    contact = resolve_contact(books, data.get("Contact"))
    day, _ = dates_of(data)
    amount_types = line_amount_types_of(data)
    lines = parse_line_items(data.get("LineItems") or [], amount_types, kind == "ACCRECCREDIT")
    if status != "DRAFT" and not lines:
        raise ElementInvalid("Credit note must have at least one line item to be approved")  # unconfirmed
    currency, rate = currency_of(books, data)
    credit = Credit(
        credit_id=new_id(),
        kind="CreditNote",
        type=kind,
        contact_id=contact.contact_id,
        date=day or books.clock.today(),
        status=status,
        updated_at=books.now(),
        currency_code=currency,
        number=str(data.get("CreditNoteNumber") or books.next_number("CN")),
        reference=str(data.get("Reference") or ""),
        line_amount_types=amount_types,
        line_items=lines,
        currency_rate=rate,
    )
    books.mark_customer(contact.contact_id, kind == "ACCRECCREDIT")
    return books.save_credit(credit, created=True)


def allocate(books: OrganisationBooks, credit: Credit, data: dict[str, Any]) -> Allocation:
    """One allocation element: {"Invoice": {"InvoiceID"}, "Amount", "Date"}."""
    named = data.get("Invoice")
    reference = named if isinstance(named, dict) else {}
    invoice = books.find_invoice(str(reference.get("InvoiceID") or reference.get("InvoiceNumber") or ""))
    if invoice is None:
        raise ElementInvalid("Invoice could not be found")  # unconfirmed wording
    if invoice.contact_id != credit.contact_id:
        raise ElementInvalid("The invoice and the credit must belong to the same contact")  # unconfirmed
    try:
        amount = parse_decimal(data.get("Amount"), "Amount")
        on = parse_date(data.get("Date"), "Date") or books.clock.today()
    except FieldInvalid as invalid:
        raise ElementInvalid(str(invalid)) from None
    if amount is None:
        raise ElementInvalid("Amount is required")
    return books.allocate(credit, invoice, amount, on)


def credits_blueprint(bp: Blueprint, sandbox: XeroSandbox) -> None:
    """Register the credit note, overpayment and prepayment routes."""

    def credit_or_404(books: OrganisationBooks, kind: str, credit_id: str) -> Credit:
        credit = books.credits.get(credit_id.lower())
        if credit is None or credit.kind != kind:
            raise NotFound()
        return credit

    for kind, collection in CREDIT_COLLECTIONS.items():

        def list_credits(kind: str = kind, collection: str = collection) -> Response:
            books = books_of(sandbox)
            page, size = page_request()
            references = set(csv_list("References"))  # Overpayments and Prepayments (OAS-ACC)
            numbers = set(csv_list("InvoiceNumbers"))  # Prepayments (OAS-ACC)
            with books.lock:
                chosen = select(
                    [
                        c
                        for c in books.credits.values()
                        if c.kind == kind
                        and (not references or c.reference in references)
                        and (not numbers or c.number in numbers)
                    ],
                    credit_view(books, kind),
                    credit_fields(kind),
                )
                rows, pagination = paginate(chosen, page, size)
                items = [
                    credit_json(c, books, with_lines=page is not None or kind != "CreditNote") for c in rows
                ]
            return answer(sandbox, collection, items, **({"pagination": pagination} if pagination else {}))

        def get_credit(credit_id: str, kind: str = kind, collection: str = collection) -> Response:
            books = books_of(sandbox)
            with books.lock:
                return answer(
                    sandbox, collection, [credit_json(credit_or_404(books, kind, credit_id), books)]
                )

        def put_allocations(credit_id: str, kind: str = kind) -> Response:
            books = books_of(sandbox)
            credit = credit_or_404(books, kind, credit_id)
            return write_elements(
                sandbox,
                "Allocations",
                elements(body_json(), "Allocations"),
                lambda e: allocate(books, credit, e),
                lambda a: allocation_json(a, books),
                lock=books.lock,
            )

        bp.add_url_rule(f"/{collection}", f"list_{collection}", list_credits, methods=["GET"])
        bp.add_url_rule(f"/{collection}/<credit_id>", f"get_{collection}", get_credit, methods=["GET"])
        bp.add_url_rule(
            f"/{collection}/<credit_id>/Allocations",
            f"allocate_{collection}",
            put_allocations,
            methods=["PUT"],
        )

    @bp.route("/CreditNotes", methods=["PUT", "POST"])
    def write_credit_notes() -> Response:
        books = books_of(sandbox)
        allow_update = request.method == "POST"
        return write_elements(
            sandbox,
            "CreditNotes",
            elements(body_json(), "CreditNotes"),
            lambda e: save_credit_note(books, e, allow_update),
            lambda c: credit_json(c, books),
            lock=books.lock,
        )
