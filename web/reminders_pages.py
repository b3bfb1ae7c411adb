"""The reminders area: the review queue, one message, the call list and the day's letters (issue #15).

The outbox (reminders.dispatch.outbox) makes every move; these pages show what it holds and post
a person's decisions to it. Each move is a compare-and-set there, so a decision someone else made
first (two people on one queue) is told as such and the page is shown again, never an error.
Every action is a plain form posted with its CSRF token and answered by a redirect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from reminders.dispatch import outbox
from reminders.dispatch.models import READY, ActionStatus, CallOutcome, ReminderAction
from reminders.dispatch.send import Skip, Written, preview
from reminders.disputes import dispute_from_call
from reminders.promises import PromiseSource
from reminders.schedules.planner import settings_for
from reminders.schedules.stages import Channel, Message
from reminders.schedules.templates import Problem, check
from runtime import clock
from runtime.db import db
from runtime.tenancy import Organisation, record
from sync.models import Customer, Invoice
from web.headers import isolated_html
from web.i18n import current_language
from web.promises import amount_of, keep_promise, open_invoices_of
from web.roles import RUNS_THE_BOOKS, start_job

reminders = Blueprint("reminders", __name__)


@reminders.context_processor
def _decides() -> dict[str, Any]:
    """Whether the person decides what goes (approve, skip, edit, mode): the buttons they see."""
    return {"runs_the_books": g.get("role") in RUNS_THE_BOOKS}


CHANNELS = {"email": _l("Email"), "letter": _l("Letter"), "call": _l("Call task")}
STATUS_WORDS = {
    "planned": _l("planned"),
    "awaiting_approval": _l("awaiting approval"),
    "approved": _l("approved, going out"),
    "sending": _l("going out"),
    "sent": _l("sent"),
    "skipped": _l("skipped"),
    "failed": _l("failed"),
    "interrupted": _l("interrupted"),
}
HELD = {
    "no_connection": _l(
        "Automatic sending is held: the organisation has no active ledger connection. "
        "Reconnect the ledger and sending resumes."
    ),
    "never_synced": _l(
        "Automatic sending is held: the ledger has not been read yet. "
        "Sending starts once the first sync is done."
    ),
    "sync_stale": _l(
        "Automatic sending is held: the last completed sync is older than the organisation allows, "
        "so Relance cannot be sure who has paid. Sending resumes after the next sync."
    ),
}
OUTCOMES = {
    CallOutcome.REACHED: _l("Reached"),
    CallOutcome.NO_ANSWER: _l("No answer"),
    CallOutcome.PROMISED: _l("Promised a date"),
    CallOutcome.DISPUTED: _l("Disputed"),
}
MODES = {"review": _l("Review before sending"), "automatic": _l("Automatic sending")}
LONGEST_SUBJECT, LONGEST_BODY = 1000, 20_000


@dataclass(frozen=True)
class Row:
    """One action as a page lists it: its customer and the invoices it names, from the mirror."""

    action: ReminderAction
    customer: Customer
    invoices: Sequence[Invoice]

    @property
    def owed(self) -> list[tuple[Decimal, str]]:
        """What the invoices still owe, per currency."""
        totals: dict[str, Decimal] = {}
        for invoice in self.invoices:
            totals[invoice.currency] = totals.get(invoice.currency, Decimal(0)) + invoice.amount_due
        return sorted((amount, currency) for currency, amount in totals.items())

    def days_late(self, today: date) -> int:
        """How late the oldest of its invoices is, in days (0: none is past due)."""
        late: list[int] = [(today - invoice.due_on).days for invoice in self.invoices if invoice.due_on]
        return max([0, *late])


def _organisation(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    return organisation


def _action(organisation_id: int, action_id: int) -> ReminderAction:
    """The organisation's action, or 404: another organisation's id names nothing here."""
    action = db.session.get(ReminderAction, action_id)
    if action is None or action.organisation_id != organisation_id:
        abort(404)
    return action


def _rows(organisation_id: int, actions: Iterable[ReminderAction], sent: bool = False) -> list[Row]:
    """The actions with their customers and invoices, in two queries whatever their number."""
    actions = list(actions)
    if not actions:
        return []
    customers = {
        customer.id: customer
        for customer in db.session.scalars(
            select(Customer).where(Customer.id.in_({action.customer_id for action in actions}))
        )
    }

    def ids_of(action: ReminderAction) -> list[str]:
        return list(action.sent_invoice_ledger_ids if sent else action.invoice_ledger_ids)

    wanted = {ledger_id for action in actions for ledger_id in ids_of(action)}
    invoices = {
        invoice.ledger_id: invoice
        for invoice in db.session.scalars(
            select(Invoice).where(Invoice.organisation_id == organisation_id, Invoice.ledger_id.in_(wanted))
        )
    }
    return [
        Row(
            action,
            customers[action.customer_id],
            [invoices[ledger_id] for ledger_id in ids_of(action) if ledger_id in invoices],
        )
        for action in actions
        if action.customer_id in customers
    ]


def _start_of_today(organisation: Organisation) -> datetime:
    zone = ZoneInfo(organisation.timezone)
    return datetime.combine(clock.today(organisation.timezone), time(0), tzinfo=zone)


def _listed(organisation_id: int, *conditions: Any) -> list[ReminderAction]:
    return list(
        db.session.scalars(
            select(ReminderAction)
            .where(ReminderAction.organisation_id == organisation_id, *conditions)
            .order_by(ReminderAction.planned_for, ReminderAction.id)
            .limit(500)
        )
    )


@reminders.get("/organisations/<int:organisation_id>/reminders")
def review(organisation_id: int) -> ResponseReturnValue:
    """The review queue: what waits for a person, what went wrong, and what went today."""
    organisation = _organisation(organisation_id)
    settings = settings_for(db.session(), organisation_id)
    since = _start_of_today(organisation)
    status = ReminderAction.status
    return render_template(
        "reminders/review.html",
        organisation=organisation,
        settings=settings,
        held=outbox.sending_held(db.session(), organisation_id),
        awaiting=_rows(
            organisation_id, _listed(organisation_id, status == ActionStatus.AWAITING_APPROVAL.value)
        ),
        ready=_rows(
            organisation_id,
            _listed(organisation_id, status.in_([*READY, ActionStatus.SENDING.value])),
        ),
        problems=_rows(
            organisation_id,
            _listed(
                organisation_id,
                status.in_([ActionStatus.INTERRUPTED.value, ActionStatus.FAILED.value]),
                ReminderAction.planned_for >= clock.today(organisation.timezone) - timedelta(days=30),
            ),
        ),
        finished=_rows(
            organisation_id,
            _listed(
                organisation_id,
                status.in_([ActionStatus.SENT.value, ActionStatus.SKIPPED.value]),
                ReminderAction.finished_at >= since,
            ),
        ),
        held_sentences=HELD,
        channels=CHANNELS,
        modes=MODES,
        format_date=format_date,
        format_datetime=format_datetime,
    )


def _action_page(
    organisation_id: int,
    action: ReminderAction,
    problems: Sequence[Problem] = (),
    draft: Message | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    organisation = _organisation(organisation_id)
    written: Written | None = None
    unwritable = ""
    try:
        written = preview(db.session(), action)
    except Skip as why:
        unwritable = str(why)
    except Exception as error:  # a stage's message that no longer renders: say so, do not fail
        unwritable = str(error) or type(error).__name__
    if request.args.get("part") == "html":  # the iframe's own document
        if written is None or written.html is None:
            abort(404)
        return isolated_html(written.html)
    row = _rows(organisation_id, [action])
    language = current_language()
    if draft is None and written is not None:
        draft = Message(
            action.edited_subject if action.edited_subject is not None else "",
            action.edited_body if action.edited_body is not None else "",
        )
    return (
        render_template(
            "reminders/action.html",
            organisation=organisation,
            action=action,
            row=row[0] if row else None,
            written=written,
            unwritable=unwritable,
            # Approve, skip and edit while a person still decides; not once it is on its way.
            pending=action.status in (ActionStatus.AWAITING_APPROVAL.value, ActionStatus.PLANNED.value),
            status_words=STATUS_WORDS,
            problems=[problem.describe(language) for problem in problems],
            draft=draft,
            stage_message=_stage_message(action),
            edit_help=_l(
                "Your wording is used for this one message; the stage keeps its own. Placeholders "
                "such as %(first)s and %(second)s work as in the schedule.",
                first="{{ customer_name }}",
                second="{{ invoices_table }}",
            ),
            channels=CHANNELS,
            format_date=format_date,
            format_datetime=format_datetime,
        ),
        status,
    )


def _stage_message(action: ReminderAction) -> Message:
    """The words the message is written from now: a person's edit, else its stage's message."""
    from reminders.schedules.models import Stage

    stage = db.session.get(Stage, action.stage_id) if action.stage_id is not None else None
    found = (stage.messages.get(action.language) or stage.messages.get("en") or {}) if stage else {}
    return Message(
        action.edited_subject if action.edited_subject is not None else found.get("subject", ""),
        action.edited_body if action.edited_body is not None else found.get("body", ""),
    )


@reminders.get("/organisations/<int:organisation_id>/reminders/<int:action_id>")
def action(organisation_id: int, action_id: int) -> ResponseReturnValue:
    """One message as it would go now, with its editor while it has not gone."""
    return _action_page(organisation_id, _action(organisation_id, action_id))


def _back(organisation_id: int) -> ResponseReturnValue:
    """Back to the page the form was on: the review queue, or the message's own page."""
    action_id = request.form.get("back_to_action", "")
    if action_id.isascii() and action_id.isdigit() and len(action_id) < 10:
        return redirect(
            url_for("reminders.action", organisation_id=organisation_id, action_id=int(action_id))
        )
    return redirect(url_for("reminders.review", organisation_id=organisation_id))


