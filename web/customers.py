"""The customers area: the organisation's customers, and each customer's page (issue #14).

The list searches (name, email, invoice number, one box), filters (risk class, segment, aging
bucket) and sorts the customers, fifty to a page; it is a GET form, which htmx turns into a table
that updates in place. A query string the list does not understand is ignored, part by part,
rather than refused: a stale bookmark still opens the list.

The customer page shows what the customer owes, invoice by invoice, what they paid and were
credited, their risk and how they pay, and one timeline of everything that happened; its note box
keeps a note (reminders.writeback) and queues the job that writes it to the ledger.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_time
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from integration.connections import Connection
from integration.providers import provider
from reminders.customers import (
    DESCENDING_BY_DEFAULT,
    SEGMENTS,
    CustomerFilters,
    CustomerSort,
    account_of,
    bucket_labels,
    customer_of,
    list_customers,
)
from reminders.dispatch.models import PENDING, ReminderAction
from reminders.disputes import disputed_invoices
from reminders.handoff import open_handoff
from reminders.models import CustomerStanding
from reminders.risk.classes import RiskClass
from reminders.schedules.models import CustomerChasing, Schedule
from reminders.schedules.planner import choose_schedule, language_of
from reminders.timeline import timeline_of
from reminders.writeback import LONGEST_NOTE, note_job_id, record_note, subject_of, write_note_to_ledger
from runtime import clock
from runtime.db import db
from runtime.tenancy import Organisation, record
from web.customer_panels import TIMELINE, panels_for
from web.reminders_pages import CHANNELS
from web.roles import RUNS_THE_BOOKS, start_job

customers = Blueprint("customers", __name__)

# A page number past this is no page anyone reached by clicking (2,000 customers are 40 pages).
LAST_PAGE = 10_000
RISK_LABELS = {RiskClass.LOW: _l("Low"), RiskClass.MEDIUM: _l("Medium"), RiskClass.HIGH: _l("High")}
SEGMENT_LABELS = {"large": _l("Large account"), "small": _l("Small account")}
CALL_OUTCOMES = {
    "reached": _l("reached"),
    "no_answer": _l("no answer"),
    "promised": _l("promised a date"),
    "disputed": _l("disputed"),
}


def filters_from(args: MultiDict[str, str], buckets: int) -> CustomerFilters:
    """The list's filters from a query string; what is not understood is left out."""
    try:
        sort = CustomerSort(args.get("sort", ""))
    except ValueError:
        sort = CustomerSort.OVERDUE
    direction = args.get("direction")
    descending = (
        direction == "desc" if direction in ("asc", "desc") else DESCENDING_BY_DEFAULT.get(sort, True)
    )
    risk = args.get("risk", "")
    bucket = args.get("bucket", "")
    page = args.get("page", "")
    return CustomerFilters(
        search=args.get("q", "").strip()[:200],
        risk=RiskClass(int(risk)) if risk in ("1", "2", "3") else None,
        segment=args.get("segment") if args.get("segment") in SEGMENTS else None,
        bucket=int(bucket) if bucket.isascii() and bucket.isdigit() and int(bucket) <= buckets else None,
        on_hold=args.get("hold") == "1",
        sort=sort,
        descending=descending,
        page=min(int(page), LAST_PAGE) if page.isascii() and page.isdigit() and len(page) < 7 else 1,
    )


def _query(filters: CustomerFilters, **changes: Any) -> str:
    """The list's query string for ``filters`` with ``changes`` (sort=…, page=…)."""
    values: dict[str, Any] = {
        "q": filters.search,
        "risk": int(filters.risk) if filters.risk is not None else "",
        "segment": filters.segment or "",
        "bucket": filters.bucket if filters.bucket is not None else "",
        "hold": "1" if filters.on_hold else "",
        "sort": filters.sort.value,
        "direction": "desc" if filters.descending else "asc",
        "page": filters.page,
    }
    values.update(changes)
    return urlencode({name: value for name, value in values.items() if value not in ("", None, 1)})


def bucket_label(label: str) -> str:
    """ "current", "1-30", "over 120" in the page's language."""
    if label == "current":
        return str(_l("Current"))
    if label.startswith("over "):
        return str(_l("Over %(days)s days", days=label.removeprefix("over ")))
    return str(_l("%(range)s days", range=label))


