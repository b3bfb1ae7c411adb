"""Disputes in the staff app: the organisation's open disputes, and on the customer page a panel to
raise one on an invoice, write on it and resolve it (reminders/disputes.py makes every move).

Every action is a plain form posted with its CSRF token and answered by a redirect; the ledger
note and the team's notice are queued after the commit, never called in the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from integration.ledger import InvoiceStatus
from reminders.customers import customer_of
from reminders.disputes import (
    LONGEST_TEXT,
    AlreadyClosed,
    Dispute,
    DisputeMessage,
    NotDisputable,
    add_message,
    messages_of,
    open_disputes,
    raise_dispute,
    resolve_dispute,
)
from reminders.portal.attachments import DisputeAttachment, attachments_of
from runtime.db import db
from runtime.tenancy import Organisation, User
from sync.models import Customer, Invoice

disputes = Blueprint("disputes", __name__)


@dataclass(frozen=True)
class DisputeRow:
    dispute: Dispute
    customer: Customer | None
    invoice: Invoice | None
    messages: list[tuple[DisputeMessage, str]]
    raised_by_name: str = ""
    attachments: list[DisputeAttachment] = field(default_factory=list)


def _names(user_ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {u.id: u.name or u.email for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def _rows(organisation_id: int, found: list[Dispute]) -> list[DisputeRow]:
    session = db.session()
    invoices = {
        i.ledger_id: i
        for i in session.scalars(
            select(Invoice).where(
                Invoice.organisation_id == organisation_id,
                Invoice.ledger_id.in_([d.invoice_ledger_id for d in found]),
            )
        )
    }
    customers = {
        c.id: c
        for c in session.scalars(select(Customer).where(Customer.id.in_([d.customer_id for d in found])))
    }
    rows = []
    for dispute in found:
        messages = messages_of(session, dispute)
        names = _names({m.author_user_id for m in messages} | {dispute.raised_by_user_id})
        rows.append(
            DisputeRow(
                dispute,
                customers.get(dispute.customer_id),
                invoices.get(dispute.invoice_ledger_id),
                [
                    (
                        m,
                        names.get(m.author_user_id or 0, "")
                        if m.author == "person"
                        else str(_l("the customer")),
                    )
                    for m in messages
                ],
                names.get(dispute.raised_by_user_id or 0, ""),
                attachments_of(session, organisation_id, dispute.id),
            )
        )
    return rows


def disputes_panel(organisation: Organisation, customer: Customer) -> dict[str, Any] | None:
    """The customer page's panel: the customer's open disputes, and the invoices one can be raised on."""
    session = db.session()
    found = open_disputes(session, organisation.id, customer.id)
    disputed = {d.invoice_ledger_id for d in found}
    disputable = [
        i
        for i in session.scalars(
            select(Invoice)
            .where(
                Invoice.organisation_id == organisation.id,
                Invoice.customer_ledger_id == customer.ledger_id,
                Invoice.status == InvoiceStatus.OPEN.value,
            )
            .order_by(Invoice.due_on, Invoice.number)
        )
        if i.ledger_id not in disputed
    ]
    if not found and not disputable:
        return None
    return {
        "rows": _rows(organisation.id, found),
        "disputable": disputable,
        "longest": LONGEST_TEXT,
    }


def _organisation(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    return organisation


def _dispute(organisation_id: int, dispute_id: int) -> Dispute:
    dispute = db.session.scalar(
        select(Dispute).where(Dispute.organisation_id == organisation_id, Dispute.id == dispute_id)
    )
    if dispute is None:
        abort(404)
    return dispute


def _text(name: str) -> str:
    value = request.form.get(name, "")
    if not isinstance(value, str) or len(value) > LONGEST_TEXT:
        abort(400)
    return value.strip()


def _back_to(dispute: Dispute) -> ResponseReturnValue:
    if request.form.get("back") == "list":
        return redirect(url_for("disputes.index", organisation_id=dispute.organisation_id))
    return redirect(
        url_for("customers.page", organisation_id=dispute.organisation_id, customer_id=dispute.customer_id)
        + "#disputes"
    )


@disputes.get("/organisations/<int:organisation_id>/disputes")
def index(organisation_id: int) -> ResponseReturnValue:
    """The organisation's open disputes, oldest first."""
    organisation = _organisation(organisation_id)
    return render_template(
        "disputes/index.html",
        organisation=organisation,
        rows=_rows(organisation_id, open_disputes(db.session(), organisation_id)),
        format_date=format_date,
        longest=LONGEST_TEXT,
    )


@disputes.post("/organisations/<int:organisation_id>/customers/<int:customer_id>/disputes")
def open_one(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    """A person raises a dispute on one of the customer's open invoices, with its reason."""
    customer = customer_of(db.session(), organisation_id, customer_id)
    if customer is None:
        abort(404)
    invoice_ledger_id, reason = _text("invoice"), _text("reason")
    back = url_for("customers.page", organisation_id=organisation_id, customer_id=customer_id) + "#disputes"
    if not reason:
        flash(str(_l("Say what the customer disputes.")))
        return redirect(back)
    session = db.session()
    try:
        _, after = raise_dispute(session, customer, invoice_ledger_id, reason, "person", current_user.user.id)
    except NotDisputable:
        session.rollback()
        flash(str(_l("That invoice cannot be disputed: it is not open, or it is disputed already.")))
        return redirect(back)
    session.commit()
    after()
    flash(str(_l("Dispute raised: Relance stops chasing that invoice until it is resolved.")))
    return redirect(back)


@disputes.post("/organisations/<int:organisation_id>/disputes/<int:dispute_id>/messages")
def reply(organisation_id: int, dispute_id: int) -> ResponseReturnValue:
    """A person writes on an open dispute."""
    dispute = _dispute(organisation_id, dispute_id)
    text = _text("text")
    session = db.session()
    try:
        add_message(session, dispute, text, "person", current_user.user.id)
    except AlreadyClosed:
        flash(str(_l("This dispute is closed already.")))
        return _back_to(dispute)
    except ValueError:
        flash(str(_l("Write a message first.")))
        return _back_to(dispute)
    session.commit()
    flash(str(_l("Message saved.")))
    return _back_to(dispute)


@disputes.post("/organisations/<int:organisation_id>/disputes/<int:dispute_id>/resolve")
def resolve(organisation_id: int, dispute_id: int) -> ResponseReturnValue:
    """A person resolves an open dispute with a note; chasing of its invoice resumes."""
    dispute = _dispute(organisation_id, dispute_id)
    note = _text("note")
    if not note:
        flash(str(_l("Say how the dispute was resolved.")))
        return _back_to(dispute)
    session = db.session()
    try:
        after = resolve_dispute(session, dispute, current_user.user.id, note)
    except AlreadyClosed:
        session.rollback()
        flash(str(_l("This dispute is closed already.")))
        return _back_to(dispute)
    session.commit()
    after()
    flash(str(_l("Dispute resolved: Relance chases that invoice again.")))
    return _back_to(dispute)


@disputes.get("/organisations/<int:organisation_id>/disputes/<int:dispute_id>/files/<int:file_id>")
def attachment(organisation_id: int, dispute_id: int, file_id: int) -> Response:
    """A file the customer attached to the dispute, as a download (never shown inline)."""
    dispute = _dispute(organisation_id, dispute_id)
    kept = db.session.get(DisputeAttachment, file_id)
    if kept is None or kept.dispute_id != dispute.id or kept.organisation_id != organisation_id:
        abort(404)
    return Response(
        kept.data,
        mimetype=kept.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{kept.filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