def _chosen(organisation_id: int) -> list[ReminderAction]:
    ids = [value for value in request.form.getlist("action_id") if value.isascii() and value.isdigit()]
    return [_action(organisation_id, int(value)) for value in ids[:500] if len(value) < 10]


def _handled_elsewhere() -> None:
    flash(str(_l("That reminder was already handled by someone else; here it is as it is now.")))


@reminders.post("/organisations/<int:organisation_id>/reminders/approve")
def approve(organisation_id: int) -> ResponseReturnValue:
    """Approve one message or the ones ticked: each is queued to go (asking the ledger first)."""
    chosen = _chosen(organisation_id)
    if not chosen:
        flash(str(_l("Tick the reminders to approve first.")))
        return _back(organisation_id)
    approved = elsewhere = 0
    for found in chosen:
        try:
            outbox.approve(db.session(), found, current_user.user.id)
            approved += 1
        except outbox.NotAllowed:
            elsewhere += 1
    if approved:
        flash(
            str(
                _l(
                    "Approved: %(count)d. They go now, once the ledger confirms what is still owed.",
                    count=approved,
                )
            )
        )
    if elsewhere:
        _handled_elsewhere()
    return _back(organisation_id)


@reminders.post("/organisations/<int:organisation_id>/reminders/<int:action_id>/skip")
def skip(organisation_id: int, action_id: int) -> ResponseReturnValue:
    """Skip one message, with the person's reason."""
    found = _action(organisation_id, action_id)
    reason = request.form.get("reason", "").strip()[:500]
    try:
        outbox.skip(db.session(), found, current_user.user.id, reason)
        flash(str(_l("Skipped: it will not be sent.")))
    except outbox.NotAllowed:
        _handled_elsewhere()
    return _back(organisation_id)


