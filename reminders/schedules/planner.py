"""The planner: what each customer is due today, by their schedule, and into the outbox with it.

Decided from the state of the account, never from the calendar alone (Kill Bill's overdue states:
decide the stage, act when it changes). A stage is due from its day on, as long as its window
lasts, until the outbox holds it: a day the planner did not run is made up the next day, once,
and a run repeated (or two at once) finds the same keys taken and plans nothing again.

Per customer and run:

- the escalation runs on the customer's oldest unpaid, undisputed, unpromised invoice: ``cycle`` is
  its due date, so when it is paid the next oldest starts a run of its own;
- of the stages due that reach the customer (email, letter), only the firmest goes, and only if
  nothing reached the customer within the schedule's minimum gap; it names every invoice of
  the account, and the friendly notes of the invoices it names are then not sent apart;
- call tasks are planned beside messages (a person's to-do; the gap does not count them);
- a message still waiting for approval from an earlier stage is skipped as superseded when a firmer
  one is planned: a customer never gets yesterday's polite note after today's past-due notice;
- a customer who broke a promise to pay (``Account.broken_on``) escalates: the stage after the
  firmest message that reached them before the break is brought forward to the day, whatever its
  day count and the minimum gap, until a message has gone since the break. It takes the stage's
  usual outbox key, so it goes once, and the stage is not sent again when its own day comes.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from integration.ledger import InvoiceStatus
from reminders.dispatch.models import PENDING, ActionStatus, ReminderAction
from reminders.disputes import disputed_invoices
from reminders.handoff import handed_off_customers
from reminders.models import CollectionSettings, CustomerStanding
from reminders.promises import broken_on, promised_invoices
from reminders.schedules.models import CustomerChasing, Schedule, Stage
from reminders.schedules.stages import Anchor, Channel
from runtime import clock
from runtime.db import dialect_insert
from runtime.logs import get_logger
from runtime.tenancy import Organisation
from sync.models import Customer, Invoice

log = get_logger(__name__)

# How far back the outbox is read for a customer's history (repeats, gaps, before-due notes).
HISTORY_DAYS = 400
# Countries whose organisations write to customers in French unless a person chose otherwise.
FRENCH_COUNTRIES = frozenset({"FR", "BE", "LU", "MC"})
# How long after a broken promise its escalation may still be brought forward (a day the planner
# did not run is made up; an old break does not hurry a later run of escalation).
ESCALATION_DAYS = 14


@dataclass(frozen=True)
class OpenInvoice:
    ledger_id: str
    due_on: date | None
    amount_due: Decimal
    base_amount_due: Decimal  # in the organisation's base currency


@dataclass(frozen=True)
class PastAction:
    stage_id: int | None
    cycle: str
    repeat: int
    channel: str
    planned_for: date
    status: str
    invoice_ledger_ids: tuple[str, ...] = ()

    @cached_property
    def reaches(self) -> bool:
        """Whether its channel reaches the customer (an email, a letter; not a call task)."""
        return Channel(self.channel).reaches_customer

    @cached_property
    def counts_as_contact(self) -> bool:
        """Whether it reached (or is about to reach) the customer, for the minimum gap. Kept once
        worked out: the planner asks it of every past action for every stage (and the backtest
        for every day of a year)."""
        return self.reaches and self.status not in (ActionStatus.SKIPPED.value, ActionStatus.FAILED.value)


@dataclass(frozen=True)
class Planned:
    stage: Stage
    channel: Channel
    cycle: str
    repeat: int
    invoice_ledger_ids: tuple[str, ...]

    def key(self, customer_id: int) -> str:
        return f"c{customer_id}:s{self.stage.id}:{self.cycle}:r{self.repeat}:{self.channel.value}"


@dataclass
class Account:
    """One customer's account as the planner sees it."""

    customer_id: int
    segment: str | None
    risk: int | None
    invoices: list[OpenInvoice]
    history: list[PastAction] = field(default_factory=list)
    # The day of the customer's latest broken promise to pay (reminders.promises), if recent.
    broken_on: date | None = None


def _channels(stage: Stage, segment: str | None) -> tuple[Channel, ...]:
    if stage.anchor == Anchor.BEFORE_DUE.value and stage.large_accounts_call and segment == "large":
        return (Channel.CALL,)
    return tuple(Channel(channel) for channel in stage.channels)


