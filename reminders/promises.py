"""Promises to pay: a customer says they will pay an amount by a date, for some invoices.

A promise is a dated record (who recorded it: a person on the customer page, a person after a call,
or the customer in the portal; the amount, the date, the invoices, and an end when it ends). While
it is open, and until its date plus the organisation's grace period (``PromiseSettings``, three
days unless the organisation chose otherwise), reminders for its invoices pause: the planner and
the last-moment check ask ``promised_invoices``.

Its end:

- **kept** when the invoices it covers are paid down by the amount promised (their balances,
  against what they were when the promise was made, fell by at least that much), or cleared
  altogether (paid, credited or voided; a customer who pays the whole of a smaller balance kept
  their word). The sync that sees the payment decides it (``keep_promises``, a change step), and the
  day step checks again before it breaks anything;
- **broken** when its date plus the grace period passed without that (``break_promises``, a day
  step run each business day before the planner): the team is told once, the ledger gets a note,
  and the planner brings the customer's next firmer stage forward to that very run
  (``broken_on``, read by the planner), so the schedule moves on instead of picking up where it
  waited (collections tools resume a failed promise at a step of its own, firmer than where it
  stopped: https://rev-io.elevio.help/en/articles/73-create-a-promise-to-pay);
- **cancelled** by a person (a promise recorded by mistake, or replaced).

Each promise and its end are in the audit trail (``promise.made``, ``promise.kept``,
``promise.broken``, ``promise.cancelled``) and noted in the ledger on each invoice it covers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from integration.ledger import InvoiceStatus
from reminders.models import LedgerNote
from reminders.team_notices import money_text
from reminders.writeback import subject_of
from runtime import clock
from runtime.db import Base, Money
from runtime.logs import get_logger
from runtime.tenancy import Document, Organisation, record
from sync.models import Customer, Invoice

log = get_logger(__name__)

AfterCommit = Callable[[], None]

# Days after the promised date before a promise is broken: a payment made on the day takes a day
# or two to clear and reach the ledger. Collections practice counts a promise broken 3 to 5 days
# after the agreed date (insideARM, as quoted in
# https://www.southeastclientservicesinc.com/blog/promise-to-pay-follow-up-scripts-for-creditors);
# we take the short end, and each organisation can change it (PromiseSettings).
DEFAULT_GRACE_DAYS = 3
LONGEST_GRACE_DAYS = 30
# How long a broken promise counts in the risk class, and on the attention list.
RISK_WINDOW_DAYS = 365
ATTENTION_DAYS = 30


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class PromiseSource(StrEnum):
    PERSON = "person"  # a person on the customer page
    CALL = "call"  # a person, recording a call task's outcome
    CUSTOMER = "customer"  # the customer, in the portal


class PromiseSettings(Base):
    """An organisation's rules for promises to pay."""

    __tablename__ = "promise_settings"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    grace_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_GRACE_DAYS)


class Promise(Base):
    __tablename__ = "promises"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Money]
    currency: Mapped[str] = mapped_column(String(3))
    promised_on: Mapped[date] = mapped_column(Date)
    # The promised date plus the grace period, fixed when the promise is made: reminders pause
    # until then (inclusive); the day after, an unpaid promise is broken.
    until: Mapped[date] = mapped_column(Date)
    invoice_ledger_ids: Mapped[list[str]] = mapped_column(Document, default=list)
    # What each invoice owed when the promise was made (exact decimals as strings), to measure
    # what was paid since.
    owed_when_made: Mapped[dict[str, str]] = mapped_column(Document, default=dict)
    source: Mapped[str] = mapped_column(String(12), default=PromiseSource.PERSON.value)
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminder_actions.id", ondelete="SET NULL"), default=None
    )
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=PromiseStatus.OPEN.value)
    made_at: Mapped[datetime] = mapped_column(default=clock.now)
    outcome_on: Mapped[date | None] = mapped_column(Date, default=None)  # the organisation's day
    outcome_at: Mapped[datetime | None] = mapped_column(default=None)


class PromiseRefused(ValueError):
    """A promise that cannot be recorded as asked (said to the person in words)."""


def grace_days(session: Session, organisation_id: int) -> int:
    """The organisation's grace period after a promised date, in days."""
    found = session.get(PromiseSettings, organisation_id)
    return found.grace_days if found is not None else DEFAULT_GRACE_DAYS


