"""Promises to pay on the customer page: the list of the customer's promises with their status, a
form to record one (amount, date, the invoices it covers), and cancelling an open one.

The request does the least: it checks the form, keeps the promise (reminders.promises, with its
audit event and its ledger notes) and queues the notes' writing; the ledger is not called here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from integration.ledger import InvoiceStatus
from reminders.customers import customer_of
from reminders.disputes import disputed_invoices
from reminders.promises import (
    LONGEST_GRACE_DAYS,
    Promise,
    PromiseRefused,
    PromiseSource,
    PromiseStatus,
    cancel_promise,
    grace_days,
    promises_of,
    record_promise,
    set_grace_days,
)
from reminders.writeback import queue_writes
from runtime import clock
from runtime.db import db
from runtime.tenancy import Organisation, User
from sync.models import Customer, Invoice
from web.roles import RUNS_THE_BOOKS

promises = Blueprint("promises", __name__)

STATUS_LABELS = {
    PromiseStatus.OPEN.value: _l("open"),
    PromiseStatus.KEPT.value: _l("kept"),
    PromiseStatus.BROKEN.value: _l("broken"),
    PromiseStatus.CANCELLED.value: _l("cancelled"),
}
SOURCE_LABELS = {
    PromiseSource.PERSON.value: _l("recorded by a person"),
    PromiseSource.CALL.value: _l("recorded after a call"),
    PromiseSource.CUSTOMER.value: _l("made by the customer"),
}
LARGEST_AMOUNT = Decimal("1000000000000")


class PromiseForm(FlaskForm):
    amount = StringField(_l("Amount"), validators=[DataRequired(), Length(max=20)])
    promised_on = DateField(_l("To be paid by"), validators=[DataRequired()])
    invoices = SelectMultipleField(
        _l("Invoices it covers"), validators=[DataRequired()], validate_choice=False
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class GraceForm(FlaskForm):
    grace_days = StringField(_l("Grace period (days)"), validators=[DataRequired(), Length(max=3)])


def amount_of(text: str) -> Decimal | None:
    """An amount typed by a person ("1,250.00" or "1250"), or None if it is not one."""
    try:
        amount = Decimal(text.replace(",", "").replace(" ", "").strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount >= LARGEST_AMOUNT:
        return None
    return amount


def open_invoices_of(customer: Customer) -> list[Invoice]:
    """The invoices a promise may cover: open, owed and not disputed (a disputed invoice is not
    chased, so a promise to pay it pauses nothing and a broken one would escalate a dispute)."""
    disputed = disputed_invoices(db.session(), customer.organisation_id)
    return [
        invoice
        for invoice in db.session.scalars(
            select(Invoice)
            .where(
                Invoice.organisation_id == customer.organisation_id,
                Invoice.customer_ledger_id == customer.ledger_id,
                Invoice.status == InvoiceStatus.OPEN.value,
                Invoice.amount_due > 0,
            )
            .order_by(Invoice.due_on, Invoice.number)
        )
        if invoice.ledger_id not in disputed
    ]


def panel_data(organisation: Organisation, customer: Customer) -> dict[str, Any] | None:
    """The customer page's promises panel: the promises, and the form to record one."""
    invoices = open_invoices_of(customer)
    found = promises_of(db.session(), customer)
    if not invoices and not found:
        return None
    numbers = {
        ledger_id: number
        for ledger_id, number in db.session.execute(
            select(Invoice.ledger_id, Invoice.number).where(
                Invoice.organisation_id == organisation.id,
                Invoice.customer_ledger_id == customer.ledger_id,
            )
        )
    }
    ids = {promise.recorded_by_user_id for promise in found if promise.recorded_by_user_id is not None}
    people = {
        user.id: user.name or user.email
        for user in (db.session.scalars(select(User).where(User.id.in_(ids))) if ids else [])
    }
    return {
        "promises": found,
        "recorded_by": people,
        "invoices": invoices,
        "numbers": numbers,
        "statuses": STATUS_LABELS,
        "sources": SOURCE_LABELS,
        "grace_days": grace_days(db.session(), organisation.id),
        "today": clock.today(organisation.timezone),
        "runs_the_books": g.get("role") in RUNS_THE_BOOKS,
    }


