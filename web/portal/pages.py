"""The portal's own pages: opening a link, the account page, the statement PDF and the logo.

The account page is the customer's open invoices with that organisation (number, dates, total,
what is still due and how late, in each invoice's currency), the totals per currency, "Account on
hold" when it is, and the parts the other portal modules register (``PARTS``) and the actions they
offer on each invoice (``INVOICE_ACTIONS``) and the state they give it (``INVOICE_STATES``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response, abort, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from sqlalchemy import select

from reminders import holds
from reminders.customers import account_of
from reminders.dispatch.documents import statement_pdf
from reminders.logos import logo_of
from reminders.portal.links import LINK_PATH, LinkState, opened, read
from runtime import clock
from runtime.db import db
from sync.models import Invoice
from web.portal import Visit, expired_page, keep, portal, visit
from web.throttle import rate_limited

# Opening links: generous for a person (a clerk opening a dozen customers' links is one of them),
# far too few for anyone trying tokens.
OPENINGS_PER_MINUTE = 30


@dataclass(frozen=True)
class PortalInvoice:
    id: int  # the mirror's id: what the portal's invoice URLs name (never another customer's)
    ledger_id: str
    number: str
    issued_on: date
    due_on: date | None
    currency: str
    total: Decimal
    due: Decimal
    days_late: int


# What other modules add to the account page, in order: (template, context function); the function
# gets the visit and the open invoices and returns the part's context, or None to show nothing.
PartData = Callable[[Visit, list[PortalInvoice]], dict[str, Any] | None]
PARTS: list[tuple[str, PartData]] = []
# Actions offered on each open invoice: (endpoint taking ``invoice_id``, label).
INVOICE_ACTIONS: list[tuple[str, Any]] = []
# What is under way for an invoice (a promise, a dispute): function → {invoice ledger id: words}.
INVOICE_STATES: list[Callable[[Visit], dict[str, str]]] = []
# Actions that make no sense for an invoice now (promising one promised already): function →
# {invoice ledger id: endpoints not offered}.
INVOICE_HIDDEN: list[Callable[[Visit], dict[str, set[str]]]] = []


def open_invoices(found: Visit) -> list[PortalInvoice]:
    """The customer's open invoices today, the oldest due first, as the mirror has them."""
    account = account_of(db.session(), found.organisation, found.customer)
    ids = dict(
        db.session.execute(
            select(Invoice.ledger_id, Invoice.id).where(
                Invoice.organisation_id == found.organisation.id,
                Invoice.customer_ledger_id == found.customer.ledger_id,
                Invoice.ledger_id.in_([row.ledger_id for row in account.open_invoices]),
            )
        ).all()
    )
    rows = [
        PortalInvoice(
            id=ids[row.ledger_id],
            ledger_id=row.ledger_id,
            number=row.number,
            issued_on=row.issued_on,
            due_on=row.due_on,
            currency=row.currency,
            total=row.total,
            due=row.balance,
            days_late=max(row.days_past_due, 0),
        )
        for row in account.open_invoices
        if row.ledger_id in ids and row.balance > 0
    ]
    return sorted(rows, key=lambda r: (r.due_on or r.issued_on, r.number))


def invoice_of(found: Visit, invoice_id: int) -> PortalInvoice:
    """One of the customer's open invoices by its mirror id; 404 for any other (another customer's,
    a paid one, none)."""
    for row in open_invoices(found):
        if row.id == invoice_id:
            return row
    abort(404)


def totals(rows: list[PortalInvoice]) -> list[tuple[str, Decimal, Decimal]]:
    """(currency, due, of which late) per currency, the currencies in order."""
    found: dict[str, tuple[Decimal, Decimal]] = {}
    for row in rows:
        due, late = found.get(row.currency, (Decimal(0), Decimal(0)))
        found[row.currency] = (due + row.due, late + (row.due if row.days_late > 0 else Decimal(0)))
    return [(currency, due, late) for currency, (due, late) in sorted(found.items())]


@portal.get(LINK_PATH.removeprefix("/portal") + "<token>")
@rate_limited("portal-open", OPENINGS_PER_MINUTE)
def open_link(token: str) -> ResponseReturnValue:
    """A link from a reminder: keep it in the session and go to the account, whose URL carries no
    token; an expired link offers a fresh one; anything else shows nothing of anyone."""
    session = db.session()
    found = read(session, token)
    if found.state is LinkState.OPEN and found.link is not None:
        keep(found.link)
        opened(session, found.link)
        session.commit()
        return redirect(url_for("portal.account"), 303)
    if found.state is LinkState.EXPIRED and found.link is not None:
        return expired_page(found.link)
    return render_template("portal/closed.html"), 404


@portal.get("/")
def account() -> ResponseReturnValue:
    found = visit()
    session = db.session()
    rows = open_invoices(found)
    states: dict[str, list[str]] = {}
    for state_of in INVOICE_STATES:
        for ledger_id, words in state_of(found).items():
            states.setdefault(ledger_id, []).append(words)
    hidden: dict[str, set[str]] = {}
    for hidden_of in INVOICE_HIDDEN:
        for ledger_id, endpoints in hidden_of(found).items():
            hidden.setdefault(ledger_id, set()).update(endpoints)
    parts = []
    for template, data in PARTS:
        context = data(found, rows)
        if context is not None:
            parts.append((template, context))
    return render_template(
        "portal/account.html",
        visit=found,
        invoices=rows,
        totals=totals(rows),
        states=states,
        actions=INVOICE_ACTIONS,
        hidden=hidden,
        parts=parts,
        on_hold=holds.is_on_hold(session, found.organisation.id, found.customer.id),
        has_logo=logo_of(session, found.organisation.id) is not None,
        today=clock.today(found.organisation.timezone),
    )


@portal.get("/statement.pdf")
def statement() -> Response:
    """The customer's statement today, as the reminders attach it, in the page's language."""
    found = visit()
    session = db.session()
    today = clock.today(found.organisation.timezone)
    language = str(get_locale() or "en")[:2]
    pdf = statement_pdf(
        session,
        found.organisation.id,
        found.customer.id,
        today,
        language if language in ("en", "fr") else "en",
        on_hold=holds.is_on_hold(session, found.organisation.id, found.customer.id),
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="statement-{today.isoformat()}.pdf"'},
    )


@portal.get("/logo")
def logo() -> Response:
    """The organisation's logo, for its customer's portal; 404 without one."""
    found = visit()
    kept = logo_of(db.session(), found.organisation.id)
    if kept is None:
        abort(404)
    return Response(kept.image, mimetype=kept.content_type, headers={"X-Content-Type-Options": "nosniff"})
