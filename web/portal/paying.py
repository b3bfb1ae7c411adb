"""Paying from the portal: the ledger's own payment page for an invoice (Xero's online invoice,
QuickBooks' InvoiceLink), and the organisation's bank details for a transfer, with the invoice
numbers to quote as the reference. A ledger with no payment page for the invoice, or one that
cannot be reached, leaves the customer the transfer: never an error page."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from reminders.portal.links import settings_of
from reminders.portal.payment_links import payment_link
from runtime.db import db
from web.portal import Visit, portal, visit
from web.portal.pages import INVOICE_ACTIONS, PARTS, PortalInvoice, invoice_of
from web.throttle import rate_limited

PAYMENTS_PER_MINUTE = 30


def bank_details(found: Visit) -> str:
    return settings_of(db.session(), found.organisation.id).bank_details.strip()


@portal.get("/invoices/<int:invoice_id>/pay")
@rate_limited("portal-pay", PAYMENTS_PER_MINUTE)
def pay(invoice_id: int) -> ResponseReturnValue:
    found = visit()
    invoice = invoice_of(found, invoice_id)
    url = payment_link(db.session(), found.organisation.id, invoice.ledger_id)
    if url is not None:
        return redirect(url, 303)
    return render_template("portal/pay.html", visit=found, invoice=invoice, bank=bank_details(found))


def _bank_part(found: Visit, invoices: list[PortalInvoice]) -> dict[str, Any] | None:
    details = bank_details(found)
    if not details or not invoices:
        return None
    return {"bank": details, "reference": ", ".join(i.number for i in invoices if i.number)}


INVOICE_ACTIONS.insert(0, ("portal.pay", _l("Pay online")))
PARTS.insert(0, ("portal/parts/bank.html", _bank_part))