def set_grace_days(session: Session, organisation_id: int, days: int, user_id: int | None) -> None:
    """Change the grace period for promises made from now on (the caller commits)."""
    if not 0 <= days <= LONGEST_GRACE_DAYS:
        raise PromiseRefused(f"the grace period is 0 to {LONGEST_GRACE_DAYS} days")
    found = session.get(PromiseSettings, organisation_id)
    if found is None:
        session.add(PromiseSettings(organisation_id=organisation_id, grace_days=days))
    else:
        found.grace_days = days
    record(session, organisation_id, "promise.settings", "promises", user_id, grace_days=days)


def record_promise(
    session: Session,
    customer: Customer,
    amount: Decimal,
    promised_on: date,
    invoice_ledger_ids: Sequence[str],
    source: PromiseSource = PromiseSource.PERSON,
    user_id: int | None = None,
    note: str = "",
    action_id: int | None = None,
) -> tuple[Promise, list[LedgerNote]]:
    """Record ``customer``'s promise to pay ``amount`` by ``promised_on`` for the invoices named;
    returns the promise and the ledger notes to queue (``writeback.queue_writes``) once the caller
    commits. The portal calls this with ``source=PromiseSource.CUSTOMER`` and no user.

    Refused (``PromiseRefused``) when an invoice is not the customer's open one, when the amount is
    not positive or not in the invoices' currency, or when the date is already past.
    """
    from reminders.writeback import record_invoice_notes

    organisation = session.get(Organisation, customer.organisation_id)
    assert organisation is not None
    today = clock.today(organisation.timezone)
    ids = sorted(set(invoice_ledger_ids))
    if not ids:
        raise PromiseRefused("a promise covers at least one invoice")
    invoices = list(
        session.scalars(
            select(Invoice).where(
                Invoice.organisation_id == customer.organisation_id,
                Invoice.customer_ledger_id == customer.ledger_id,
                Invoice.ledger_id.in_(ids),
                Invoice.status == InvoiceStatus.OPEN.value,
                Invoice.amount_due > 0,
            )
        )
    )
    if len(invoices) != len(ids):
        raise PromiseRefused("a promise covers only the customer's invoices still owed")
    currencies = {invoice.currency for invoice in invoices}
    if len(currencies) != 1:
        raise PromiseRefused("a promise covers invoices in one currency")
    (currency,) = currencies
    amount = Decimal(amount)
    if not amount.is_finite() or amount <= 0:
        raise PromiseRefused("the amount promised is more than nothing")
    if promised_on < today:
        raise PromiseRefused("the promised date is today or later")
    promise = Promise(
        organisation_id=customer.organisation_id,
        customer_id=customer.id,
        amount=amount.quantize(Decimal("0.01")),
        currency=currency,
        promised_on=promised_on,
        until=promised_on + timedelta(days=grace_days(session, customer.organisation_id)),
        invoice_ledger_ids=ids,
        owed_when_made={invoice.ledger_id: str(invoice.amount_due) for invoice in invoices},
        source=PromiseSource(source).value,
        recorded_by_user_id=user_id,
        action_id=action_id,
        note=note[:2000],
        status=PromiseStatus.OPEN.value,
    )
    session.add(promise)
    session.flush()
    numbers = sorted(invoice.number or invoice.ledger_id for invoice in invoices)
    record(
        session,
        customer.organisation_id,
        "promise.made",
        subject_of(customer),
        user_id,
        promise_id=promise.id,
        amount=str(promise.amount),
        currency=currency,
        promised_on=promised_on.isoformat(),
        invoices=numbers,
        source=promise.source,
        note=promise.note,
    )
    by = {
        "person": "recorded by a person",
        "call": "recorded after a call",
        "customer": "made by the customer",
    }
    text = (
        f"Relance: promise to pay {money_text(promise.amount, currency)} by {promised_on.isoformat()} "
        f"({by[promise.source]}); reminders pause until {promise.until.isoformat()}."
    )
    notes = record_invoice_notes(session, customer, ids, text, f"promise:{promise.id}:made")
    # What waits to go for nothing but the promised invoices is moot: skipped now, not left in
    # the review queue for the send to drop (a message naming other invoices too still goes).
    from reminders.dispatch.outbox import skip_pending_of

    skip_pending_of(
        session,
        customer,
        user_id,
        f"promised to pay by {promised_on.isoformat()}",
        only_naming=set(ids),
    )
    log.info("promise.made", promise=promise.id, organisation=customer.organisation_id, source=promise.source)
    return promise, notes


