"""The schedules area: the reminder schedules owners and accountants write (issue #15).

The list shows each schedule with whom it is for, how many customers follow it now and its stages
in one line each, and "what would go out today": the planner's answer for the organisation's today
(reminders.schedules.planner.due_today), read and not written. A schedule's page edits its own
fields and its stages, one form per stage posted on its own (every action is a plain POST with its
CSRF token, then a redirect); a stage's messages are checked with templates.check and previewed for
a real customer from the mirror, the HTML in a sandboxed iframe. "Apply to other organisations"
copies a schedule into the organisations the person runs the books of, replacing the one of the
same name there. Every change is an audit event (``schedule.changed`` and kin).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from integration.ledger import InvoiceStatus
from reminders.dispatch.models import ActionStatus, ReminderAction
from reminders.dispatch.send import Skip
from reminders.dispatch.send import preview as preview_of
from reminders.schedules.defaults import DEFAULT_SCHEDULE
from reminders.schedules.editing import apply_to, copy_into, customers_owing, followers
from reminders.schedules.models import Schedule, Stage, schedule_from
from reminders.schedules.planner import due_today, language_of
from reminders.schedules.stages import Anchor, Channel
from reminders.schedules.templates import PLACEHOLDERS, TemplateProblem
from runtime import clock
from runtime.db import db
from runtime.tenancy import Organisation, record
from sync.models import Customer, Invoice
from web.headers import isolated_html
from web.i18n import current_language
from web.layout import places
from web.roles import RUNS_THE_BOOKS, may_open
from web.schedule_forms import (
    ANCHOR_LABELS,
    CHANNEL_LABELS,
    LANGUAGE_LABELS,
    MessagesForm,
    ScheduleForm,
    StageForm,
    apply_stage,
    audience_in_words,
    messages_data,
    stage_data,
    stage_in_words,
)

schedules = Blueprint("schedules", __name__)


def _organisation(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    return organisation


def _schedule(organisation_id: int, schedule_id: int) -> Schedule:
    """The organisation's schedule; 404 for another organisation's."""
    schedule = db.session.scalar(
        select(Schedule)
        .where(Schedule.organisation_id == organisation_id, Schedule.id == schedule_id)
        .options(selectinload(Schedule.stages))
    )
    if schedule is None:
        abort(404)
    return schedule


def _stage(schedule: Schedule, stage_id: int) -> Stage:
    stage = next((stage for stage in schedule.stages if stage.id == stage_id), None)
    if stage is None:
        abort(404)
    return stage


def _schedules_of(session: Session, organisation_id: int) -> list[Schedule]:
    return list(
        session.scalars(
            select(Schedule)
            .where(Schedule.organisation_id == organisation_id)
            .options(selectinload(Schedule.stages))
            .order_by(Schedule.is_default.desc(), Schedule.position, Schedule.id)
        )
    )


@dataclass(frozen=True)
class Going:
    """One line of "what would go out today"."""

    customer_id: int
    customer_name: str
    stage_name: str
    channel: str
    invoice_numbers: list[str]


def _going_today(session: Session, organisation: Organisation, today: date) -> list[Going]:
    due, _awaiting = due_today(session, organisation.id, today)
    # What is in the outbox for today already (planned, awaiting approval, going, gone), then
    # what the planner would add if it ran now.
    planned = session.scalars(
        select(ReminderAction)
        .where(
            ReminderAction.organisation_id == organisation.id,
            ReminderAction.planned_for == today,
            ReminderAction.status.not_in([ActionStatus.SKIPPED.value, ActionStatus.FAILED.value]),
        )
        .order_by(ReminderAction.id)
    ).all()
    stage_names = {
        stage.id: stage.name_in(current_language())
        for stage in session.scalars(
            select(Stage).where(Stage.id.in_({a.stage_id for a in planned if a.stage_id is not None}))
        )
    }
    customer_ids = {found.customer_id for found in due} | {a.customer_id for a in planned}
    names = dict(
        session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))).all()
    )
    ledger_ids = {ledger_id for found in due for ledger_id in found.item.invoice_ledger_ids} | {
        ledger_id for a in planned for ledger_id in a.invoice_ledger_ids
    }
    numbers = dict(
        session.execute(
            select(Invoice.ledger_id, Invoice.number).where(
                Invoice.organisation_id == organisation.id, Invoice.ledger_id.in_(ledger_ids)
            )
        ).all()
    )
    language = current_language()
    going = [
        Going(
            found.customer_id,
            names.get(found.customer_id, ""),
            found.item.stage.name_in(language),
            str(CHANNEL_LABELS.get(found.item.channel.value, found.item.channel.value)),
            [numbers.get(ledger_id, ledger_id) for ledger_id in found.item.invoice_ledger_ids],
        )
        for found in due
    ] + [
        Going(
            a.customer_id,
            names.get(a.customer_id, ""),
            stage_names.get(a.stage_id or 0, a.stage_name),
            str(CHANNEL_LABELS.get(a.channel, a.channel)),
            [numbers.get(ledger_id, ledger_id) for ledger_id in a.invoice_ledger_ids],
        )
        for a in planned
    ]
    return sorted(going, key=lambda line: (line.customer_name.lower(), line.stage_name))


def _other_organisations(organisation_id: int) -> list[tuple[int, str]]:
    """The other organisations the person runs the books of (where a schedule may be applied)."""
    return [
        (place.id, place.name)
        for place in places()
        if place.id != organisation_id and place.role in {role.value for role in RUNS_THE_BOOKS}
    ]


@schedules.get("/organisations/<int:organisation_id>/schedules")
@login_required
def index(organisation_id: int) -> ResponseReturnValue:
    """The organisation's schedules, and what would go out today."""
    organisation = _organisation(organisation_id)
    session = db.session()
    found = _schedules_of(session, organisation.id)
    today = clock.today(organisation.timezone)
    going = _going_today(session, organisation, today)
    return render_template(
        "schedules/index.html",
        organisation=organisation,
        schedules=found,
        followers=followers(session, organisation.id, found),
        going=going,
        by_stage=Counter(line.stage_name for line in going).most_common(),
        today=today,
        format_date=format_date,
        language=current_language(),
        stage_in_words=stage_in_words,
        audience_in_words=audience_in_words,
        may_edit=may_open("schedules.edit", _role(organisation.id)),
        others=_other_organisations(organisation.id),
        form=FlaskForm(),
    )


