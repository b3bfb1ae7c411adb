"""What a customer does in the portal about what they owe: promise a date to pay (one invoice, or
the whole balance), or dispute an invoice (a reason, their words, a file if they have one), and
follow the dispute.

Both go through the collections brain as the team's own would (``record_promise`` with the
customer as its source, ``raise_dispute(source="customer")``): the invoices leave chasing, the
audit trail and the customer's timeline say so, each invoice gets a note in the ledger, and the
team is told once by email. The page after each says what happens next, in plain words.

Choices: a promise from the portal is for what is due, or less (collections tools take a partial
promise; the invoices pause either way, and a promise kept short of the balance leaves the rest to
the reminders); a date from today to the organisation's window (30 days unless it chose
otherwise). An invoice promised already is not promised again (the page says until when it is);
an invoice disputed already shows its dispute instead.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import DateField, DecimalField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from reminders.disputes import (
    AlreadyClosed,
    Dispute,
    DisputeStatus,
    NotDisputable,
    Source,
    add_message,
    messages_of,
    raise_dispute,
)
from reminders.portal.attachments import LARGEST_FILE, NotAFileWeTake, attach, attachments_of, check_file
from reminders.portal.links import settings_of
from reminders.promises import (
    Promise,
    PromiseRefused,
    PromiseSource,
    PromiseStatus,
    promises_of,
    record_promise,
)
from reminders.team_notices import money_text, queue_notices, tell_team
from reminders.writeback import queue_writes
from runtime import clock
from runtime.db import db
from web.i18n import iso_day, money
from web.portal import Visit, portal, visit
from web.portal.pages import (
    INVOICE_ACTIONS,
    INVOICE_HIDDEN,
    INVOICE_STATES,
    PARTS,
    PortalInvoice,
    invoice_of,
    open_invoices,
)
from web.throttle import rate_limited

ACTIONS_PER_MINUTE = 60  # pages and forms of the portal's actions, from one address
# The reasons a customer chooses from: what goes wrong with invoices that go unpaid.
REASONS = [
    ("not_received", _l("The goods or the service were not received")),
    ("damaged", _l("Damaged or faulty")),
    ("not_ordered", _l("Not what was ordered")),
    ("wrong_amount", _l("Wrong price or quantity")),
    ("already_paid", _l("Already paid")),
    ("other", _l("Something else")),
]
REASON_WORDS = {  # as the team and the ledger read them (stored in English, as disputes' reasons are)
    "not_received": "goods or service not received",
    "damaged": "damaged or faulty",
    "not_ordered": "not what was ordered",
    "wrong_amount": "wrong price or quantity",
    "already_paid": "already paid",
    "other": "other",
}


class PromiseForm(FlaskForm):  # type: ignore[misc]
    promised_on = DateField(_l("I will pay by"), validators=[DataRequired(message=_l("Choose a date."))])
    amount = DecimalField(
        _l("Amount"),
        places=2,
        validators=[Optional(), NumberRange(min=Decimal("0.01"), message=_l("Enter an amount above zero."))],
    )
    note = TextAreaField(_l("A note for us (optional)"), validators=[Optional(), Length(max=1000)])


class DisputeForm(FlaskForm):  # type: ignore[misc]
    reason = SelectField(_l("What is wrong?"), choices=REASONS, validators=[DataRequired()])
    details = TextAreaField(_l("Tell us more"), validators=[Optional(), Length(max=2000)])
    file = FileField(_l("A file, if it helps (optional)"))


class MessageForm(FlaskForm):  # type: ignore[misc]
    text = TextAreaField(
        _l("Your message"), validators=[DataRequired(message=_l("Write a message.")), Length(max=2000)]
    )


def _window(found: Visit) -> tuple[date, date]:
    today = clock.today(found.organisation.timezone)
    return today, today + timedelta(days=settings_of(db.session(), found.organisation.id).promise_window_days)


def _open_promises(found: Visit) -> list[Promise]:
    return [p for p in promises_of(db.session(), found.customer) if p.status == PromiseStatus.OPEN.value]


def _promised(found: Visit) -> dict[str, Promise]:
    return {ledger_id: p for p in _open_promises(found) for ledger_id in p.invoice_ledger_ids}


def _disputes(found: Visit) -> list[Dispute]:
    return list(
        db.session.scalars(
            select(Dispute)
            .where(Dispute.organisation_id == found.organisation.id, Dispute.customer_id == found.customer.id)
            .order_by(Dispute.opened_at.desc(), Dispute.id.desc())
        )
    )


def _open_disputes(found: Visit) -> dict[str, Dispute]:
    return {d.invoice_ledger_id: d for d in _disputes(found) if d.resolved_at is None}


def _tell_team_of_promise(found: Visit, promises: list[Promise], numbers: list[str]) -> list[Any]:
    session = db.session()
    told = []
    for promise in promises:
        text = _team_text(found, promise, numbers)
        told.append(
            tell_team(
                session,
                found.organisation.id,
                f"promise:{promise.id}:portal",
                "promise.portal",
                f"{found.customer.name} promised to pay by {promise.promised_on.isoformat()}",
                text,
                found.customer.id,
            )
        )
    return told


def _team_text(found: Visit, promise: Promise, numbers: list[str]) -> str:
    lines = [
        f"{found.customer.name} promised in the portal to pay {money_text(promise.amount, promise.currency)}"
        f" by {promise.promised_on.isoformat()} for {', '.join(numbers)}.",
        f"Reminders for these invoices pause until {promise.until.isoformat()}.",
    ]
    if promise.note:
        lines.append(f"Their note: {promise.note}")
    return "\n".join(lines)


def _record(found: Visit, chosen: list[PortalInvoice], form: PromiseForm, whole: bool) -> list[Promise]:
    """One promise per currency of ``chosen``; raises PromiseRefused."""
    session = db.session()
    first, last = _window(found)
    day = form.promised_on.data
    assert day is not None
    if not first <= day <= last:
        raise PromiseRefused(
            _("Choose a date from %(first)s to %(last)s.", first=iso_day(first), last=iso_day(last))
        )
    by_currency: dict[str, list[PortalInvoice]] = {}
    for invoice in chosen:
        by_currency.setdefault(invoice.currency, []).append(invoice)
    promises, notes = [], []
    for currency, invoices in sorted(by_currency.items()):
        due = sum((i.due for i in invoices), Decimal(0))
        amount = due if whole or form.amount.data is None else Decimal(form.amount.data)
        if amount > due:
            raise PromiseRefused(_("The amount is at most what is due: %(due)s.", due=money(due, currency)))
        promise, made = record_promise(
            session,
            found.customer,
            amount,
            day,
            [i.ledger_id for i in invoices],
            source=PromiseSource.CUSTOMER,
            note=(form.note.data or "").strip(),
        )
        promises.append(promise)
        notes.extend(made)
    told = _tell_team_of_promise(found, promises, [i.number for i in chosen])
    session.commit()
    queue_writes(notes)
    queue_notices(told)
    return promises


def _promise_page(found: Visit, chosen: list[PortalInvoice], whole: bool) -> ResponseReturnValue:
    form = PromiseForm()
    first, last = _window(found)
    promised = _promised(found)
    already = [i for i in chosen if i.ledger_id in promised]
    error = None
    if request.method == "POST" and not already and form.validate_on_submit():
        try:
            promises = _record(found, chosen, form, whole)
        except PromiseRefused as refused:
            error = str(refused)
        else:
            return redirect(url_for("portal.promised", promise_id=promises[0].id), 303)
    status = 422 if request.method == "POST" else 200
    if not form.is_submitted():
        form.promised_on.data = min(first + timedelta(days=7), last)
    return (
        render_template(
            "portal/promise.html",
            visit=found,
            form=form,
            invoices=chosen,
            whole=whole,
            first=first,
            last=last,
            already=already,
            promised=promised,
            error=error,
        ),
        status,
    )


@portal.route("/invoices/<int:invoice_id>/promise", methods=["GET", "POST"])
@rate_limited("portal-action", ACTIONS_PER_MINUTE)
def promise(invoice_id: int) -> ResponseReturnValue:
    found = visit()
    return _promise_page(found, [invoice_of(found, invoice_id)], whole=False)


@portal.route("/promise", methods=["GET", "POST"])
@rate_limited("portal-action", ACTIONS_PER_MINUTE)
def promise_all() -> ResponseReturnValue:
    found = visit()
    chosen = [i for i in open_invoices(found) if i.ledger_id not in _open_disputes(found)]
    if not chosen:
        return redirect(url_for("portal.account"), 303)
    return _promise_page(found, chosen, whole=True)


@portal.get("/promises/<int:promise_id>")
def promised(promise_id: int) -> ResponseReturnValue:
    """What happens next, after a promise."""
    found = visit()
    kept = db.session.get(Promise, promise_id)
    if kept is None or kept.customer_id != found.customer.id or kept.organisation_id != found.organisation.id:
        abort(404)
    others = [p for p in _open_promises(found) if p.made_at == kept.made_at and p.id != kept.id]
    return render_template("portal/promised.html", visit=found, promise=kept, others=others)


@portal.route("/invoices/<int:invoice_id>/dispute", methods=["GET", "POST"])
@rate_limited("portal-action", ACTIONS_PER_MINUTE)
def dispute(invoice_id: int) -> ResponseReturnValue:
    found = visit()
    invoice = invoice_of(found, invoice_id)
    existing = _open_disputes(found).get(invoice.ledger_id)
    if existing is not None:
        return redirect(url_for("portal.dispute_page", dispute_id=existing.id), 303)
    form = DisputeForm()
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        details = (form.details.data or "").strip()
        if form.reason.data == "other" and not details:
            errors["details"] = _("Tell us what is wrong.")
        upload = form.file.data
        checked = None
        if upload is not None and getattr(upload, "filename", None):
            try:
                checked = check_file(upload.filename or "", upload.read(LARGEST_FILE + 1))
            except NotAFileWeTake as refused:
                errors["file"] = {
                    "type": _("Attach a PDF, PNG or JPEG file."),
                    "empty": _("That file is empty."),
                    "size": _("The file is larger than 5 MB."),
                }[refused.reason]
        if not errors:
            session = db.session()
            reason = REASON_WORDS.get(form.reason.data or "", "other")
            text = f"{reason}: {details}" if details else reason
            try:
                opened, to_queue = raise_dispute(
                    session, found.customer, invoice.ledger_id, text, source="customer"
                )
            except NotDisputable:
                abort(409, description=_("This invoice cannot be disputed now."))
            if checked is not None:
                attach(session, opened.id, found.organisation.id, checked)
            session.commit()
            to_queue()
            return redirect(url_for("portal.dispute_page", dispute_id=opened.id, raised=1), 303)
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "portal/dispute.html",
            visit=found,
            form=form,
            invoice=invoice,
            errors=errors,
            largest=LARGEST_FILE,
        ),
        status,
    )


def _reason_in_words(reason: str) -> str:
    """A portal dispute's reason (kept in English for the team and the ledger) in the page's language."""
    for key, label in REASONS:
        english = REASON_WORDS[key]
        if reason == english or reason.startswith(f"{english}: "):
            return f"{label}{reason[len(english) :]}"
    return reason


def _dispute_of(found: Visit, dispute_id: int) -> Dispute:
    kept = db.session.get(Dispute, dispute_id)
    if kept is None or kept.customer_id != found.customer.id or kept.organisation_id != found.organisation.id:
        abort(404)
    return kept


@portal.route("/disputes/<int:dispute_id>", methods=["GET", "POST"])
@rate_limited("portal-action", ACTIONS_PER_MINUTE)
def dispute_page(dispute_id: int) -> ResponseReturnValue:
    """A dispute as the customer follows it: its status, the messages, a message to add."""
    found = visit()
    kept = _dispute_of(found, dispute_id)
    form = MessageForm()
    if request.method == "POST" and form.validate_on_submit():
        session = db.session()
        try:
            add_message(session, kept, form.text.data or "", author=Source.CUSTOMER.value)
        except (AlreadyClosed, ValueError):
            session.rollback()
        else:
            session.commit()
            return redirect(url_for("portal.dispute_page", dispute_id=kept.id), 303)
    from sync.models import Invoice

    invoice = db.session.scalar(
        select(Invoice).where(
            Invoice.organisation_id == found.organisation.id, Invoice.ledger_id == kept.invoice_ledger_id
        )
    )
    return render_template(
        "portal/dispute_page.html",
        visit=found,
        dispute=kept,
        reason=_reason_in_words(kept.reason),
        files=attachments_of(db.session(), found.organisation.id, kept.id),
        invoice=invoice,
        messages=messages_of(db.session(), kept),
        form=form,
        raised=request.args.get("raised") == "1",
        statuses=DisputeStatus,
    ), (422 if request.method == "POST" else 200)


def _states(found: Visit) -> dict[str, str]:
    words: dict[str, str] = {}
    for ledger_id, kept in _promised(found).items():
        words[ledger_id] = _(
            "You promised to pay %(amount)s by %(day)s: we will not send reminders for it until %(until)s.",
            amount=money(kept.amount, kept.currency),
            day=iso_day(kept.promised_on),
            until=iso_day(kept.until),
        )
    for ledger_id, disputed in _open_disputes(found).items():
        words[ledger_id] = _(
            "Disputed on %(day)s: we are looking into it.", day=iso_day(disputed.opened_at.date())
        )
    return words


def _promise_part(found: Visit, invoices: list[PortalInvoice]) -> dict[str, Any] | None:
    chaseable = [
        i
        for i in invoices
        if i.ledger_id not in _open_disputes(found) and i.ledger_id not in _promised(found)
    ]
    return {"count": len(chaseable)} if len(chaseable) > 1 else None


def _disputes_part(found: Visit, invoices: list[PortalInvoice]) -> dict[str, Any] | None:
    listed = _disputes(found)[:20]
    if not listed:
        return None
    from sync.models import Invoice

    numbers = dict(
        db.session.execute(
            select(Invoice.ledger_id, Invoice.number).where(
                Invoice.organisation_id == found.organisation.id,
                Invoice.ledger_id.in_([d.invoice_ledger_id for d in listed]),
            )
        ).all()
    )
    return {"disputes": listed, "numbers": numbers}


INVOICE_ACTIONS.extend([("portal.promise", _l("Promise a date")), ("portal.dispute", _l("Dispute"))])
INVOICE_STATES.append(_states)


def _hidden(found: Visit) -> dict[str, set[str]]:
    hidden: dict[str, set[str]] = {ledger_id: {"portal.promise"} for ledger_id in _promised(found)}
    for ledger_id in _open_disputes(found):  # its page is under "Your disputes"
        hidden.setdefault(ledger_id, set()).update({"portal.promise", "portal.dispute"})
    return hidden


INVOICE_HIDDEN.append(_hidden)
PARTS.extend(
    [("portal/parts/promise_all.html", _promise_part), ("portal/parts/disputes.html", _disputes_part)]
)