def _back(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    return redirect(
        url_for("customers.page", organisation_id=organisation_id, customer_id=customer_id) + "#promises"
    )


def keep_promise(
    customer: Customer,
    amount_text: str,
    promised_on: date | None,
    invoice_ids: list[str],
    source: PromiseSource,
    note: str = "",
    action_id: int | None = None,
) -> Promise | None:
    """Record a person's promise from a form and queue its notes; flashes why when it is refused."""
    amount = amount_of(amount_text or "")
    if amount is None:
        flash(str(_l("The amount promised is a number of more than nothing.")))
        return None
    if promised_on is None:
        flash(str(_l("Say by which day the customer will pay.")))
        return None
    try:
        promise, notes = record_promise(
            db.session(),
            customer,
            amount,
            promised_on,
            invoice_ids,
            source,
            current_user.user.id,
            note.strip(),
            action_id,
        )
    except PromiseRefused:
        db.session.rollback()
        flash(
            str(
                _l(
                    "The promise was not recorded: choose the customer's open invoices in one currency, and a day from today on."
                )
            )
        )
        return None
    db.session.commit()
    queue_writes(notes)
    flash(
        str(
            _l(
                "Promise recorded: reminders for its invoices pause until %(day)s.",
                day=format_date(promise.until),
            )
        )
    )
    return promise


@promises.post("/organisations/<int:organisation_id>/customers/<int:customer_id>/promises")
@login_required
def record(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    """Record the customer's promise to pay (amount, date, invoices)."""
    customer = customer_of(db.session(), organisation_id, customer_id)
    if customer is None:
        abort(404)
    form = PromiseForm()
    if not form.validate():
        flash(str(_l("The promise was not recorded: give the amount, the day and the invoices it covers.")))
        return _page_again(organisation_id, customer_id)
    invoices = [value for value in (form.invoices.data or []) if isinstance(value, str) and len(value) <= 64]
    if set(invoices) & disputed_invoices(db.session(), organisation_id):
        flash(
            str(
                _l(
                    "The promise was not recorded: a disputed invoice is not chased until the dispute is resolved."
                )
            )
        )
        return _page_again(organisation_id, customer_id)
    kept = keep_promise(
        customer,
        form.amount.data or "",
        form.promised_on.data,
        invoices,
        PromiseSource.PERSON,
        form.note.data or "",
    )
    if kept is None:
        return _page_again(organisation_id, customer_id)
    return _back(organisation_id, customer_id)


def _page_again(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    """The customer page, refused (400), showing why."""
    from web.customers import NoteForm, _page  # web.customers imports what imports this module

    return _page(organisation_id, customer_id, NoteForm(formdata=None), status=400)


@promises.post(
    "/organisations/<int:organisation_id>/customers/<int:customer_id>/promises/<int:promise_id>/cancel"
)
@login_required
def cancel(organisation_id: int, customer_id: int, promise_id: int) -> ResponseReturnValue:
    """Cancel an open promise (recorded by mistake, or replaced): its invoices are chased again."""
    customer = customer_of(db.session(), organisation_id, customer_id)
    promise = db.session.get(Promise, promise_id)
    if customer is None or promise is None or promise.customer_id != customer.id:
        abort(404)
    form = FlaskForm()
    if not form.validate():
        abort(400)
    if cancel_promise(db.session(), promise, current_user.user.id):
        db.session.commit()
        flash(str(_l("Promise cancelled: its invoices are chased again.")))
    else:
        db.session.rollback()
        flash(str(_l("That promise has ended already.")))
    return _back(organisation_id, customer_id)


@promises.route("/organisations/<int:organisation_id>/promises/settings", methods=["GET", "POST"])
@login_required
def settings(organisation_id: int) -> ResponseReturnValue:
    """The organisation's rules for promises to pay: the grace period after a promised date."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    form = GraceForm()
    status = 200
    if request.method == "POST":
        text = (form.grace_days.data or "").strip() if form.validate() else ""
        if text.isascii() and text.isdigit() and int(text) <= LONGEST_GRACE_DAYS:
            set_grace_days(db.session(), organisation_id, int(text), current_user.user.id)
            db.session.commit()
            flash(str(_l("Grace period saved.")))
            return redirect(url_for("promises.settings", organisation_id=organisation_id))
        db.session.rollback()
        flash(str(_l("The grace period is a number of days from 0 to %(most)s.", most=LONGEST_GRACE_DAYS)))
        status = 400
    else:
        form.grace_days.data = str(grace_days(db.session(), organisation_id))
    return render_template(
        "promises/settings.html", organisation=organisation, form=form, most=LONGEST_GRACE_DAYS
    ), status
