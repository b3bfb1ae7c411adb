"""The outbox's moves that people make, and the periodic job that plans and dispatches.

People (the review queue, the call list, the print batch): approve, skip, edit, send now; settle an
interrupted send; record a call's outcome; mark letters posted. Each move is one compare-and-set
on the action's status, so two people clicking at once make one move, and each is in the audit
trail under the customer.

``plan_and_dispatch`` runs every few minutes: each organisation whose sending time has come on one
of its business days is planned once that day (``PlannerRun``'s unique key settles a race), then
what may go is queued: in automatic sending, the planned messages, unless the last completed sync
is older than the organisation allows (the page says sending is held, and why); in either mode,
what people approved and the call tasks.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integration.connections import Connection, ConnectionStatus
from reminders.dispatch.models import PENDING, READY, ActionStatus, CallOutcome, ReminderAction
from reminders.dispatch.send import queue_send, settle_interrupted
from reminders.schedules.calendar import sending_day
from reminders.schedules.models import PlannerRun, Schedule
from reminders.schedules.planner import plan_organisation, settings_for
from reminders.schedules.stages import Channel
from reminders.writeback import queue_writes, record_invoice_notes, subject_of
from runtime import clock
from runtime.db import db
from runtime.logs import get_logger
from runtime.tenancy import Organisation, record
from sync.models import Customer, SyncState

log = get_logger(__name__)


class NotAllowed(Exception):
    """The move does not apply to the action as it is now (someone else moved it first)."""


def _move(
    session: Session, action: ReminderAction, from_: tuple[str, ...], to: ActionStatus, **values: object
) -> None:
    moved = session.execute(
        update(ReminderAction)
        .where(ReminderAction.id == action.id, ReminderAction.status.in_(from_))
        .values(status=to.value, **values)
    )
    if not getattr(moved, "rowcount", 0):
        session.rollback()
        raise NotAllowed(action.status)
    session.refresh(action)


def _audit(
    session: Session, action: ReminderAction, what: str, user_id: int | None, **details: object
) -> None:
    customer = session.get(Customer, action.customer_id)
    subject = subject_of(customer) if customer is not None else ""
    record(
        session,
        action.organisation_id,
        what,
        subject,
        user_id,
        stage=action.stage_name,
        channel=action.channel,
        action_id=action.id,
        **details,
    )


def approve(session: Session, action: ReminderAction, user_id: int) -> None:
    """A person approved it: it goes now (asking the ledger first, as every send does)."""
    _move(
        session,
        action,
        (ActionStatus.AWAITING_APPROVAL.value, ActionStatus.PLANNED.value),
        ActionStatus.APPROVED,
        decided_by_user_id=user_id,
        decided_at=clock.now(),
    )
    _audit(session, action, "reminder.approved", user_id)
    session.commit()
    queue_send(action.id)


def skip(session: Session, action: ReminderAction, user_id: int, reason: str = "") -> None:
    _move(
        session,
        action,
        PENDING,
        ActionStatus.SKIPPED,
        decided_by_user_id=user_id,
        decided_at=clock.now(),
        finished_at=clock.now(),
        reason=(reason or "skipped by a person")[:1000],
    )
    _audit(session, action, "reminder.skipped", user_id, reason=reason or "skipped by a person")
    session.commit()


def skip_pending_of(
    session: Session,
    customer: Customer,
    user_id: int | None,
    reason: str,
    only_naming: set[str] | None = None,
) -> int:
    """Skip every message still to go to ``customer`` (planned, awaiting approval, approved), each
    audited as ``skip`` does, in the caller's transaction: for a decision that stops the chasing
    at once (a hand-off), or, with ``only_naming``, the messages that name nothing but those
    invoices (a promise covering them). One a worker took already (sending) is left to finish.
    Returns how many."""
    skipped = 0
    for action in session.scalars(
        select(ReminderAction).where(
            ReminderAction.organisation_id == customer.organisation_id,
            ReminderAction.customer_id == customer.id,
            ReminderAction.status.in_(PENDING),
        )
    ).all():
        if only_naming is not None and not set(action.invoice_ledger_ids) <= only_naming:
            continue  # it asks for other invoices too: the send leaves the promised ones out
        moved = session.execute(
            update(ReminderAction)
            .where(ReminderAction.id == action.id, ReminderAction.status.in_(PENDING))
            .values(
                status=ActionStatus.SKIPPED.value,
                decided_by_user_id=user_id,
                decided_at=clock.now(),
                finished_at=clock.now(),
                reason=reason[:1000],
            )
        )
        if getattr(moved, "rowcount", 0):
            _audit(session, action, "reminder.skipped", user_id, reason=reason)
            skipped += 1
    return skipped


def edit(session: Session, action: ReminderAction, user_id: int, subject: str, body: str) -> None:
    """A person's wording for this one message (the stage's message stays as it is)."""
    _move(
        session,
        action,
        PENDING,
        ActionStatus(action.status),
        edited_subject=subject,
        edited_body=body,
        decided_by_user_id=user_id,
    )
    _audit(session, action, "reminder.edited", user_id)
    session.commit()


def settle(session: Session, action: ReminderAction, user_id: int, went: bool) -> None:
    """An interrupted send, settled by a person who looked: it went (sent), or send it again."""
    if went:
        _move(
            session,
            action,
            (ActionStatus.INTERRUPTED.value,),
            ActionStatus.SENT,
            decided_by_user_id=user_id,
            decided_at=clock.now(),
            reason="marked sent by a person after an interrupted send",
        )
        _audit(session, action, "reminder.marked_sent", user_id)
        session.commit()
        return
    _move(
        session,
        action,
        (ActionStatus.INTERRUPTED.value, ActionStatus.FAILED.value),
        ActionStatus.APPROVED,
        decided_by_user_id=user_id,
        decided_at=clock.now(),
    )
    _audit(session, action, "reminder.send_again", user_id)
    session.commit()
    queue_send(action.id)


def record_outcome(
    session: Session, action: ReminderAction, user_id: int, outcome: CallOutcome, note: str
) -> None:
    """A call task's outcome: on the customer's timeline, and noted in the ledger on its invoices."""
    if action.channel != Channel.CALL.value:
        raise NotAllowed("not a call task")
    moved = session.execute(
        update(ReminderAction)
        .where(
            ReminderAction.id == action.id,
            ReminderAction.status == ActionStatus.SENT.value,
            ReminderAction.outcome.is_(None),
        )
        .values(
            outcome=outcome.value,
            outcome_note=note[:2000],
            outcome_at=clock.now(),
            outcome_by_user_id=user_id,
        )
    )
    if not getattr(moved, "rowcount", 0):
        session.rollback()
        raise NotAllowed("the outcome is already recorded")
    session.refresh(action)
    _audit(session, action, "reminder.call_outcome", user_id, outcome=outcome.value, note=note[:2000])
    customer = session.get(Customer, action.customer_id)
    notes = []
    if customer is not None:
        text = f"Relance: call ({action.stage_name}) on {clock.today().isoformat()}: {outcome.value.replace('_', ' ')}"
        text += f". {note}" if note else "."
        notes = record_invoice_notes(
            session, customer, list(action.sent_invoice_ledger_ids), text[:2000], f"{action.key}:outcome"
        )
    session.commit()
    queue_writes(notes)


def mark_posted(session: Session, actions: list[ReminderAction], user_id: int) -> int:
    """Letters a person put in the post: dated, and noted in the ledger on their invoices."""
    posted = 0
    notes = []
    for action in actions:
        if (
            action.channel != Channel.LETTER.value
            or action.status != ActionStatus.SENT.value
            or action.posted_at
        ):
            continue
        action.posted_at = clock.now()
        _audit(session, action, "reminder.posted", user_id)
        customer = session.get(Customer, action.customer_id)
        if customer is not None:
            text = f'Relance: letter "{action.stage_name}" posted on {clock.today().isoformat()}.'
            notes += record_invoice_notes(
                session, customer, list(action.sent_invoice_ledger_ids), text, f"{action.key}:posted"
            )
        posted += 1
    session.commit()
    queue_writes(notes)
    return posted


def sending_held(session: Session, organisation_id: int) -> str | None:
    """Why automatic sending is held for the organisation now, or None: its ledger connection is
    not active, or its last completed sync is older than the organisation allows."""
    settings = settings_for(session, organisation_id)
    connection = session.scalar(
        select(Connection)
        .where(Connection.organisation_id == organisation_id)
        .order_by(Connection.connected_at.desc(), Connection.id.desc())
        .limit(1)
    )
    if connection is None or connection.status != ConnectionStatus.ACTIVE.value:
        return "no_connection"
    state = session.scalar(select(SyncState).where(SyncState.connection_id == connection.id))
    if state is None or state.last_completed_at is None:
        return "never_synced"
    if state.last_completed_at < clock.now() - timedelta(hours=settings.fresh_sync_hours):
        return "sync_stale"
    return None


def dispatch_ready(session: Session, organisation_id: int) -> int:
    """Queue what may go now for the organisation; returns how many sends were queued."""
    settings = settings_for(session, organisation_id)
    statuses = [ActionStatus.APPROVED.value]
    automatic = settings.sending_mode == "automatic" and sending_held(session, organisation_id) is None
    if automatic:
        statuses.append(ActionStatus.PLANNED.value)
    ready = session.scalars(
        select(ReminderAction.id).where(
            ReminderAction.organisation_id == organisation_id,
            (ReminderAction.status.in_(statuses))
            | (
                (ReminderAction.status == ActionStatus.PLANNED.value)
                & (ReminderAction.channel == Channel.CALL.value)
            ),
        )
    ).all()
    for action_id in ready:
        queue_send(action_id)
    return len(ready)


def plan_if_due(session: Session, organisation: Organisation) -> int:
    """Plan the organisation if its sending time has come on a business day and it was not
    planned that day yet; returns how many actions were planned."""
    settings = settings_for(session, organisation.id)
    day = sending_day(organisation.timezone, organisation.country, settings.send_time)
    if day is None:
        return 0
    run = PlannerRun(organisation_id=organisation.id, planned_on=day)
    try:
        session.add(run)
        session.commit()
    except IntegrityError:
        session.rollback()
        return 0  # planned already today (by this scheduler or another)
    from reminders.loop import before_planning

    before_planning(session, organisation, day)
    planned = plan_organisation(session, organisation.id, day)
    run.finished_at = clock.now()
    run.planned = planned
    session.commit()
    return planned


def give_default_schedules(session: Session) -> int:
    """Every connected organisation without a schedule gets the default one (in review-before-
    send, the mode a new organisation starts in). Returns how many got one."""
    from reminders.schedules.defaults import DEFAULT_SCHEDULE
    from reminders.schedules.models import schedule_from
    from reminders.schedules.planner import language_of

    bare = session.scalars(
        select(Organisation)
        .join(Connection, Connection.organisation_id == Organisation.id)
        .where(
            Connection.status == ConnectionStatus.ACTIVE.value,
            ~select(Schedule.id).where(Schedule.organisation_id == Organisation.id).exists(),
        )
        .distinct()
    ).all()
    for organisation in bare:
        session.add(
            schedule_from(DEFAULT_SCHEDULE, organisation.id, language_of(organisation, None), is_default=True)
        )
        record(session, organisation.id, "schedule.created", "schedule:default", None, name="default")
    session.commit()
    return len(bare)


def plan_now(organisation_id: int) -> int:
    """Plan one organisation for its today, whatever the hour (a person's "plan now"), then queue
    what may go. As idempotent as the daily run: what is planned already is not planned again."""
    session = db.session()
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        return 0
    from reminders.loop import before_planning

    today = clock.today(organisation.timezone)
    before_planning(session, organisation, today)  # the day steps are idempotent: safe twice a day
    planned = plan_organisation(session, organisation.id, today)
    dispatch_ready(session, organisation_id)
    return planned


def plan_and_dispatch() -> int:
    """The periodic job: plan each organisation that is due, then queue what may go. Returns the
    number of actions planned."""
    session = db.session()
    settle_interrupted()
    give_default_schedules(session)
    organisations = session.scalars(
        select(Organisation)
        .join(Connection, Connection.organisation_id == Organisation.id)
        .join(Schedule, Schedule.organisation_id == Organisation.id)
        .where(Connection.status == ConnectionStatus.ACTIVE.value)
        .distinct()
    ).all()
    planned = 0
    for organisation in organisations:
        planned += plan_if_due(session, organisation)
        dispatch_ready(session, organisation.id)
    return planned


def awaiting_counts(session: Session, organisation_ids: list[int]) -> dict[int, int]:
    """Per organisation, the messages waiting for a person (awaiting approval or interrupted)."""
    rows = session.execute(
        select(ReminderAction.organisation_id, func.count())
        .where(
            ReminderAction.organisation_id.in_(organisation_ids),
            ReminderAction.status.in_([ActionStatus.AWAITING_APPROVAL.value, ActionStatus.INTERRUPTED.value]),
        )
        .group_by(ReminderAction.organisation_id)
    )
    return {organisation_id: count for organisation_id, count in rows}


def going_today(session: Session, organisation_ids: list[int]) -> dict[int, int]:
    """Per organisation, the actions planned for its today that have not finished."""
    found: dict[int, int] = {}
    for organisation in session.scalars(select(Organisation).where(Organisation.id.in_(organisation_ids))):
        today = clock.today(organisation.timezone)
        found[organisation.id] = (
            session.scalar(
                select(func.count()).where(
                    ReminderAction.organisation_id == organisation.id,
                    ReminderAction.planned_for == today,
                    ReminderAction.status.in_(
                        [*READY, ActionStatus.AWAITING_APPROVAL.value, ActionStatus.SENT.value]
                    ),
                )
            )
            or 0
        )
    return found
