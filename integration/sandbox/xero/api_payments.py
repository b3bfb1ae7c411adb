"""/Payments: list, get, create against an invoice (AmountDue, Status, UpdatedDateUTC follow), delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response

from .batch import write_elements
from .books import OrganisationBooks
from .context import answer, books_of
from .document_input import ElementInvalid
from .errors import NotFound
from .models import Payment
from .parsing import FieldInvalid, body_json, elements, parse_date, parse_decimal
from .queries import page_request, paginate, select
from .wire import payment_json

if TYPE_CHECKING:
    from .sandbox import XeroSandbox

PAYMENT_FIELDS = {
    "PaymentID",
    "Date",
    "Amount",
    "Status",
    "PaymentType",
    "Reference",
    "UpdatedDateUTC",
    "Invoice.InvoiceID",
    "Invoice.Type",
    "Invoice.Contact.ContactID",
    "IsReconciled",
}


def payment_view(books: OrganisationBooks) -> Any:
    def view(payment: Payment) -> dict[str, Any]:
        invoice = books.invoices.get(payment.invoice_id or "")
        return {
            "PaymentID": payment.payment_id,
            "Date": payment.date,
            "Amount": payment.amount,
            "Status": payment.status,
            "PaymentType": payment.payment_type,
            "Reference": payment.reference,
            "UpdatedDateUTC": payment.updated_at,
            "Invoice.InvoiceID": payment.invoice_id,
            "Invoice.Type": invoice.type if invoice else None,
            "Invoice.Contact.ContactID": invoice.contact_id if invoice else None,
            "IsReconciled": False,
        }

    return view


def create_payment(books: OrganisationBooks, data: dict[str, Any]) -> Payment:
    """A payment against the invoice named by InvoiceID or InvoiceNumber."""
    named = data.get("Invoice")
    reference = named if isinstance(named, dict) else {}
    key = reference.get("InvoiceID") or reference.get("InvoiceNumber") or data.get("InvoiceNumber")
    if not key:
        raise ElementInvalid("You must specify either an Invoice, CreditNote, Prepayment or Overpayment")
    invoice = books.find_invoice(str(key))
    if invoice is None:
        raise ElementInvalid("Invoice could not be found")  # unconfirmed wording
    given = data.get("Account")
    account = given if isinstance(given, dict) else {}
    if not (account.get("Code") or account.get("AccountID") or data.get("Code")):
        raise ElementInvalid("Account code or AccountID must be specified")  # unconfirmed wording
    try:
        amount = parse_decimal(data.get("Amount"), "Amount")
        paid_on = parse_date(data.get("Date"), "Date") or books.clock.today()
        rate = parse_decimal(data.get("CurrencyRate"), "CurrencyRate")
    except FieldInvalid as invalid:
        raise ElementInvalid(str(invalid)) from None
    if amount is None:
        raise ElementInvalid("Amount is required")  # unconfirmed wording
    payment = books.pay_invoice(
        invoice,
        amount,
        paid_on,
        str(account.get("Code") or data.get("Code") or "090"),
        str(data.get("Reference") or ""),
        rate,
    )
    if account.get("AccountID"):
        payment.account_id = str(account["AccountID"])
    return payment


def payments_blueprint(bp: Blueprint, sandbox: XeroSandbox) -> None:
    """Register the payment routes."""

    @bp.get("/Payments")
    def list_payments() -> Response:
        books = books_of(sandbox)
        page, size = page_request()
        with books.lock:
            chosen = select(list(books.payments.values()), payment_view(books), PAYMENT_FIELDS)
            rows, pagination = paginate(chosen, page, size)
            items = [payment_json(p, books) for p in rows]
        return answer(sandbox, "Payments", items, **({"pagination": pagination} if pagination else {}))

    @bp.get("/Payments/<payment_id>")
    def get_payment(payment_id: str) -> Response:
        books = books_of(sandbox)
        payment = books.payments.get(payment_id.lower())
        if payment is None:
            raise NotFound()
        return answer(sandbox, "Payments", [payment_json(payment, books)])

    @bp.route("/Payments", methods=["PUT", "POST"])
    def put_payments() -> Response:
        books = books_of(sandbox)
        return write_elements(
            sandbox,
            "Payments",
            elements(body_json(), "Payments"),
            lambda e: create_payment(books, e),
            lambda p: payment_json(p, books),
            lock=books.lock,
        )

    @bp.post("/Payments/<payment_id>")
    def delete_payment(payment_id: str) -> Response:
        """Xero deletes a payment by posting {"Status": "DELETED"} (SDK delete_payment)."""
        books = books_of(sandbox)
        payment = books.payments.get(payment_id.lower())
        if payment is None:
            raise NotFound()

        def apply(element: dict[str, Any]) -> Payment:
            if str(element.get("Status") or "").upper() != "DELETED":
                raise ElementInvalid("Only the Status of a payment can be changed, to DELETED")
            return books.delete_payment(payment)

        return write_elements(
            sandbox,
            "Payments",
            elements(body_json(), "Payments")[:1],
            apply,
            lambda p: payment_json(p, books),
            lock=books.lock,
        )
