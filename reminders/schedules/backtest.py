"""The backtest: what a schedule would have done over the last twelve months of the mirror's
history, before anyone switches it on. Nothing is planned, written or sent.

The mirror keeps each invoice's total and its allocations (payments, credit notes, over- and
prepayments) with the day each was applied, so an invoice's balance on any past day is known
(reminders/receivables/aging.py ages the past the same way). Each business day of the window, in
order, every customer's account as it stood that day goes through the planner's own pure decision
(``planner.plan_account``), with as its history what the backtest itself would have sent on the
days before: the escalation, repeats, the minimum gap and the friendly notes behave as they
would have. An invoice disputed on a day (a dispute open then) or covered by a promise to pay is
left out that day, as the planner leaves it; a customer's broken promise brings the next stage
forward, as it does.

What it cannot know of the past, it takes as it is now, and says so: the customers' segment and
risk class (which decide which customers a schedule with segments or risk classes reaches), and
who is handed off or set to "do not chase". A voided invoice owed until the ledger last changed it
(its voiding: the mirror keeps no other date of it); deleted invoices are left out.

``tests/reminders/test_backtest.py`` replays the real planner day by day over the same history (a
ledger built in the sandbox over months, synced each day) and finds the same actions.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.ledger import InvoiceStatus
from reminders.dispatch.models import ActionStatus
from reminders.disputes import Dispute
from reminders.handoff import handed_off_customers
from reminders.models import CustomerStanding
from reminders.promises import Promise, PromiseStatus
from reminders.receivables.aging import OPEN_ABOVE
from reminders.schedules.calendar import is_business_day
from reminders.schedules.models import CustomerChasing, Schedule
from reminders.schedules.planner import (
    ESCALATION_DAYS,
    Account,
    OpenInvoice,
    PastAction,
    Planned,
    plan_account,
)
from reminders.schedules.stages import Channel
from runtime.tenancy import Organisation
from sync.models import Allocation, Customer, Invoice

WINDOW_DAYS = 365
PAID_WITHIN = timedelta(days=7)
MOST_CHASED = 10


@dataclass(frozen=True)
class WouldBe:
    """One action the schedule would have planned."""

    day: date
    customer_id: int
    stage_id: int
    stage_name: str
    channel: str
    cycle: str
    repeat: int
    invoice_ledger_ids: tuple[str, ...]

    @property
    def reaches_customer(self) -> bool:
        return Channel(self.channel).reaches_customer


@dataclass
class StageCount:
    stage_id: int
    name: str
    by_channel: Counter[str] = field(default_factory=Counter)


@dataclass
class BacktestResult:
    schedule_id: int
    first_day: date
    last_day: date
    actions: list[WouldBe]
    stages: list[StageCount]
    customers_reached: int
    invoices_named: int
    paid_within_a_week: int
    most_chased: list[tuple[int, str, int]]  # customer id, name, messages

    @property
    def messages(self) -> int:
        return sum(1 for a in self.actions if a.reaches_customer)


@dataclass
class _History:
    """One invoice through time: its balance on any day from its allocations."""

    ledger_id: str
    customer_ledger_id: str
    issued_on: date
    due_on: date | None
    total: Decimal
    rate: Decimal
    days: list[date] = field(default_factory=list)  # allocation days, sorted
    applied: list[Decimal] = field(default_factory=list)  # cumulative, aligned with days
    voided_on: date | None = None

    def balance_on(self, day: date) -> Decimal:
        if day < self.issued_on or (self.voided_on is not None and day >= self.voided_on):
            return Decimal("0")
        index = bisect_right(self.days, day)
        return self.total - (self.applied[index - 1] if index else Decimal("0"))


def _histories(session: Session, organisation: Organisation, zone: ZoneInfo) -> dict[str, list[_History]]:
    """Every invoice that ever owed something, by customer ledger id."""
    allocations: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for invoice_ledger_id, applied_on, amount in session.execute(
        select(Allocation.invoice_ledger_id, Allocation.applied_on, Allocation.amount).where(
            Allocation.organisation_id == organisation.id, Allocation.active.is_(True)
        )
    ):
        allocations[invoice_ledger_id].append((applied_on, amount))
    found: dict[str, list[_History]] = defaultdict(list)
    for row in session.execute(
        select(
            Invoice.ledger_id,
            Invoice.customer_ledger_id,
            Invoice.issued_on,
            Invoice.due_on,
            Invoice.total,
            Invoice.currency,
            Invoice.currency_rate,
            Invoice.status,
            Invoice.ledger_updated_at,
        ).where(
            Invoice.organisation_id == organisation.id,
            Invoice.status.in_(
                [InvoiceStatus.OPEN.value, InvoiceStatus.PAID.value, InvoiceStatus.VOIDED.value]
            ),
        )
    ):
        ledger_id, customer, issued_on, due_on, total, currency, rate, status, updated_at = row
        applied = sorted(allocations.get(ledger_id, []))
        base_rate = Decimal(1) if currency == organisation.base_currency or not rate else Decimal(rate)
        found[customer].append(
            _History(
                ledger_id,
                customer,
                issued_on,
                due_on,
                Decimal(total),
                base_rate,
                [day for day, _ in applied],
                list(accumulate(Decimal(amount) for _, amount in applied)),
                # Voided: owed until the ledger last changed it, its voiding (a bad debt written
                # off, a dispute settled by voiding); the mirror keeps no other date of it.
                _day_of(updated_at, zone) if status == InvoiceStatus.VOIDED.value else None,
            )
        )
    return found


def _day_of(instant: datetime | None, zone: ZoneInfo) -> date | None:
    """The organisation's day of an instant (a promise made at 08:00 in Auckland is made that day,
    though it is still yesterday in UTC)."""
    if instant is None:
        return None
    return (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).astimezone(zone).date()


@dataclass(frozen=True)
class _PromiseDays:
    customer_id: int
    invoice_ledger_ids: tuple[str, ...]
    made: date
    until: date
    status: str
    ended: date | None  # the day it was kept, broken or cancelled


def _left_out(
    session: Session, organisation_id: int, zone: ZoneInfo
) -> tuple[list[tuple[str, date, date | None]], list[_PromiseDays]]:
    disputes = [
        (d.invoice_ledger_id, _day_of(d.opened_at, zone) or date.min, _day_of(d.resolved_at, zone))
        for d in session.scalars(select(Dispute).where(Dispute.organisation_id == organisation_id))
    ]
    promises = [
        _PromiseDays(
            p.customer_id,
            tuple(p.invoice_ledger_ids),
            _day_of(p.made_at, zone) or date.min,
            p.until,
            p.status,
            p.outcome_on or _day_of(p.outcome_at, zone),
        )
        for p in session.scalars(select(Promise).where(Promise.organisation_id == organisation_id))
    ]
    return disputes, promises


def _promised_on(promises: list[_PromiseDays], day: date) -> set[str]:
    """The invoices a promise covered on ``day``, as ``promises.promised_invoices`` saw it then: made
    by that day, its date plus grace not passed, and not yet broken or cancelled (a kept promise
    covers its invoices to the end of its days)."""
    covered: set[str] = set()
    for promise in promises:
        if promise.made > day or promise.until < day:
            continue
        if promise.status in (PromiseStatus.BROKEN.value, PromiseStatus.CANCELLED.value) and (
            promise.ended is None or promise.ended <= day
        ):
            continue
        covered.update(promise.invoice_ledger_ids)
    return covered


def _broken_by(promises: list[_PromiseDays], day: date) -> dict[int, date]:
    broken: dict[int, date] = {}
    for promise in promises:
        if promise.status != PromiseStatus.BROKEN.value or promise.ended is None:
            continue
        if day - timedelta(days=ESCALATION_DAYS) <= promise.ended <= day:
            broken[promise.customer_id] = max(broken.get(promise.customer_id, date.min), promise.ended)
    return broken


def backtest(
    session: Session, organisation_id: int, schedule_id: int, today: date, language: str = "en"
) -> BacktestResult:
    """What ``schedule_id`` would have done on each business day of the year before ``today``."""
    organisation = session.get(Organisation, organisation_id)
    schedule = session.get(Schedule, schedule_id)
    if organisation is None or schedule is None or schedule.organisation_id != organisation_id:
        raise LookupError("no such schedule in this organisation")
    first_day, last_day = today - timedelta(days=WINDOW_DAYS), today - timedelta(days=1)
    zone = ZoneInfo(organisation.timezone)
    histories = _histories(session, organisation, zone)
    disputes, promises = _left_out(session, organisation_id, zone)
    customers = {
        c.ledger_id: c
        for c in session.scalars(
            select(Customer).where(Customer.organisation_id == organisation_id, Customer.deleted.is_(False))
        )
    }
    handed_off = handed_off_customers(session, organisation_id)
    choices = {
        row.customer_id: row
        for row in session.scalars(
            select(CustomerChasing).where(CustomerChasing.organisation_id == organisation_id)
        )
    }
    standings = {
        s.customer_ledger_id: (s.segment, s.risk)
        for s in session.scalars(
            select(CustomerStanding).where(CustomerStanding.organisation_id == organisation_id)
        )
    }
    targeted = bool(schedule.segments or schedule.risk_classes) and not schedule.is_default
    reached: dict[str, tuple[Customer, str | None, int | None]] = {}
    for ledger_id, customer in customers.items():
        if customer.id in handed_off or ledger_id not in histories:
            continue
        choice = choices.get(customer.id)
        if choice is not None and choice.do_not_chase:
            continue
        segment, risk = standings.get(ledger_id, (None, None))
        if targeted and not schedule.matches(segment, risk):
            continue
        reached[ledger_id] = (customer, segment, risk)

    history: dict[int, list[PastAction]] = defaultdict(list)
    alive = {ledger_id: sorted(found, key=lambda h: h.issued_on) for ledger_id, found in histories.items()}
    actions: list[WouldBe] = []
    day = first_day
    while day <= last_day:
        if is_business_day(day, organisation.country):
            disputed = {
                i for i, opened, closed in disputes if opened <= day and (closed is None or closed > day)
            }
            left_out = disputed | _promised_on(promises, day)
            broken = _broken_by(promises, day)
            for ledger_id, (customer, segment, risk) in reached.items():
                owing = _owing(alive, ledger_id, day)
                if not owing:
                    continue
                past = history[customer.id] = _still_relevant(history[customer.id], set(owing))
                invoices = [
                    OpenInvoice(h.ledger_id, h.due_on, balance, balance * h.rate)
                    for h, balance in owing.values()
                    if h.ledger_id not in left_out
                ]
                if not invoices:
                    continue
                account = Account(customer.id, segment, risk, invoices, past, broken.get(customer.id))
                for item in plan_account(schedule, account, day):
                    actions.append(_would_be(day, customer.id, item, language))
                    past.append(
                        PastAction(
                            item.stage.id,
                            item.cycle,
                            item.repeat,
                            item.channel.value,
                            day,
                            ActionStatus.SENT.value,
                            item.invoice_ledger_ids,
                        )
                    )
        day += timedelta(days=1)
    return _summarise(schedule, first_day, last_day, actions, histories, customers, language)


def _owing(
    alive: dict[str, list[_History]], ledger_id: str, day: date
) -> dict[str, tuple[_History, Decimal]]:
    """The customer's invoices owing on ``day``, with their balance. A balance only falls as
    allocations are applied, so an invoice settled is dropped from ``alive`` for the days after."""
    owing: dict[str, tuple[_History, Decimal]] = {}
    kept: list[_History] = []
    for invoice in alive[ledger_id]:
        if invoice.issued_on > day:
            kept.append(invoice)
            continue
        balance = invoice.balance_on(day)
        if balance > OPEN_ABOVE:
            owing[invoice.ledger_id] = (invoice, balance)
            kept.append(invoice)
    alive[ledger_id] = kept
    return owing


def _still_relevant(past: list[PastAction], owing: set[str]) -> list[PastAction]:
    """What the planner can still read of a customer's past actions: those naming an invoice still
    owed (repeats, the escalation's run and the friendly notes all turn on those), and the latest
    that reached the customer (the minimum gap, a broken promise's escalation). An action whose
    invoices are all settled changes no decision again; dropping it keeps a year's replay from
    rereading every action of the year every day."""
    latest = max((p for p in past if p.counts_as_contact), key=lambda p: p.planned_for, default=None)
    return [p for p in past if p is latest or not owing.isdisjoint(p.invoice_ledger_ids)]


def _would_be(day: date, customer_id: int, item: Planned, language: str) -> WouldBe:
    return WouldBe(
        day,
        customer_id,
        item.stage.id,
        item.stage.name_in(language),
        item.channel.value,
        item.cycle,
        item.repeat,
        item.invoice_ledger_ids,
    )


def _summarise(
    schedule: Schedule,
    first_day: date,
    last_day: date,
    actions: list[WouldBe],
    histories: dict[str, list[_History]],
    customers: dict[str, Customer],
    language: str,
) -> BacktestResult:
    stages = {stage.id: StageCount(stage.id, stage.name_in(language)) for stage in schedule.stages}
    by_invoice = {h.ledger_id: h for found in histories.values() for h in found}
    names = {c.id: c.name for c in customers.values()}
    per_customer: Counter[int] = Counter()
    named: set[str] = set()
    paid_soon: set[str] = set()
    for action in actions:
        stages[action.stage_id].by_channel[action.channel] += 1
        if not action.reaches_customer:
            continue
        per_customer[action.customer_id] += 1
        for ledger_id in action.invoice_ledger_ids:
            named.add(ledger_id)
            invoice = by_invoice.get(ledger_id)
            if invoice is not None and invoice.balance_on(action.day + PAID_WITHIN) <= OPEN_ABOVE:
                paid_soon.add(ledger_id)
    most = [(cid, names.get(cid, ""), count) for cid, count in per_customer.most_common(MOST_CHASED)]
    return BacktestResult(
        schedule.id,
        first_day,
        last_day,
        actions,
        [stages[s.id] for s in schedule.stages],
        len(per_customer),
        len(named),
        len(paid_soon),
        most,
    )