def _next_repeat(stage: Stage, cycle: str, history: Sequence[PastAction], today: date) -> int | None:
    """The repeat of ``stage`` due today in ``cycle`` (0: its first), or None."""
    mine = [past for past in history if past.stage_id == stage.id and past.cycle == cycle]
    if not mine:
        return 0
    if any(past.status in PENDING or past.status == ActionStatus.SENDING.value for past in mine):
        return None  # the last one has not gone yet: no repeat piles on it
    last = max(mine, key=lambda past: (past.repeat, past.planned_for))
    if not stage.repeat_every or last.repeat >= stage.repeat_times:
        return None
    if today < last.planned_for + timedelta(days=stage.repeat_every):
        return None
    return last.repeat + 1


def _first_of(stage: Stage, cycle: str, history: Sequence[PastAction]) -> date | None:
    days = [p.planned_for for p in history if p.stage_id == stage.id and p.cycle == cycle and p.repeat == 0]
    return min(days) if days else None


def _brought_forward(
    stages: Sequence[Stage], account: Account, cycle: str, overdue_ids: tuple[str, ...]
) -> list[Planned]:
    """After a broken promise: the next firmer message stage than the firmest that reached the
    customer before the break, while nothing has reached them since and it has not gone yet."""
    broken = account.broken_on
    if broken is None or not cycle:
        return []
    contacts = [past for past in account.history if past.counts_as_contact]
    if any(past.planned_for >= broken for past in contacts):
        return []  # the escalation went (or a message did): the schedule carries on from there
    went = {past.stage_id for past in contacts if past.cycle == cycle}
    firmest = max((index for index, stage in enumerate(stages) if stage.id in went), default=-1)
    for stage in stages[firmest + 1 :]:
        if stage.anchor == Anchor.BEFORE_DUE.value:
            continue
        channels = _channels(stage, account.segment)
        if not any(channel.reaches_customer for channel in channels):
            continue
        if any(past.stage_id == stage.id and past.cycle == cycle for past in account.history):
            return []
        return [Planned(stage, channel, cycle, 0, overdue_ids) for channel in channels]
    return []


def plan_account(schedule: Schedule, account: Account, today: date) -> list[Planned]:
    """What ``account`` is due today under ``schedule``: pure, from the account and its history."""
    stages = list(schedule.stages)
    overdue = [i for i in account.invoices if i.due_on is not None and i.due_on < today]
    overdue_base = sum((i.base_amount_due for i in overdue), Decimal("0"))
    # An escalation names what is late (a message that says "past due" lists nothing that is not);
    # the invoices not yet due keep their own friendly notes.
    overdue_ids = tuple(sorted(i.ledger_id for i in overdue))
    cycle = min(i.due_on for i in overdue if i.due_on is not None).isoformat() if overdue else ""
    days_late = (today - date.fromisoformat(cycle)).days if cycle else 0

    escalations: list[Planned] = []
    for index, stage in enumerate(stages):
        if stage.anchor == Anchor.BEFORE_DUE.value or not cycle or overdue_base < stage.min_overdue:
            continue
        if stage.anchor == Anchor.AFTER_DUE.value:
            if days_late < stage.days or (stage.until_days is not None and days_late >= stage.until_days):
                continue
        else:  # after the previous stage first went, in this run
            started = _first_of(stages[index - 1], cycle, account.history) if index else None
            if started is None or today < started + timedelta(days=stage.days):
                continue
        repeat = _next_repeat(stage, cycle, account.history, today)
        if repeat is None:
            continue
        for channel in _channels(stage, account.segment):
            escalations.append(Planned(stage, channel, cycle, repeat, overdue_ids))

    friendly: list[Planned] = []
    for stage in stages:
        if stage.anchor != Anchor.BEFORE_DUE.value:
            continue
        noted = {
            ledger_id
            for past in account.history
            if past.stage_id == stage.id or past.reaches
            for ledger_id in past.invoice_ledger_ids
            if past.status != ActionStatus.FAILED.value
        }
        coming = sorted(
            i.ledger_id
            for i in account.invoices
            if i.due_on is not None
            and i.due_on - timedelta(days=stage.days) <= today < i.due_on
            and i.ledger_id not in noted
        )
        if coming:
            digest = hashlib.sha256("|".join(coming).encode()).hexdigest()[:16]
            for channel in _channels(stage, account.segment):
                friendly.append(Planned(stage, channel, f"due-{digest}", 0, tuple(coming)))

    brought = _brought_forward(stages, account, cycle, overdue_ids)
    keys = {p.key(account.customer_id) for p in escalations}
    escalations += [p for p in brought if p.key(account.customer_id) not in keys]

    planned = [p for p in escalations + friendly if not p.channel.reaches_customer]
    contacted = [p.planned_for for p in account.history if p.counts_as_contact]
    if not brought and contacted and (today - max(contacted)).days < schedule.minimum_gap_days:
        return planned  # the customer heard from us lately: messages wait
    messages = [p for p in escalations if p.channel.reaches_customer]
    if messages:
        firmest = max(p.stage.position for p in messages)
        return planned + [p for p in messages if p.stage.position == firmest]
    return planned + [p for p in friendly if p.channel.reaches_customer]