@customers.get("/organisations/<int:organisation_id>/customers")
@login_required
def index(organisation_id: int) -> ResponseReturnValue:
    """The organisation's customers: searched, filtered, sorted, a page at a time."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    labels = bucket_labels(organisation.id)
    filters = filters_from(request.args, len(labels) - 1)
    found = list_customers(db.session(), organisation, filters)

    def sort_link(sort: str) -> str:
        chosen = CustomerSort(sort)
        descending = (
            not filters.descending if chosen == filters.sort else DESCENDING_BY_DEFAULT.get(chosen, True)
        )
        return "?" + _query(filters, sort=chosen.value, direction="desc" if descending else "asc", page=1)

    def sorted_by(sort: str) -> Markup:
        """The attributes that mark the column the list is sorted by."""
        if sort != filters.sort.value:
            return Markup("")
        if filters.descending:
            return Markup(' aria-sort="descending" data-arrow=" ↓"')
        return Markup(' aria-sort="ascending" data-arrow=" ↑"')

    return render_template(
        "customers/index.html",
        organisation=organisation,
        listing=found,
        filters=filters,
        bucket_names=[bucket_label(label) for label in labels],
        risk_labels=RISK_LABELS,
        segment_labels=SEGMENT_LABELS,
        sort_link=sort_link,
        sorted_by=sorted_by,
        page_link=lambda page: "?" + _query(filters, page=page),
    )


class NoteForm(FlaskForm):
    text = TextAreaField(
        _l("Note"),
        validators=[
            DataRequired(message=_l("Write the note first.")),
            Length(max=LONGEST_NOTE, message=_l("A note is at most %(max)d characters.", max=LONGEST_NOTE)),
        ],
    )
    key = HiddenField(
        validators=[Regexp(r"^[0-9a-f]{32}$", message=_l("Reload the page and write the note again."))]
    )


class ChasingForm(FlaskForm):
    """A customer's chasing choices (CustomerChasing). Every role may pause a customer and choose
    their language; only owners and accountants set "do not chase" or a schedule of their own."""

    schedule = SelectField(_l("Schedule"), choices=[], validate_choice=False)
    language = SelectField(
        _l("Language of their messages"),
        choices=[("", _l("The organisation's")), ("en", _l("English")), ("fr", _l("French"))],
        validate_choice=False,  # anything but en or fr is the organisation's language
    )
    paused_until = DateField(_l("Paused until"), validators=[Optional()])
    do_not_chase = BooleanField(_l("Do not chase"))
    reason = StringField(_l("Reason"), validators=[Length(max=500)])


def _chasing_panel(organisation: Organisation, customer: Any) -> dict[str, Any]:
    """What the customer page's reminders panel shows: their schedule, choices and pending messages."""
    session = db.session()
    choice = session.scalar(select(CustomerChasing).where(CustomerChasing.customer_id == customer.id))
    schedules = list(session.scalars(select(Schedule).where(Schedule.organisation_id == organisation.id)))
    standing = session.scalar(
        select(CustomerStanding).where(
            CustomerStanding.organisation_id == organisation.id,
            CustomerStanding.customer_ledger_id == customer.ledger_id,
        )
    )
    schedule = choose_schedule(
        schedules,
        choice.schedule_id if choice else None,
        standing.segment if standing else None,
        standing.risk if standing else None,
    )
    pending = session.scalars(
        select(ReminderAction)
        .where(ReminderAction.customer_id == customer.id, ReminderAction.status.in_(PENDING))
        .order_by(ReminderAction.planned_for, ReminderAction.id)
    ).all()
    return {
        "choice": choice,
        "schedules": schedules,
        "schedule": schedule,
        "chosen_by_person": bool(
            choice and choice.schedule_id and schedule and schedule.id == choice.schedule_id
        ),
        "language": language_of(organisation, choice.language if choice else None),
        "pending": pending,
        "handed_off": open_handoff(session, organisation.id, customer.id),
        "paused": bool(
            choice and choice.paused_until and choice.paused_until > clock.today(organisation.timezone)
        ),
        "runs_the_books": g.get("role") in RUNS_THE_BOOKS,
    }