def cancel_promise(session: Session, promise: Promise, user_id: int | None, reason: str = "") -> bool:
    """A person cancels an open promise (its invoices are chased again); False if it was not open."""
    if promise.status != PromiseStatus.OPEN.value:
        return False
    customer = session.get(Customer, promise.customer_id)
    organisation = session.get(Organisation, promise.organisation_id)
    assert customer is not None and organisation is not None
    _end(promise, PromiseStatus.CANCELLED, clock.today(organisation.timezone))
    record(
        session,
        promise.organisation_id,
        "promise.cancelled",
        subject_of(customer),
        user_id,
        promise_id=promise.id,
        reason=reason[:500],
    )
    return True


def promised_invoices(session: Session, organisation_id: int, today: date) -> set[str]:
    """The ledger ids of invoices a promise to pay covers today (reminders for them pause): open
    promises, and kept ones, until their date plus the grace period."""
    found: set[str] = set()
    for ids in session.scalars(
        select(Promise.invoice_ledger_ids).where(
            Promise.organisation_id == organisation_id,
            Promise.status.in_([PromiseStatus.OPEN.value, PromiseStatus.KEPT.value]),
            Promise.until >= today,
        )
    ):
        found.update(ids)
    return found


def broken_on(session: Session, organisation_id: int, since: date) -> dict[int, date]:
    """Per customer, the day of their latest promise broken on or after ``since`` (the planner
    brings their next firmer stage forward from it)."""
    rows = session.execute(
        select(Promise.customer_id, func.max(Promise.outcome_on))
        .where(
            Promise.organisation_id == organisation_id,
            Promise.status == PromiseStatus.BROKEN.value,
            Promise.outcome_on >= since,
        )
        .group_by(Promise.customer_id)
    )
    return {customer_id: day for customer_id, day in rows if day is not None}


def broken_counts(session: Session, organisation_id: int, since: date) -> dict[str, int]:
    """Per customer ledger id, how many promises they broke on or after ``since`` (the risk class)."""
    rows = session.execute(
        select(Customer.ledger_id, func.count(Promise.id))
        .join(Customer, Customer.id == Promise.customer_id)
        .where(
            Promise.organisation_id == organisation_id,
            Promise.status == PromiseStatus.BROKEN.value,
            Promise.outcome_on >= since,
        )
        .group_by(Customer.ledger_id)
    )
    return {ledger_id: count for ledger_id, count in rows}


def promises_of(session: Session, customer: Customer) -> list[Promise]:
    """The customer's promises, newest first."""
    return list(
        session.scalars(
            select(Promise)
            .where(Promise.organisation_id == customer.organisation_id, Promise.customer_id == customer.id)
            .order_by(Promise.made_at.desc(), Promise.id.desc())
        )
    )


def is_kept(session: Session, promise: Promise) -> bool:
    """Whether the mirror shows the promise kept: its invoices paid down by the amount promised
    since it was made, or all of them cleared."""
    owed_now = dict(
        session.execute(
            select(Invoice.ledger_id, Invoice.amount_due).where(
                Invoice.organisation_id == promise.organisation_id,
                Invoice.ledger_id.in_(promise.invoice_ledger_ids),
                Invoice.status == InvoiceStatus.OPEN.value,
            )
        ).all()
    )
    if all(owed_now.get(ledger_id, Decimal("0")) <= 0 for ledger_id in promise.invoice_ledger_ids):
        return True
    paid = sum(
        (
            Decimal(before) - max(Decimal(owed_now.get(ledger_id, Decimal("0"))), Decimal("0"))
            for ledger_id, before in promise.owed_when_made.items()
        ),
        start=Decimal("0"),
    )
    return paid >= promise.amount


def _end(promise: Promise, status: PromiseStatus, day: date) -> None:
    promise.status = status.value
    promise.outcome_on = day
    promise.outcome_at = clock.now()


