"""The backtest equals a replay of the planner over the same history.

Half a year of a Xero organisation is lived day by day in the sandbox: invoices raised, paid on
time, late or never, a dispute opened and resolved, promises kept and broken. Each day the
mirror is synced and, on business days, the real planner runs (its day steps first) and what it
planned is marked sent. Then, on the last day, the backtest reads the mirror's history and must
find the very same actions, day by day, for the same schedule; and its counts are those of the
replay.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from integration.rate_limit import forget_windows
from reminders.dispatch.models import ActionStatus, ReminderAction
from reminders.disputes import Dispute, open_disputes, raise_dispute, resolve_dispute
from reminders.loop import before_planning
from reminders.promises import Promise, PromiseStatus, record_promise
from reminders.schedules.backtest import backtest
from reminders.schedules.calendar import is_business_day
from reminders.schedules.models import Schedule
from reminders.schedules.planner import plan_organisation
from runtime import clock, jobs
from runtime.tenancy import Organisation
from sync.models import Customer, Invoice

DAYS = 150


# Auckland: at noon there it is still the day before in UTC for half the year and the small hours
# of the same day for the rest, so a day read in UTC (a promise's, a dispute's) is caught wrong.
ZONE = ZoneInfo("Pacific/Auckland")


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(9, 30), tzinfo=ZONE)


def _replay(xero) -> tuple[date, list[tuple]]:  # type: ignore[no-untyped-def]
    """Live DAYS days; returns the last day and every action the planner planned (all marked sent)."""
    rng = random.Random(7)
    session = xero.session
    organisation = session.get(Organisation, xero.organisation_id)
    organisation.timezone = ZONE.key
    session.commit()
    today = clock.today(ZONE.key)
    first = today - timedelta(days=DAYS)
    contacts = [xero.customer(f"Customer {n}", f"ap{n}@example.com") for n in range(8)]
    # Each invoice: (customer, issued, terms, amount, paid on or None).
    plan: list[tuple[str, date, int, Decimal, date | None]] = []
    for offset in range(0, DAYS - 10, 6):
        issued = first + timedelta(days=offset)
        contact = contacts[rng.randrange(len(contacts))]
        terms = rng.choice((14, 30))
        late = rng.choice((None, -5, 0, 3, 12, 25, 40, 70))
        paid = None if late is None else issued + timedelta(days=max(1, terms + late))
        plan.append((contact, issued, terms, Decimal(rng.randint(100, 3000)), paid))
    raised: dict[int, str] = {}
    planned: list[tuple] = []
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        xero.sandbox.clock.set(_noon(day))
        clock.travel_to(_noon(day))
        forget_windows(jobs.connection())  # the day's calls are not the last minute's
        for number, (contact, issued, terms, amount, paid) in enumerate(plan):
            if issued == day:
                raised[number] = xero.sandbox.create_invoice(contact, amount, terms, issued=issued).invoice_id
            if paid == day and number in raised and paid < today:
                xero.sandbox.pay_invoice(raised[number], paid_on=day)
        xero.sync()
        never_paid = {raised[n] for n, entry in enumerate(plan) if n in raised and entry[4] is None}
        _people_act(session, xero, offset, never_paid, day)
        if is_business_day(day, organisation.country):
            before_planning(session, organisation, day)
            plan_organisation(session, xero.organisation_id, day)
            for action in session.scalars(
                select(ReminderAction).where(
                    ReminderAction.status.in_(
                        [ActionStatus.PLANNED.value, ActionStatus.AWAITING_APPROVAL.value]
                    )
                )
            ):  # each went that day (a person approved what waited)
                action.status, action.finished_at = ActionStatus.SENT.value, clock.now()
                planned.append(_key(action.planned_for, action))
            session.commit()
    return today, planned


def _people_act(session, xero, offset: int, never_paid: set[str], day: date) -> None:  # type: ignore[no-untyped-def]
    """A person records a dispute on an overdue invoice (resolved three weeks later) and two
    promises to pay: the first kept by a payment, the second broken."""

    def overdue() -> list[tuple[Customer, Invoice]]:
        taken = {p.invoice_ledger_ids[0] for p in session.scalars(select(Promise))} | {
            d.invoice_ledger_id for d in session.scalars(select(Dispute))
        }
        found = session.scalars(
            select(Invoice)
            .where(Invoice.amount_due > 0, Invoice.due_on < day, Invoice.ledger_id.not_in(taken))
            .order_by(Invoice.number)
        ).all()
        return [
            (session.scalar(select(Customer).where(Customer.ledger_id == i.customer_ledger_id)), i)
            for i in found
        ]

    if offset in (60, 70, 90) and overdue():
        chased = Counter(a.customer_id for a in session.scalars(select(ReminderAction)))
        named = {
            ledger_id: action.planned_for
            for action in session.scalars(select(ReminderAction).order_by(ReminderAction.planned_for))
            for ledger_id in action.invoice_ledger_ids
        }
        # The dispute: the invoice chased last, whose chase the dispute stops; the promises: the
        # invoice of the customer chased most so far, whom a pause changes.
        if offset == 60:
            unpaid = [found for found in overdue() if found[1].ledger_id in never_paid] or overdue()
            customer, invoice = max(unpaid, key=lambda found: named.get(found[1].ledger_id, date.min))
        else:
            customer, invoice = max(overdue(), key=lambda found: chased[found[0].id])
        if offset == 60:
            raise_dispute(session, customer, invoice.ledger_id, "wrong quantity")
        else:
            record_promise(
                session, customer, invoice.amount_due, day + timedelta(days=5), [invoice.ledger_id]
            )
        session.commit()
    if offset >= 100 and session.scalar(select(Promise).where(Promise.note == "after a reminder")) is None:
        # The morning after a reminder (in Auckland, still the day before in UTC), a promise for
        # what it named: the reminder of the day before stands, the promise counts from today.
        latest = session.scalar(
            select(func.max(ReminderAction.planned_for)).where(ReminderAction.planned_for < day)
        )
        reminded = {
            ledger_id
            for action in session.scalars(select(ReminderAction).where(ReminderAction.planned_for == latest))
            for ledger_id in action.invoice_ledger_ids
        }
        for customer, invoice in overdue():
            if invoice.ledger_id in reminded and latest is not None and (day - latest).days <= 3:
                record_promise(
                    session,
                    customer,
                    invoice.amount_due,
                    day + timedelta(days=5),
                    [invoice.ledger_id],
                    note="after a reminder",
                )
                session.commit()
                break
    if offset == 81:
        for dispute in open_disputes(session, xero.organisation_id):
            resolve_dispute(session, dispute, None, "the quantity was right")
        session.commit()
    if offset == 73:  # the first promise is kept
        kept = session.scalar(select(Promise).order_by(Promise.id))
        if kept is not None:
            xero.sandbox.pay_invoice(kept.invoice_ledger_ids[0], paid_on=day)
            xero.sync()


def _key(day: date, action) -> tuple:  # type: ignore[no-untyped-def]
    return (
        day,
        action.customer_id,
        action.stage_id,
        action.channel,
        action.cycle,
        action.repeat,
        tuple(action.invoice_ledger_ids),
    )


def test_the_backtest_finds_what_the_planner_did_day_by_day(xero) -> None:  # type: ignore[no-untyped-def]
    today, replayed = _replay(xero)
    session = xero.session
    session.expire_all()
    statuses = Counter(a.status for a in xero.actions())
    assert statuses == Counter({ActionStatus.SENT.value: len(replayed)})
    assert len(replayed) > 20  # the history chased: friendly notes, escalations, repeats, calls
    assert len({r[2] for r in replayed}) >= 3
    statuses_of_promises = sorted(p.status for p in session.scalars(select(Promise)))
    assert len(statuses_of_promises) == 3 and PromiseStatus.KEPT.value in statuses_of_promises
    assert PromiseStatus.BROKEN.value in statuses_of_promises
    assert session.scalar(select(Dispute.resolved_at)) is not None
    schedule = session.scalar(select(Schedule).where(Schedule.organisation_id == xero.organisation_id))

    found = backtest(session, xero.organisation_id, schedule.id, today)

    assert sorted(
        (a.day, a.customer_id, a.stage_id, a.channel, a.cycle, a.repeat, a.invoice_ledger_ids)
        for a in found.actions
    ) == sorted(replayed)
    by_stage = Counter((r[2], r[3]) for r in replayed)
    assert {(s.stage_id, c): n for s in found.stages for c, n in s.by_channel.items()} == by_stage
    reaching = [r for r in replayed if r[3] in ("email", "letter")]
    assert found.customers_reached == len({r[1] for r in reaching})
    assert found.most_chased[0][2] == Counter(r[1] for r in reaching).most_common(1)[0][1]
    assert 0 < found.paid_within_a_week <= found.invoices_named
    assert found.last_day == today - timedelta(days=1)
    # Nothing was planned, written or sent by the backtest.
    assert Counter(a.status for a in xero.actions()) == statuses