@reminders.post("/organisations/<int:organisation_id>/reminders/<int:action_id>/edit")
def edit(organisation_id: int, action_id: int) -> ResponseReturnValue:
    """Keep a person's wording for this one message, once it renders without a problem."""
    found = _action(organisation_id, action_id)
    draft = Message(
        request.form.get("subject", "")[:LONGEST_SUBJECT], request.form.get("body", "")[:LONGEST_BODY]
    )
    if not draft.subject.strip() or not draft.body.strip():
        flash(str(_l("Write both a subject and a message.")))
        return _action_page(organisation_id, found, draft=draft, status=400)
    problems = check(draft)
    if problems:
        return _action_page(organisation_id, found, problems, draft=draft, status=400)
    try:
        outbox.edit(db.session(), found, current_user.user.id, draft.subject, draft.body)
        flash(str(_l("Your wording is kept for this message.")))
    except outbox.NotAllowed:
        _handled_elsewhere()
    return redirect(url_for("reminders.action", organisation_id=organisation_id, action_id=action_id))


@reminders.post("/organisations/<int:organisation_id>/reminders/<int:action_id>/settle")
def settle(organisation_id: int, action_id: int) -> ResponseReturnValue:
    """An interrupted send settled by a person: it went (mark sent), or send it again."""
    found = _action(organisation_id, action_id)
    went = request.form.get("went")
    if went not in ("yes", "no"):
        abort(400)
    try:
        outbox.settle(db.session(), found, current_user.user.id, went == "yes")
        flash(str(_l("Marked as sent.") if went == "yes" else _l("Sending it again.")))
    except outbox.NotAllowed:
        _handled_elsewhere()
    return _back(organisation_id)


