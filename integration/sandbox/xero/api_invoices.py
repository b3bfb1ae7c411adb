"""/Invoices: list (filters, paging, If-Modified-Since), get, create, update, OnlineInvoice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, g, request

from .batch import write_elements
from .books import OrganisationBooks
from .context import answer, books_of
from .document_input import ElementInvalid
from .errors import NotFound, ValidationFailed
from .invoice_input import create_invoice, update_invoice
from .models import Invoice
from .parsing import body_json, elements
from .queries import csv_list, flag, page_request, paginate, select
from .wire import invoice_json

if TYPE_CHECKING:
    from .sandbox import XeroSandbox

INVOICE_FIELDS = {
    "Type",
    "Status",
    "InvoiceID",
    "InvoiceNumber",
    "Reference",
    "Date",
    "DueDate",
    "AmountDue",
    "AmountPaid",
    "AmountCredited",
    "Total",
    "SubTotal",
    "TotalTax",
    "CurrencyCode",
    "UpdatedDateUTC",
    "Contact.ContactID",
    "Contact.Name",
    "FullyPaidOnDate",
    "SentToContact",
    "HasAttachments",
}


def invoice_view(books: OrganisationBooks) -> Any:
    """The where/order view of an invoice: field name -> Python value."""

    def view(invoice: Invoice) -> dict[str, Any]:
        contact = books.contacts.get(invoice.contact_id)
        return {
            "Type": invoice.type,
            "Status": invoice.status,
            "InvoiceID": invoice.invoice_id,
            "InvoiceNumber": invoice.invoice_number,
            "Reference": invoice.reference,
            "Date": invoice.date,
            "DueDate": invoice.due_date,
            "AmountDue": invoice.amount_due,
            "AmountPaid": invoice.amount_paid,
            "AmountCredited": invoice.amount_credited,
            "Total": invoice.total,
            "SubTotal": invoice.sub_total,
            "TotalTax": invoice.total_tax,
            "CurrencyCode": invoice.currency_code,
            "UpdatedDateUTC": invoice.updated_at,
            "Contact.ContactID": invoice.contact_id,
            "Contact.Name": contact.name if contact else "",
            "FullyPaidOnDate": invoice.fully_paid_on,
            "SentToContact": invoice.sent_to_contact,
            "HasAttachments": False,
        }

    return view


def find_invoice_or_404(books: OrganisationBooks, key: str) -> Invoice:
    invoice = books.find_invoice(key)
    if invoice is None:
        raise NotFound()
    return invoice


def invoices_blueprint(bp: Blueprint, sandbox: XeroSandbox) -> None:
    """Register the invoice routes on the accounting blueprint."""

    @bp.get("/Invoices")
    def list_invoices() -> Response:
        books = books_of(sandbox)
        ids = {i.lower() for i in csv_list("IDs")}
        numbers = set(csv_list("InvoiceNumbers"))
        contact_ids = {c.lower() for c in csv_list("ContactIDs")}
        statuses = {s.upper() for s in csv_list("Statuses")}
        mine = flag("createdByMyApp")
        term = (request.args.get("searchTerm") or "").lower()

        def keep(invoice: Invoice) -> bool:
            return (
                (not ids or invoice.invoice_id in ids)
                and (not numbers or invoice.invoice_number in numbers)
                and (not contact_ids or invoice.contact_id in contact_ids)
                and (not statuses or invoice.status in statuses)
                and (not mine or invoice.created_by_client == g.client_id)
                and (not term or term in invoice.invoice_number.lower() or term in invoice.reference.lower())
            )

        page, size = page_request()
        summary = flag("summaryOnly")
        unitdp = int(request.args.get("unitdp") or 2)
        with books.lock:
            chosen = select(list(books.invoices.values()), invoice_view(books), INVOICE_FIELDS, keep)
            rows, pagination = paginate(chosen, page, size)
            # Unpaged lists come without line items (xero-node#270, quoting Xero's docs).
            items = [
                invoice_json(i, books, with_lines=page is not None, summary_only=summary, unitdp=unitdp)
                for i in rows
            ]
        extra = {"pagination": pagination} if pagination else {}
        return answer(sandbox, "Invoices", items, **extra)

    @bp.get("/Invoices/<invoice_id>")
    def get_invoice(invoice_id: str) -> Response:
        books = books_of(sandbox)
        with books.lock:
            invoice = find_invoice_or_404(books, invoice_id)
            unitdp = int(request.args.get("unitdp") or 2)
            return answer(sandbox, "Invoices", [invoice_json(invoice, books, unitdp=unitdp)])

    def save(books: OrganisationBooks, allow_update: bool):
        def apply(element: dict[str, Any]) -> Invoice:
            key = element.get("InvoiceID") or (element.get("InvoiceNumber") if allow_update else None)
            existing = books.find_invoice(str(key)) if key else None
            if existing is not None and allow_update:
                return update_invoice(books, existing, element)
            if existing is not None:
                # PUT only creates (OAS-ACC createInvoices); the wording of Xero's refusal is unconfirmed.
                raise ElementInvalid("An existing invoice cannot be changed with PUT; use POST to update it")
            if element.get("InvoiceID") and existing is None:
                raise ElementInvalid(f"Invoice with InvoiceID {element['InvoiceID']} could not be found")
            return create_invoice(books, element, g.client_id)

        return apply

    @bp.route("/Invoices", methods=["PUT", "POST"])
    def write_invoices() -> Response:
        """PUT creates; POST creates or updates (an element with an InvoiceID updates it)."""
        books = books_of(sandbox)
        items = elements(body_json(), "Invoices")
        return write_elements(
            sandbox,
            "Invoices",
            items,
            save(books, allow_update=request.method == "POST"),
            lambda i: invoice_json(i, books),
            lock=books.lock,
        )

    @bp.post("/Invoices/<invoice_id>")
    def post_invoice(invoice_id: str) -> Response:
        books = books_of(sandbox)
        invoice = find_invoice_or_404(books, invoice_id)
        items = elements(body_json(), "Invoices")[:1]
        return write_elements(
            sandbox,
            "Invoices",
            items,
            lambda e: update_invoice(books, invoice, e),
            lambda i: invoice_json(i, books),
            lock=books.lock,
        )

    @bp.get("/Invoices/<invoice_id>/OnlineInvoice")
    def online_invoice(invoice_id: str) -> Response:
        books = books_of(sandbox)
        invoice = find_invoice_or_404(books, invoice_id)
        if invoice.type != "ACCREC" or invoice.status in ("DRAFT", "DELETED"):
            # Only sent or authorised sales invoices have a link (xero-details.md 4.7, unconfirmed).
            raise ValidationFailed.single(
                "Online invoice is not available for this invoice", {"InvoiceID": invoice.invoice_id}
            )
        url = f"{request.host_url.rstrip('/')}/in/{invoice.invoice_id.replace('-', '')}"
        return answer(sandbox, "OnlineInvoices", [{"OnlineInvoiceUrl": url}])
