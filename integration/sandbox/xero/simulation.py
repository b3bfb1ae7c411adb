"""Things that happen in the customer's world: invoices raised, customers paying, time passing.

Used by the admin API, by tests and by `make demo`. Customers pay according to their persona
(common.personas), deterministically per sandbox seed and invoice, so a demo replays the same
story; a "pays after a reminder" customer waits for a note on the invoice (see api_history).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from ..common.personas import Persona, payment_intent
from .books import OrganisationBooks, new_id
from .models import ZERO, Credit, Invoice, LineItem, Payment
from .parsing import line_tax

DISPUTE_NOTE = "Customer disputes this invoice: goods not received as ordered"


def raise_invoice(
    books: OrganisationBooks,
    contact_id: str,
    amount: Decimal,
    due_in_days: int = 30,
    currency: str | None = None,
    issued: date | None = None,
    description: str = "Services rendered",
    status: str = "AUTHORISED",
) -> Invoice:
    """An authorised sales invoice for `amount` excluding GST."""
    issued = issued or books.clock.today()
    line = LineItem(
        new_id(),
        description,
        Decimal(1),
        amount,
        line_amount=amount,
        tax_amount=line_tax(amount, "OUTPUT2", "Exclusive"),
    )
    invoice = Invoice(
        invoice_id=new_id(),
        type="ACCREC",
        contact_id=contact_id,
        invoice_number=books.next_number("INV"),
        date=issued,
        due_date=issued + timedelta(days=due_in_days),
        status=status,
        updated_at=books.now(),
        currency_code=currency or books.organisation.base_currency,
        line_items=[line],
    )
    return books.save_invoice(invoice, created=True)


def raise_credit(
    books: OrganisationBooks, kind: str, contact_id: str, amount: Decimal, currency: str | None = None
) -> Credit:
    """An authorised overpayment, prepayment or credit note of `amount` (no tax)."""
    types = {
        "Overpayment": "RECEIVE-OVERPAYMENT",
        "Prepayment": "RECEIVE-PREPAYMENT",
        "CreditNote": "ACCRECCREDIT",
    }
    line = LineItem(new_id(), f"{kind} received", Decimal(1), amount, line_amount=amount, tax_type="NONE")
    credit = Credit(
        credit_id=new_id(),
        kind=kind,
        type=types[kind],
        contact_id=contact_id,
        date=books.clock.today(),
        status="AUTHORISED",
        updated_at=books.now(),
        currency_code=currency or books.organisation.base_currency,
        number=books.next_number("CN") if kind == "CreditNote" else "",
        line_amount_types="NoTax",
        line_items=[line],
    )
    return books.save_credit(credit, created=True)


def customers_pay(books: OrganisationBooks, seed: object, today: date | None = None) -> list[Payment]:
    """Let every simulated customer act on their open invoices up to today."""
    today = today or books.clock.today()
    payments = []
    with books.lock:
        open_invoices = [
            i for i in books.invoices.values() if i.type == "ACCREC" and i.status == "AUTHORISED"
        ]
        for invoice in open_invoices:
            contact = books.contacts.get(invoice.contact_id)
            if contact is None or contact.persona is None or invoice.due_date is None:
                continue
            rng = random.Random(f"{seed}/{invoice.invoice_id}")
            intent = payment_intent(
                Persona(contact.persona), rng, invoice.date, invoice.due_date, invoice.first_reminded_on
            )
            if (
                intent.disputes
                and invoice.due_date <= today
                and not any(h.details == DISPUTE_NOTE for h in invoice.history)
            ):
                books.add_note(invoice.history, DISPUTE_NOTE)
                books.save_invoice(invoice, created=False)
            if not intent.due_by(today) or invoice.amount_due <= ZERO:
                continue
            if intent.share < 1 and invoice.amount_paid > ZERO:
                continue  # a partial payer pays once
            amount = (invoice.amount_due * intent.share).quantize(Decimal("0.01"))
            payments.append(books.pay_invoice(invoice, amount, min(intent.pay_on or today, today)))
    return payments