def _page(organisation_id: int, customer_id: int, form: NoteForm, status: int = 200) -> ResponseReturnValue:
    organisation = db.session.get(Organisation, organisation_id)
    customer = customer_of(db.session(), organisation_id, customer_id) if organisation else None
    if organisation is None or customer is None:
        abort(404)
    connection = db.session.scalar(
        select(Connection)
        .where(Connection.organisation_id == organisation_id)
        .order_by(Connection.connected_at.desc(), Connection.id.desc())
        .limit(1)
    )
    if not form.key.data:
        form.key.data = uuid.uuid4().hex
    return (
        render_template(
            "customers/page.html",
            organisation=organisation,
            account=account_of(db.session(), organisation, customer),
            disputed=disputed_invoices(db.session(), organisation.id),
            timeline=timeline_of(db.session(), customer, organisation.timezone),
            ledger_name=provider(connection.provider).display_name if connection else "",
            risk_labels=RISK_LABELS,
            segment_labels=SEGMENT_LABELS,
            form=form,
            chasing=_chasing_panel(organisation, customer),
            panels=panels_for(organisation, customer),
            timeline_partials=TIMELINE,
            call_outcomes=CALL_OUTCOMES,
            channel_labels=CHANNELS,
            longest_note=LONGEST_NOTE,
            format_date=format_date,
            format_time=format_time,
        ),
        status,
    )


@customers.get("/organisations/<int:organisation_id>/customers/<int:customer_id>")
@login_required
def page(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    """One customer: their account, standing and timeline, and the note box."""
    return _page(organisation_id, customer_id, NoteForm(formdata=None))


@customers.post("/organisations/<int:organisation_id>/customers/<int:customer_id>/notes")
@login_required
def add_note(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    """Keep a note on the customer and queue its writing to the ledger."""
    customer = customer_of(db.session(), organisation_id, customer_id)
    if customer is None:
        abort(404)
    form = NoteForm()
    if not form.validate():
        return _page(organisation_id, customer_id, form, status=400)
    text, key = (form.text.data or "").strip(), form.key.data or ""
    note, new = record_note(db.session(), customer, current_user.user.id, text, key)
    db.session.commit()
    if new:
        start_job(
            write_note_to_ledger, current_user.user.id, organisation_id, note.id, job_id=note_job_id(note)
        )
        flash(str(_l("Note saved.")))
    return redirect(
        url_for("customers.page", organisation_id=organisation_id, customer_id=customer_id) + "#timeline"
    )


@customers.post("/organisations/<int:organisation_id>/customers/<int:customer_id>/chasing")
@login_required
def chasing(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    """Keep a person's chasing choices for the customer; the audit event says what changed."""
    organisation = db.session.get(Organisation, organisation_id)
    customer = customer_of(db.session(), organisation_id, customer_id)
    if organisation is None or customer is None:
        abort(404)
    back = url_for("customers.page", organisation_id=organisation_id, customer_id=customer_id) + "#reminders"
    form = ChasingForm()
    if not form.validate():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error))
        return redirect(back)
    choice = db.session.scalar(select(CustomerChasing).where(CustomerChasing.customer_id == customer.id))
    if choice is None:
        choice = CustomerChasing(organisation_id=organisation_id, customer_id=customer.id)
        db.session.add(choice)
    before: dict[str, Any] = {
        "schedule_id": choice.schedule_id,
        "do_not_chase": bool(choice.do_not_chase),
        "paused_until": choice.paused_until,
        "language": choice.language,
        "reason": choice.reason or "",
    }
    after = dict(before)
    after["paused_until"] = form.paused_until.data
    after["language"] = form.language.data if form.language.data in ("en", "fr") else None
    after["reason"] = (form.reason.data or "").strip()
    if g.get("role") in RUNS_THE_BOOKS:
        after["do_not_chase"] = bool(form.do_not_chase.data)
        wanted = form.schedule.data or ""
        ours = {
            schedule.id
            for schedule in db.session.scalars(
                select(Schedule).where(Schedule.organisation_id == organisation_id)
            )
        }
        after["schedule_id"] = (
            int(wanted)
            if wanted.isascii() and wanted.isdigit() and len(wanted) < 10 and int(wanted) in ours
            else None
        )
    elif form.do_not_chase.data != before["do_not_chase"] and "do_not_chase" in request.form:
        flash(str(_l('Only owners and accountants may set a customer to "do not chase".')))
    changed = {key: after[key] for key in after if after[key] != before[key]}
    if not changed:
        db.session.rollback()
        flash(str(_l("Nothing changed.")))
        return redirect(back)
    choice.schedule_id = after["schedule_id"]
    choice.do_not_chase = after["do_not_chase"]
    choice.paused_until = after["paused_until"]
    choice.language = after["language"]
    choice.reason = after["reason"]
    choice.set_by_user_id = current_user.user.id
    record(
        db.session(),
        organisation_id,
        "customer.chasing",
        subject_of(customer),
        current_user.user.id,
        **{
            key: (value.isoformat() if hasattr(value, "isoformat") else value)
            for key, value in changed.items()
        },
    )
    db.session.commit()
    flash(str(_l("Reminder choices saved.")))
    return redirect(back)