def choose_schedule(
    schedules: Sequence[Schedule], chosen_id: int | None, segment: str | None, risk: int | None
) -> Schedule | None:
    """The customer's schedule: the one a person chose, else the first that matches by segment and
    risk class, else the organisation's default."""
    if chosen_id is not None:
        for schedule in schedules:
            if schedule.id == chosen_id:
                return schedule
    ordered = sorted(schedules, key=lambda s: (s.position, s.id))
    for schedule in ordered:
        if (
            not schedule.is_default
            and (schedule.segments or schedule.risk_classes)
            and schedule.matches(segment, risk)
        ):
            return schedule
    return next((s for s in ordered if s.is_default), None)


def language_of(organisation: Organisation, chosen: str | None) -> str:
    if chosen in ("en", "fr"):
        return chosen
    return "fr" if organisation.country.upper() in FRENCH_COUNTRIES else "en"


def settings_for(session: Session, organisation_id: int) -> CollectionSettings:
    return session.get(CollectionSettings, organisation_id) or CollectionSettings(
        organisation_id=organisation_id, sending_mode="review", send_time="09:00", fresh_sync_hours=6
    )


def chaseable_invoices(
    session: Session, organisation: Organisation, today: date
) -> dict[str, list[OpenInvoice]]:
    """The organisation's invoices that may be chased, by customer ledger id: open, owing, and
    neither disputed nor covered by a promise to pay."""
    left_out = disputed_invoices(session, organisation.id) | promised_invoices(
        session, organisation.id, today
    )
    found: dict[str, list[OpenInvoice]] = defaultdict(list)
    rows = session.execute(
        select(
            Invoice.customer_ledger_id,
            Invoice.ledger_id,
            Invoice.due_on,
            Invoice.amount_due,
            Invoice.currency,
            Invoice.currency_rate,
        ).where(
            Invoice.organisation_id == organisation.id,
            Invoice.status == InvoiceStatus.OPEN.value,
            Invoice.amount_due > 0,
        )
    )
    for customer_ledger_id, ledger_id, due_on, amount_due, currency, rate in rows:
        if ledger_id in left_out:
            continue
        base = amount_due if currency == organisation.base_currency or not rate else amount_due * rate
        found[customer_ledger_id].append(OpenInvoice(ledger_id, due_on, amount_due, base))
    return found


@dataclass(frozen=True)
class Due:
    """One action due for one customer: what the planner would put into the outbox."""

    customer_id: int
    schedule: Schedule
    item: Planned
    language: str