def _role(organisation_id: int) -> str | None:
    place = next((place for place in places() if place.id == organisation_id), None)
    return place.role if place else None


@schedules.post("/organisations/<int:organisation_id>/schedules/new")
@login_required
def create(organisation_id: int) -> ResponseReturnValue:
    """A new schedule: a copy of the organisation's default (or of the shipped one)."""
    organisation = _organisation(organisation_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    session = db.session()
    found = _schedules_of(session, organisation.id)
    default = next((schedule for schedule in found if schedule.is_default), None)
    language = current_language()
    if default is not None:
        schedule = Schedule(organisation_id=organisation.id, key="", segments=[], risk_classes=[])
        copy_into(schedule, default)
        schedule.name = _("Copy of %(name)s", name=default.name)[:100]
    else:
        schedule = schedule_from(DEFAULT_SCHEDULE, organisation.id, language_of(organisation, language))
        schedule.key = ""
    schedule.is_default = not found
    schedule.position = max((s.position for s in found), default=0) + 1
    session.add(schedule)
    session.flush()
    record(
        session,
        organisation.id,
        "schedule.created",
        f"schedule:{schedule.id}",
        current_user.user.id,
        name=schedule.name,
    )
    session.commit()
    flash(_("Schedule created: change it below."))
    return redirect(url_for("schedules.edit", organisation_id=organisation.id, schedule_id=schedule.id))


# --- a schedule and its stages ----------------------------------------------------------------------


def _edit_page(
    organisation: Organisation,
    schedule: Schedule,
    form: ScheduleForm | None = None,
    failed: tuple[int, StageForm] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    if form is None:
        form = ScheduleForm(formdata=None, data=_schedule_data(schedule), prefix="schedule")
    stage_forms = []
    for stage in schedule.stages:
        if failed is not None and failed[0] == stage.id:
            stage_forms.append((stage, failed[1]))
        else:
            stage_forms.append(
                (stage, StageForm(formdata=None, data=stage_data(stage), prefix=f"stage-{stage.id}"))
            )
    for _shown, stage_form in stage_forms:
        stage_form.min_overdue.label.text = _(
            "Minimum overdue amount (%(currency)s)", currency=organisation.base_currency
        )
        stage_form.min_overdue.description = _(
            "In %(currency)s, the organisation's base currency: below this overdue balance the stage does not go.",
            currency=organisation.base_currency,
        )
    return render_template(
        "schedules/edit.html",
        organisation=organisation,
        schedule=schedule,
        form=form,
        stage_forms=stage_forms,
        stage_in_words=stage_in_words,
        language=current_language(),
        plain=FlaskForm(),
    ), status


def _schedule_data(schedule: Schedule) -> dict[str, Any]:
    return {
        "name": schedule.name,
        "minimum_gap_days": schedule.minimum_gap_days,
        "is_default": schedule.is_default,
        "segments": list(schedule.segments),
        "risk_classes": list(schedule.risk_classes),
    }


@schedules.route("/organisations/<int:organisation_id>/schedules/<int:schedule_id>", methods=["GET", "POST"])
@login_required
def edit(organisation_id: int, schedule_id: int) -> ResponseReturnValue:
    """A schedule's own fields (GET shows them with its stages; POST saves the fields)."""
    organisation = _organisation(organisation_id)
    schedule = _schedule(organisation.id, schedule_id)
    if request.method == "GET":
        return _edit_page(organisation, schedule)
    form = ScheduleForm(prefix="schedule")
    valid = form.validate_on_submit()
    others = [s for s in _schedules_of(db.session(), organisation.id) if s.id != schedule.id]
    if valid and schedule.is_default and not form.is_default.data:
        form.is_default.errors = [
            _("An organisation keeps one default schedule: make another one the default instead.")
        ]
        valid = False
    if not valid:
        return _edit_page(organisation, schedule, form=form, status=400)
    before = {key: str(value) for key, value in _schedule_data(schedule).items()}
    schedule.name = form.name.data or schedule.name
    schedule.minimum_gap_days = form.minimum_gap_days.data or 0
    schedule.segments = list(form.segments.data or [])
    schedule.risk_classes = sorted(int(risk) for risk in form.risk_classes.data or [])
    if form.is_default.data and not schedule.is_default:
        for other in others:
            other.is_default = False
        schedule.is_default = True
    after = {key: str(value) for key, value in _schedule_data(schedule).items()}
    _changed(organisation.id, schedule, {key: after[key] for key in after if after[key] != before[key]})
    return _back(organisation.id, schedule.id)


def _changed(
    organisation_id: int, schedule: Schedule, changes: dict[str, str], stage: Stage | None = None
) -> None:
    """Record ``schedule.changed`` (when anything did) and commit, with a flash that says so."""
    if changes:
        if stage is not None:
            changes = {"stage": stage.key, **changes}
        record(
            db.session(),
            organisation_id,
            "schedule.changed",
            f"schedule:{schedule.id}",
            current_user.user.id,
            schedule=schedule.name,
            **changes,
        )
    db.session.commit()
    flash(_("Schedule saved.") if changes else _("Nothing changed."))


def _back(organisation_id: int, schedule_id: int, anchor: str = "") -> ResponseReturnValue:
    return redirect(
        url_for("schedules.edit", organisation_id=organisation_id, schedule_id=schedule_id) + anchor
    )


@schedules.post("/organisations/<int:organisation_id>/schedules/<int:schedule_id>/stages/<int:stage_id>")
@login_required
def save_stage(organisation_id: int, schedule_id: int, stage_id: int) -> ResponseReturnValue:
    """One stage's form, saved."""
    organisation = _organisation(organisation_id)
    schedule = _schedule(organisation.id, schedule_id)
    stage = _stage(schedule, stage_id)
    form = StageForm(prefix=f"stage-{stage.id}")
    if not form.validate_on_submit():
        return _edit_page(organisation, schedule, failed=(stage.id, form), status=400)
    _changed(organisation.id, schedule, apply_stage(form, stage), stage)
    return _back(organisation.id, schedule.id, f"#stage-{stage.id}")


@schedules.post("/organisations/<int:organisation_id>/schedules/<int:schedule_id>/stages")
@login_required
def add_stage(organisation_id: int, schedule_id: int) -> ResponseReturnValue:
    """A new stage at the end: an email 1 day after the previous stage, to be written."""
    organisation = _organisation(organisation_id)
    schedule = _schedule(organisation.id, schedule_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    taken = {stage.key for stage in schedule.stages}
    number = len(schedule.stages) + 1
    while f"stage-{number}" in taken:
        number += 1
    stage = Stage(
        key=f"stage-{number}",
        position=max((s.position for s in schedule.stages), default=-1) + 1,
        names={"en": f"Stage {number}", "fr": f"Étape {number}"},
        anchor=(Anchor.AFTER_PREVIOUS if schedule.stages else Anchor.AFTER_DUE).value,
        days=7 if schedule.stages else 1,
        channels=[Channel.EMAIL.value],
        messages={},
        talking_points={},
        min_overdue=Decimal("0"),
    )
    schedule.stages.append(stage)
    db.session.flush()
    _changed(organisation.id, schedule, {"added": stage.key})
    return _back(organisation.id, schedule.id, f"#stage-{stage.id}")


@schedules.post(
    "/organisations/<int:organisation_id>/schedules/<int:schedule_id>/stages/<int:stage_id>/remove"
)
@login_required
def remove_stage(organisation_id: int, schedule_id: int, stage_id: int) -> ResponseReturnValue:
    """Remove a stage (what the outbox planned from it keeps its name; it is not planned again)."""
    organisation = _organisation(organisation_id)
    schedule = _schedule(organisation.id, schedule_id)
    stage = _stage(schedule, stage_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    schedule.stages.remove(stage)
    for index, kept in enumerate(schedule.stages):
        kept.position = index
    _changed(organisation.id, schedule, {"removed": stage.key})
    return _back(organisation.id, schedule.id, "#stages")


@schedules.post("/organisations/<int:organisation_id>/schedules/<int:schedule_id>/stages/<int:stage_id>/move")
@login_required
def move_stage(organisation_id: int, schedule_id: int, stage_id: int) -> ResponseReturnValue:
    """Move a stage up or down (``direction`` in the form)."""
    organisation = _organisation(organisation_id)
    schedule = _schedule(organisation.id, schedule_id)
    stage = _stage(schedule, stage_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    ordered = list(schedule.stages)
    index = ordered.index(stage)
    to = index - 1 if request.form.get("direction") == "up" else index + 1
    changes: dict[str, str] = {}
    if 0 <= to < len(ordered):
        ordered[index], ordered[to] = ordered[to], ordered[index]
        for position, kept in enumerate(ordered):
            kept.position = position
        changes = {"moved": stage.key, "order": ", ".join(s.key for s in ordered)}
    _changed(organisation.id, schedule, changes, None)
    return _back(organisation.id, schedule.id, f"#stage-{stage.id}")


# --- a stage's messages and their preview -------------------------------------------------------------


@schedules.route(
    "/organisations/<int:organisation_id>/schedules/<int:schedule_id>/stages/<int:stage_id>/messages",
    methods=["GET", "POST"],
)
@login_required
def messages(organisation_id: int, schedule_id: int, stage_id: int) -> ResponseReturnValue:
    """A stage's subject and body per language, and its call talking points, checked before kept."""
    organisation = _organisation(organisation_id)
    schedule = _schedule(organisation.id, schedule_id)
    stage = _stage(schedule, stage_id)
    if request.method == "GET":
        form = MessagesForm(formdata=None, data=messages_data(stage))
    else:
        form = MessagesForm()
        form.needs_message = any(c in stage.channels for c in (Channel.EMAIL.value, Channel.LETTER.value))
        if form.validate_on_submit():
            before = messages_data(stage)
            stage.messages = {
                code: {
                    "subject": getattr(form, f"subject_{code}").data or "",
                    "body": getattr(form, f"body_{code}").data or "",
                }
                for code in ("en", "fr")
                if getattr(form, f"subject_{code}").data or getattr(form, f"body_{code}").data
            }
            stage.talking_points = {
                code: getattr(form, f"talking_points_{code}").data
                for code in ("en", "fr")
                if getattr(form, f"talking_points_{code}").data
            }
            after = messages_data(stage)
            _changed(
                organisation.id,
                schedule,
                {key: "changed" for key in after if after[key] != before[key]},
                stage,
            )
            return redirect(
                url_for(
                    "schedules.messages",
                    organisation_id=organisation.id,
                    schedule_id=schedule.id,
                    stage_id=stage.id,
                )
            )
    language = current_language()
    return render_template(
        "schedules/messages.html",
        organisation=organisation,
        schedule=schedule,
        stage=stage,
        form=form,
        placeholders=[(name, texts.get(language, texts["en"])) for name, texts in PLACEHOLDERS.items()],
        language=language,
    ), (400 if form.errors else 200)


@schedules.get(
    "/organisations/<int:organisation_id>/schedules/<int:schedule_id>/stages/<int:stage_id>/preview"
)
@login_required
def preview(organisation_id: int, schedule_id: int, stage_id: int) -> ResponseReturnValue:
    """The stage written for a real customer from the mirror (nothing is sent, the ledger is not asked)."""
    organisation = _organisation(organisation_id)
    schedule = _schedule(organisation.id, schedule_id)
    stage = _stage(schedule, stage_id)
    session = db.session()
    today = clock.today(organisation.timezone)
    owing = customers_owing(session, organisation, today)
    asked = request.args.get("customer", "")
    customer_id = int(asked) if asked.isascii() and asked.isdigit() and len(asked) < 10 else None
    if customer_id is None and owing:
        customer_id = owing[0][0]
    language = request.args.get("language") or current_language()
    if language not in LANGUAGE_LABELS:
        language = "en"
    customer = (
        session.scalar(
            select(Customer).where(Customer.organisation_id == organisation.id, Customer.id == customer_id)
        )
        if customer_id is not None
        else None
    )
    if customer_id is not None and customer is None:
        abort(404)
    written = None
    problem = None
    channel = next(
        (
            Channel(c)
            for c in (Channel.EMAIL.value, Channel.LETTER.value, Channel.CALL.value)
            if c in stage.channels
        ),
        Channel.EMAIL,
    )
    if customer is not None:
        open_rows = session.execute(
            select(Invoice.ledger_id, Invoice.due_on).where(
                Invoice.organisation_id == organisation.id,
                Invoice.customer_ledger_id == customer.ledger_id,
                Invoice.status == InvoiceStatus.OPEN.value,
                Invoice.amount_due > 0,
            )
        ).all()
        # A friendly note names the invoices not yet due; an escalation names what is late.
        coming = [ledger_id for ledger_id, due_on in open_rows if due_on is None or due_on >= today]
        late = [ledger_id for ledger_id, due_on in open_rows if due_on is not None and due_on < today]
        named = coming if stage.anchor == Anchor.BEFORE_DUE.value and coming else late or coming
        action = ReminderAction(
            organisation_id=organisation.id,
            customer_id=customer.id,
            stage_id=stage.id,
            schedule_id=schedule.id,
            channel=channel.value,
            language=language,
            invoice_ledger_ids=named,
        )
        try:
            written = preview_of(session, action, today)
        except (Skip, TemplateProblem) as error:
            problem = str(error)
    if request.args.get("part") == "html":  # the iframe's own document
        if written is None or written.html is None:
            abort(404)
        return isolated_html(written.html)
    return render_template(
        "schedules/preview.html",
        organisation=organisation,
        schedule=schedule,
        stage=stage,
        owing=owing,
        customer=customer,
        language=language,
        languages=LANGUAGE_LABELS,
        channel_label=CHANNEL_LABELS[channel.value],
        written=written,
        problem=problem,
    )


# --- apply to other organisations ----------------------------------------------------------------------


@schedules.route(
    "/organisations/<int:organisation_id>/schedules/<int:schedule_id>/apply", methods=["GET", "POST"]
)
@login_required
def apply(organisation_id: int, schedule_id: int) -> ResponseReturnValue:
    """Copy a schedule into other organisations the person runs the books of (GET: choose them)."""
    organisation = _organisation(organisation_id)
    schedule = _schedule(organisation.id, schedule_id)
    session = db.session()
    others = _other_organisations(organisation.id)
    same_name = {
        organisation_id: name
        for organisation_id, name in session.execute(
            select(Schedule.organisation_id, Schedule.name).where(
                Schedule.organisation_id.in_([place_id for place_id, _name in others]),
                Schedule.name == schedule.name,
            )
        ).all()
    }
    form = FlaskForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        allowed = {place_id for place_id, _name in others}
        chosen = [
            int(v)
            for v in request.form.getlist("organisation")
            if v.isascii() and v.isdigit() and len(v) < 10
        ]
        if any(place_id not in allowed for place_id in chosen):
            abort(403, description=_("You may apply a schedule only to organisations you run the books of."))
        if not chosen:
            flash(_("Choose at least one organisation."))
            return redirect(request.path)
        names = dict(others)
        copied, replaced = [], []
        for target_id in chosen:
            if apply_to(session, schedule, target_id, current_user.user.id):
                replaced.append(names[target_id])
            else:
                copied.append(names[target_id])
        session.commit()
        if copied:
            flash(_("“%(name)s” copied to %(where)s.", name=schedule.name, where=", ".join(copied)))
        if replaced:
            flash(
                _(
                    "“%(name)s” replaced the schedule of the same name in %(where)s.",
                    name=schedule.name,
                    where=", ".join(replaced),
                )
            )
        return redirect(url_for("schedules.index", organisation_id=organisation.id))
    return render_template(
        "schedules/apply.html",
        organisation=organisation,
        schedule=schedule,
        others=others,
        same_name=same_name,
        form=form,
    )


@schedules.get("/organisations/<int:organisation_id>/schedules/<int:schedule_id>/backtest")
@login_required
def backtest_page(organisation_id: int, schedule_id: int) -> ResponseReturnValue:
    """What the schedule would have done over the last twelve months of the mirror's history
    (reminders.schedules.backtest): nothing is planned or sent. Large books are worked out by a
    job while the page says so (reminders.schedules.backtest_runs)."""
    from datetime import datetime

    from reminders.schedules.backtest_runs import backtest_run

    organisation = _organisation(organisation_id)
    schedule = _schedule(organisation.id, schedule_id)
    session = db.session()
    run = backtest_run(
        session, organisation.id, schedule, clock.today(organisation.timezone), current_language()
    )
    found = run.document
    stages = found["stages"] if found else []
    channels = [c for c in ("email", "letter", "call") if any(s["by_channel"].get(c) for s in stages)]
    return render_template(
        "schedules/backtest.html",
        organisation=organisation,
        schedule=schedule,
        run=run,
        result=found,
        first_day=date.fromisoformat(found["first_day"]) if found else None,
        last_day=date.fromisoformat(found["last_day"]) if found else None,
        worked_out_at=datetime.fromisoformat(found["worked_out_at"]) if found else None,
        channels=channels or ["email"],
        channel_labels=CHANNEL_LABELS,
        format_date=format_date,
        format_time=format_time,
        may_edit=may_open("schedules.edit", _role(organisation.id)),
        form=FlaskForm(),
    )


@schedules.post("/organisations/<int:organisation_id>/schedules/<int:schedule_id>/backtest")
@login_required
def backtest_again(organisation_id: int, schedule_id: int) -> ResponseReturnValue:
    """Work the backtest out again (after promises or disputes were recorded, say)."""
    from reminders.schedules.backtest_runs import forget

    organisation = _organisation(organisation_id)
    schedule = _schedule(organisation.id, schedule_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    forget(db.session(), organisation.id, schedule, clock.today(organisation.timezone), current_language())
    return redirect(
        url_for("schedules.backtest_page", organisation_id=organisation.id, schedule_id=schedule.id), 303
    )


__all__ = ["ANCHOR_LABELS", "schedules"]