@reminders.post("/organisations/<int:organisation_id>/reminders/mode")
def mode(organisation_id: int) -> ResponseReturnValue:
    """Switch between review-before-send and automatic sending (an audit event says who)."""
    from reminders.models import CollectionSettings

    chosen = request.form.get("mode", "")
    if chosen not in MODES:
        abort(400)
    settings = db.session.get(CollectionSettings, organisation_id)
    if settings is None:
        settings = CollectionSettings(organisation_id=organisation_id)
        db.session.add(settings)
    before = settings.sending_mode or "review"
    if before != chosen:
        settings.sending_mode = chosen
        record(
            db.session(),
            organisation_id,
            "settings.changed",
            "collection settings",
            current_user.user.id,
            sending_mode=chosen,
        )
        flash(str(_l("Sending mode: %(mode)s.", mode=MODES[chosen])))
    db.session.commit()
    return redirect(url_for("reminders.review", organisation_id=organisation_id))


@reminders.post("/organisations/<int:organisation_id>/reminders/plan")
def plan_now(organisation_id: int) -> ResponseReturnValue:
    """Queue the planner for the organisation's today, whatever the hour."""
    _organisation(organisation_id)
    start_job(
        outbox.plan_now,
        current_user.user.id,
        organisation_id,
        organisation_id,
        job_id=f"plan-now-{organisation_id}",
    )
    flash(str(_l("Planning today's reminders; reload the page in a moment.")))
    return redirect(url_for("reminders.review", organisation_id=organisation_id))


def _open_calls(organisation_id: int) -> list[ReminderAction]:
    return _listed(
        organisation_id,
        ReminderAction.channel == Channel.CALL.value,
        ReminderAction.status == ActionStatus.SENT.value,
        ReminderAction.outcome.is_(None),
    )


@reminders.get("/organisations/<int:organisation_id>/calls")
def calls(organisation_id: int) -> ResponseReturnValue:
    """The call list: who to ring, what they owe, what to say; and the last 30 days' outcomes."""
    organisation = _organisation(organisation_id)
    recent = db.session.scalars(
        select(ReminderAction)
        .where(
            ReminderAction.organisation_id == organisation_id,
            ReminderAction.channel == Channel.CALL.value,
            ReminderAction.outcome.is_not(None),
            ReminderAction.outcome_at >= clock.now() - timedelta(days=30),
        )
        .order_by(ReminderAction.outcome_at.desc())
        .limit(200)
    )
    return render_template(
        "reminders/calls.html",
        organisation=organisation,
        open_calls=_rows(organisation_id, _open_calls(organisation_id), sent=True),
        recent=_rows(organisation_id, recent, sent=True),
        outcomes=OUTCOMES,
        today=clock.today(organisation.timezone),
        format_date=format_date,
        format_datetime=format_datetime,
    )


def _day(text: str) -> date | None:
    """A day from a date input (YYYY-MM-DD), or None."""
    try:
        return date.fromisoformat(text.strip()) if len(text.strip()) == 10 else None
    except ValueError:
        return None