def due_today(
    session: Session, organisation_id: int, today: date
) -> tuple[list[Due], dict[int, list[ReminderAction]]]:
    """What the organisation's customers are due on ``today``, by the outbox as it is (nothing is
    written: "what would go out today" reads this), and the messages awaiting approval by customer."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        return [], {}
    schedules = list(
        session.scalars(
            select(Schedule)
            .where(Schedule.organisation_id == organisation_id)
            .options(selectinload(Schedule.stages))
        )
    )
    if not schedules:
        return [], {}
    invoices = chaseable_invoices(session, organisation, today)
    handed_off = handed_off_customers(session, organisation_id)
    customers = {
        ledger_id: (customer_id, deleted)
        for customer_id, ledger_id, deleted in session.execute(
            select(Customer.id, Customer.ledger_id, Customer.deleted).where(
                Customer.organisation_id == organisation_id
            )
        )
    }
    choices = {
        row.customer_id: row
        for row in session.scalars(
            select(CustomerChasing).where(CustomerChasing.organisation_id == organisation_id)
        )
    }
    standings = {
        ledger_id: (segment, risk)
        for ledger_id, segment, risk in session.execute(
            select(
                CustomerStanding.customer_ledger_id, CustomerStanding.segment, CustomerStanding.risk
            ).where(CustomerStanding.organisation_id == organisation_id)
        )
    }
    broken = broken_on(session, organisation_id, today - timedelta(days=ESCALATION_DAYS))
    history: dict[int, list[PastAction]] = defaultdict(list)
    awaiting: dict[int, list[ReminderAction]] = defaultdict(list)
    for action in session.scalars(
        select(ReminderAction).where(
            ReminderAction.organisation_id == organisation_id,
            ReminderAction.planned_for >= today - timedelta(days=HISTORY_DAYS),
        )
    ):
        history[action.customer_id].append(
            PastAction(
                action.stage_id,
                action.cycle,
                action.repeat,
                action.channel,
                action.planned_for,
                action.status,
                tuple(action.invoice_ledger_ids),
            )
        )
        if action.status == ActionStatus.AWAITING_APPROVAL.value:
            awaiting[action.customer_id].append(action)

    due: list[Due] = []
    for customer_ledger_id, open_invoices in invoices.items():
        found = customers.get(customer_ledger_id)
        if found is None or found[1]:
            continue
        customer_id = found[0]
        if customer_id in handed_off:
            continue  # a collection agency has the account: Relance chases nothing of it
        choice = choices.get(customer_id)
        if choice is not None and (
            choice.do_not_chase or (choice.paused_until is not None and choice.paused_until > today)
        ):
            continue
        segment, risk = standings.get(customer_ledger_id, (None, None))
        schedule = choose_schedule(schedules, choice.schedule_id if choice else None, segment, risk)
        if schedule is None:
            continue
        account = Account(
            customer_id, segment, risk, open_invoices, history[customer_id], broken.get(customer_id)
        )
        language = language_of(organisation, choice.language if choice else None)
        due += [Due(customer_id, schedule, item, language) for item in plan_account(schedule, account, today)]
    return due, awaiting


# Rows per INSERT: small enough for the database driver to parse quickly (bench/README.md).
INSERT_PAGE = 50


def plan_organisation(session: Session, organisation_id: int, today: date) -> int:
    """Put into the outbox what the organisation's customers are due on ``today`` (its date).
    Returns how many actions were planned by this call (0 when another run planned them).

    The actions go in as ``INSERT … ON CONFLICT (organisation_id, key) DO NOTHING RETURNING key``,
    a page of rows per statement, in one transaction: a key another run took is left alone, and
    only the keys this run wrote count (and supersede what waited)."""
    due, awaiting = due_today(session, organisation_id, today)
    if not due:
        return 0
    settings = settings_for(session, organisation_id)
    rows = {found.item.key(found.customer_id): _row(organisation_id, found, today, settings) for found in due}
    table = ReminderAction.__table__
    insert = dialect_insert(session)
    written: set[str] = set()
    keys = list(rows)
    for start in range(0, len(keys), INSERT_PAGE):
        page = [rows[key] for key in keys[start : start + INSERT_PAGE]]
        statement = (
            insert(table)
            .values(page)
            .on_conflict_do_nothing(index_elements=["organisation_id", "key"])
            .returning(table.c.key)
        )
        written.update(session.scalars(statement))
    for found in due:
        if found.item.key(found.customer_id) in written and found.item.channel.reaches_customer:
            _supersede(awaiting[found.customer_id], found.item, session)
    session.commit()
    if written:
        log.info(
            "reminders.planned", organisation=organisation_id, actions=len(written), day=today.isoformat()
        )
    return len(written)


def _row(organisation_id: int, found: Due, today: date, settings: CollectionSettings) -> dict[str, object]:
    item = found.item
    needs_person = item.channel.reaches_customer and (
        item.stage.needs_approval or settings.sending_mode != "automatic"
    )
    now = clock.now()
    return {
        "organisation_id": organisation_id,
        "customer_id": found.customer_id,
        "key": item.key(found.customer_id),
        "schedule_id": found.schedule.id,
        "stage_id": item.stage.id,
        "stage_key": item.stage.key,
        "stage_name": item.stage.name_in(found.language)[:100],
        "channel": item.channel.value,
        "cycle": item.cycle,
        "repeat": item.repeat,
        "language": found.language,
        "planned_for": today,
        "status": (ActionStatus.AWAITING_APPROVAL if needs_person else ActionStatus.PLANNED).value,
        "reason": "",
        "invoice_ledger_ids": list(item.invoice_ledger_ids),
        "sent_invoice_ledger_ids": [],
        "recipient": "",
        "subject": "",
        "text": "",
        "message_id": "",
        "attempts": 0,
        "outcome_note": "",
        "extra": {},
        "created_at": now,
    }


def _supersede(waiting: list[ReminderAction], item: Planned, session: Session) -> None:
    for older in waiting:
        if older.stage_id != item.stage.id and older.status == ActionStatus.AWAITING_APPROVAL.value:
            older.status = ActionStatus.SKIPPED.value
            older.finished_at = clock.now()
            older.reason = f"superseded by {item.stage.name_in(older.language)}"