def _kept(session: Session, promise: Promise, customer: Customer, day: date) -> list[LedgerNote]:
    from reminders.writeback import record_invoice_notes

    _end(promise, PromiseStatus.KEPT, day)
    record(
        session, promise.organisation_id, "promise.kept", subject_of(customer), None, promise_id=promise.id
    )
    text = f"Relance: promise to pay {money_text(promise.amount, promise.currency)} by {promise.promised_on.isoformat()} kept."
    log.info("promise.kept", promise=promise.id, organisation=promise.organisation_id)
    return list(
        record_invoice_notes(
            session, customer, promise.invoice_ledger_ids, text, f"promise:{promise.id}:kept"
        )
    )


def keep_promises(
    session: Session, organisation: Organisation, customers: Sequence[Customer]
) -> list[AfterCommit]:
    """Change step: the sync saw these customers' accounts change; their open promises whose
    invoices are now paid as promised are kept. Returns what to queue after the commit."""
    from reminders.writeback import queue_writes

    if not customers:
        return []
    by_id = {customer.id: customer for customer in customers}
    today = clock.today(organisation.timezone)
    notes: list[LedgerNote] = []
    for promise in session.scalars(
        select(Promise).where(
            Promise.organisation_id == organisation.id,
            Promise.customer_id.in_(list(by_id)),
            Promise.status == PromiseStatus.OPEN.value,
        )
    ):
        if is_kept(session, promise):
            notes += _kept(session, promise, by_id[promise.customer_id], today)
    return [lambda: queue_writes(notes)] if notes else []


def break_promises(session: Session, organisation: Organisation, day: date) -> list[AfterCommit]:
    """Day step: each open promise whose date plus grace is behind ``day`` is kept if the mirror
    shows it paid, else broken: audited, noted in the ledger, told to the team once. Returns what
    to queue after the commit."""
    from reminders.team_notices import TeamNotice, queue_notices, tell_team
    from reminders.writeback import queue_writes, record_invoice_notes

    notes: list[LedgerNote] = []
    notices: list[TeamNotice | None] = []
    for promise in session.scalars(
        select(Promise).where(
            Promise.organisation_id == organisation.id,
            Promise.status == PromiseStatus.OPEN.value,
            Promise.until < day,
        )
    ):
        customer = session.get(Customer, promise.customer_id)
        if customer is None:
            continue
        if is_kept(session, promise):
            notes += _kept(session, promise, customer, day)
            continue
        _end(promise, PromiseStatus.BROKEN, day)
        money = money_text(promise.amount, promise.currency)
        record(
            session,
            promise.organisation_id,
            "promise.broken",
            subject_of(customer),
            None,
            promise_id=promise.id,
            amount=str(promise.amount),
            currency=promise.currency,
            promised_on=promise.promised_on.isoformat(),
        )
        text = (
            f"Relance: promise to pay {money} by {promise.promised_on.isoformat()} broken "
            f"(not paid by {promise.until.isoformat()}); reminders move to the next stage."
        )
        notes += record_invoice_notes(
            session, customer, promise.invoice_ledger_ids, text, f"promise:{promise.id}:broken"
        )
        notices.append(
            tell_team(
                session,
                organisation.id,
                f"promise.broken:{promise.id}",
                "promise.broken",
                f"{customer.name} broke their promise to pay {money}",
                f"{customer.name} promised to pay {money} by {promise.promised_on.isoformat()} and had "
                f"not paid by {promise.until.isoformat()}, the end of the grace period.\n\n"
                "Relance moves their reminders to the next, firmer stage today.",
                customer.id,
            )
        )
        log.info("promise.broken", promise=promise.id, organisation=organisation.id)
    after: list[AfterCommit] = []
    if notes:
        after.append(lambda: queue_writes(notes))
    if notices:
        after.append(lambda: queue_notices(notices))
    return after


def broken_promise_since(session: Session, organisation_id: int, customer_id: int, since: date) -> bool:
    """Whether the customer broke a promise to pay on or after ``since`` (a credit-hold rule)."""
    return (
        session.scalar(
            select(Promise.id)
            .where(
                Promise.organisation_id == organisation_id,
                Promise.customer_id == customer_id,
                Promise.status == PromiseStatus.BROKEN.value,
                Promise.outcome_on >= since,
            )
            .limit(1)
        )
        is not None
    )