@reminders.post("/organisations/<int:organisation_id>/calls/<int:action_id>/outcome")
def call_outcome(organisation_id: int, action_id: int) -> ResponseReturnValue:
    """Record how a call went: on the customer's timeline, and noted in the ledger."""
    found = _action(organisation_id, action_id)
    try:
        outcome = CallOutcome(request.form.get("outcome", ""))
    except ValueError:
        flash(str(_l("Choose how the call went.")))
        return redirect(url_for("reminders.calls", organisation_id=organisation_id))
    note = request.form.get("note", "").strip()[:2000]
    promised_on = None
    if outcome is CallOutcome.PROMISED:
        # The promise itself (reminders.promises) needs its amount and day: asked before anything
        # is recorded, so a half-filled form records neither the outcome nor the promise.
        promised_on = _day(request.form.get("promised_on", ""))
        if amount_of(request.form.get("amount", "")) is None or promised_on is None:
            flash(str(_l("A promise to pay needs its amount and the day it will be paid by.")))
            return redirect(url_for("reminders.calls", organisation_id=organisation_id))
    try:
        outbox.record_outcome(db.session(), found, current_user.user.id, outcome, note)
        flash(str(_l("Call recorded: %(outcome)s.", outcome=OUTCOMES[outcome])))
        if outcome is CallOutcome.DISPUTED:
            _dispute_from_call(found.id, note)
    except outbox.NotAllowed:
        _handled_elsewhere()
        return redirect(url_for("reminders.calls", organisation_id=organisation_id))
    customer = db.session.get(Customer, found.customer_id)
    if outcome is CallOutcome.PROMISED and customer is not None:
        owed = {invoice.ledger_id for invoice in open_invoices_of(customer)}
        named = [ledger_id for ledger_id in found.sent_invoice_ledger_ids if ledger_id in owed]
        keep_promise(
            customer,
            request.form.get("amount", ""),
            promised_on,
            named or sorted(owed),
            PromiseSource.CALL,
            note,
            found.id,
        )
    return redirect(url_for("reminders.calls", organisation_id=organisation_id))


def _dispute_from_call(action_id: int, note: str) -> None:
    """A call recorded as disputed opens a dispute on the oldest open invoice it named."""
    session = db.session()
    after = dispute_from_call(session, action_id, current_user.user.id, note)
    if after is None:
        session.rollback()
        flash(str(_l("No open invoice of this call is left to dispute: raise one from the customer's page.")))
        return
    session.commit()
    after()
    flash(str(_l("Dispute raised on the oldest invoice of the call; Relance stops chasing it.")))


def _letters_to_post(organisation_id: int) -> list[ReminderAction]:
    return _listed(
        organisation_id,
        ReminderAction.channel == Channel.LETTER.value,
        ReminderAction.status == ActionStatus.SENT.value,
        ReminderAction.posted_at.is_(None),
    )


def _letters_page(organisation_id: int, notice: Any = None) -> ResponseReturnValue:
    organisation = _organisation(organisation_id)
    return render_template(
        "reminders/letters.html",
        organisation=organisation,
        letters=_rows(organisation_id, _letters_to_post(organisation_id), sent=True),
        notice=notice,
        channels=CHANNELS,
        format_date=format_date,
    )


@reminders.get("/organisations/<int:organisation_id>/letters")
def letters(organisation_id: int) -> ResponseReturnValue:
    """The letters to print and post, and a way to say they went in the post."""
    return _letters_page(organisation_id)


@reminders.get("/organisations/<int:organisation_id>/letters/batch.pdf")
def batch(organisation_id: int) -> ResponseReturnValue:
    """Every letter still to post, in one PDF to print."""
    try:  # the letters' documents module comes with another part of issue #15
        from reminders.dispatch.documents import print_batch_pdf  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return _letters_page(
            organisation_id, _l("Printing letters in one batch is not available in this version yet.")
        )
    pdfs = [found.letter_pdf for found in _letters_to_post(organisation_id) if found.letter_pdf]
    if not pdfs:
        return _letters_page(organisation_id, _l("No letter to print."))
    return Response(
        print_batch_pdf(pdfs),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="letters-{clock.today().isoformat()}.pdf"'},
    )


@reminders.post("/organisations/<int:organisation_id>/letters/posted")
def posted(organisation_id: int) -> ResponseReturnValue:
    """The letters ticked are in the post."""
    chosen = _chosen(organisation_id)
    if not chosen:
        flash(str(_l("Tick the letters you posted first.")))
        return redirect(url_for("reminders.letters", organisation_id=organisation_id))
    count = outbox.mark_posted(db.session(), chosen, current_user.user.id)
    if count:
        flash(str(_l("Marked posted: %(count)d.", count=count)))
    else:
        _handled_elsewhere()
    return redirect(url_for("reminders.letters", organisation_id=organisation_id))
