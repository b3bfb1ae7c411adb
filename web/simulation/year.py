"""`relance simulate`: a year of a small business end to end, on a moved clock, with or without
reminders, to show (not claim) what a schedule does to its receivables.

One run, in one process, with every part real: a ledger sandbox (Xero or QuickBooks) served over
HTTP, Relance's web app (webhooks, the portal) served over HTTP on its own database and Redis,
RQ workers running the queued jobs, and the customers' mailboxes, an SMTP server Relance sends to.
Both clocks are set together to each of a day's moments and run on from there:

- 08:00, the business's morning: the day's invoices are raised in the ledger; customers pay what
  they meant to pay today; they read yesterday's mail and calls and answer (the portal: a
  promise, a dispute; the ledger: a payment some days later). Webhooks reach Relance, the sync
  and the reaction to what changed run (promises kept, holds lifted), and the polling sweep.
- 09:05, the sending time: the planner and the outbox (``plan_and_dispatch``, as the scheduler
  runs it); a person approves what waits for approval (stages that need it, late fees).
- 09:30: some of the day's payments land while the outbox waits (the sends ask the ledger again).
- 10:00: the workers send: email over SMTP to the customers, letters, call tasks.
- 17:00: a person settles disputes ten days old (half credited by voiding the invoice, half
  upheld); on the first of the month, writes off what is over 150 days past due; and the day's figures are taken from the ledger (the truth) and Relance's records.

Before the first day, the business trades for ``warm_up_days`` without Relance, so that the year
starts with a ledger that has a past; then it connects Relance (the first sync).

"none" runs the same year with Relance connected and syncing but no schedule: no reminders, no
holds, no fees: the business that does not chase.
"""

from __future__ import annotations

import csv
import secrets
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from rq import SimpleWorker
from sqlalchemy import select

from integration.connections import Provider, Tenant, TokenSet, record_consent
from integration.rate_limit import forget_windows
from integration.sandbox.common.mailboxes import CustomerMailboxes
from integration.sandbox.common.personas import Reaction
from integration.sandbox.common.server import SandboxServer
from integration.sandbox.simulated_ledgers import LedgerInvoice, SimulatedLedger, ledger_for
from runtime.settings import Settings, environment_of
from web.simulation.customers import (
    Population,
    PortalVisit,
    SimulatedCustomer,
    Tracked,
    named_invoices,
    portal_link,
    promise_day,
)

SCHEDULES = ("none", "default")
DISPUTE_SETTLED_AFTER = timedelta(days=10)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class SimulationOptions:
    ledger: str = "xero"
    schedule: str = "default"
    days: int = 365
    seed: int = 1
    customers: int = 60
    start: date = date(2026, 1, 5)
    warm_up_days: int = 60
    fees: bool = False  # late fees, off as for a real organisation until a person turns them on


@dataclass
class DayFigures:
    """One row of the CSV: the day's state of the receivables and what happened in it."""

    day: date
    receivables: Decimal = Decimal("0")
    dso: Decimal = Decimal("0")
    share_current: Decimal = Decimal("0")
    share_over_90: Decimal = Decimal("0")
    cash_collected: Decimal = Decimal("0")
    written_off: Decimal = Decimal("0")
    emails: int = 0
    letters: int = 0
    calls: int = 0
    to_paid: int = 0
    to_disputed: int = 0
    skipped_settled: int = 0
    promises_made: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    disputes_raised: int = 0
    holds_placed: int = 0
    holds_lifted: int = 0
    fees_raised: int = 0


COLUMNS = [f.name for f in fields(DayFigures)]
SUMMED = COLUMNS[7:]


@dataclass
class Result:
    options: SimulationOptions
    days: list[DayFigures]
    seconds: float = 0.0

    def summary(self) -> dict[str, Decimal | int]:
        last = self.days[-1]
        totals: dict[str, Decimal | int] = {name: sum(getattr(d, name) for d in self.days) for name in SUMMED}
        return {
            "dso_end": last.dso,
            "dso_mean": _mean([d.dso for d in self.days]),
            "share_current_end": last.share_current,
            "share_current_mean": _mean([d.share_current for d in self.days]),
            "share_over_90_end": last.share_over_90,
            "share_over_90_mean": _mean([d.share_over_90 for d in self.days]),
            "receivables_end": last.receivables,
            "cash_collected": sum((d.cash_collected for d in self.days), Decimal("0")),
            "written_off": sum((d.written_off for d in self.days), Decimal("0")),
            **totals,
        }


def _mean(values: list[Decimal]) -> Decimal:
    return (sum(values, Decimal("0")) / len(values)).quantize(Decimal("0.0001")) if values else Decimal("0")


@dataclass
class _World:
    """The customers' side: the ledger, the mailboxes, the invoices as the customers know them."""

    population: Population
    ledger: SimulatedLedger
    mailboxes: CustomerMailboxes
    tracked: dict[str, Tracked] = field(default_factory=dict)  # by ledger id
    calls: dict[str, list[list[str]]] = field(default_factory=dict)  # customer ledger id → named numbers
    paid_today: list[tuple[Tracked, Decimal]] = field(default_factory=list)
    written_off_today: Decimal = Decimal("0")


def simulate(
    options: SimulationOptions, folder: Path, progress: Callable[[str], None] | None = None
) -> Result:
    """Run one simulated year into ``folder`` (its database, Redis, CSV and chart); returns the figures."""
    import time as timer

    began = timer.monotonic()
    if options.schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {options.schedule!r}: one of {', '.join(SCHEDULES)}")
    folder.mkdir(parents=True, exist_ok=True)
    start = options.start - timedelta(days=options.warm_up_days)
    ledger = ledger_for(options.ledger, datetime.combine(start, time(20), tzinfo=UTC))
    population = Population.draw(options.seed, options.customers)
    mailboxes = CustomerMailboxes(ledger.clock.now)
    world = _World(population, ledger, mailboxes)
    ledger.start()
    mailboxes.start()
    try:
        for customer in population.customers:
            customer.ledger_id = ledger.add_customer(customer.name, customer.email)
            population.by_ledger_id[customer.ledger_id] = customer
        for offset in range(options.warm_up_days):
            day = start + timedelta(days=offset)
            ledger.clock.set(datetime.combine(day, time(20), tzinfo=UTC))
            _trade(world, day)
            _pay_due(world, day, ledger.clock.now())
        with _relance(folder, ledger, mailboxes) as relance:
            days = _run_year(options, world, relance, progress)
    finally:
        mailboxes.stop()
        ledger.stop()
    result = Result(options, days, timer.monotonic() - began)
    write_csv(result, folder / "days.csv")
    write_chart([result], folder / "chart.html")
    return result


# -- the customers' world --------------------------------------------------------------------------


def _trade(world: _World, day: date) -> None:
    """The business raises the day's invoices (the customers' world tracks them as it next reads
    the ledger)."""
    for customer, amount in world.population.sales_of(day):
        world.ledger.raise_invoice(customer.ledger_id, amount, day, customer.terms_days)


def _track(world: _World, invoice: LedgerInvoice) -> Tracked:
    customer = world.population.by_ledger_id.get(invoice.customer_id)
    assert customer is not None
    tracked = Tracked(
        invoice.number,
        invoice.ledger_id,
        customer,
        invoice.issued,
        invoice.due,
        world.population.unprompted(customer, invoice.number, invoice.issued, invoice.due),
    )
    world.tracked[invoice.ledger_id] = tracked
    return tracked


def _ledger_invoices(world: _World) -> dict[str, LedgerInvoice]:
    found = {i.ledger_id: i for i in world.ledger.invoices()}
    for ledger_id, invoice in found.items():
        if ledger_id not in world.tracked and invoice.customer_id in world.population.by_ledger_id:
            _track(world, invoice)  # a fee invoice Relance raised, say
    return found


def _pay_due(world: _World, day: date, at: datetime, share: tuple[int, int] = (0, 1)) -> None:
    """Customers pay in full what they meant to pay by ``day`` (``share``: this slice of them)."""
    invoices = _ledger_invoices(world)
    for tracked in sorted(world.tracked.values(), key=lambda t: t.number):
        invoice = invoices.get(tracked.ledger_id)
        if invoice is None or not invoice.open or invoice.amount_due <= 0 or tracked.paid_at is not None:
            continue
        if tracked.disputed_at is not None and tracked.settled_at is None:
            continue  # nobody pays what they dispute
        pay_on = tracked.payment_day()
        if pay_on is None or pay_on > day:
            continue
        if world.population.rng("slice", tracked.number).randrange(share[1]) != share[0]:
            continue
        world.ledger.pay(tracked.ledger_id, invoice.amount_due, day)
        tracked.paid_at = at
        world.paid_today.append((tracked, invoice.amount_due))


def _read_mail(world: _World, day: date) -> Counter[str]:
    """Each customer reads what reached them (and the calls they took) and answers."""
    done: Counter[str] = Counter()
    invoices = _ledger_invoices(world)
    for customer in world.population.customers:
        open_numbers = sorted(
            t.number
            for t in world.tracked.values()
            if t.customer is customer
            and t.paid_at is None
            and (invoice := invoices.get(t.ledger_id)) is not None
            and invoice.open
            and invoice.amount_due > 0
        )
        heard: list[tuple[list[str], str | None]] = []
        for received in world.mailboxes.read(customer.email):
            heard.append((named_invoices(received.text, open_numbers), portal_link(received.text)))
        for numbers in world.calls.pop(customer.ledger_id, []):
            heard.append(([n for n in numbers if n in open_numbers], None))
        for numbers, link in heard:
            if numbers:
                done[_answer(world, customer, day, numbers, link)] += 1
    return done


def _answer(
    world: _World, customer: SimulatedCustomer, day: date, numbers: list[str], link: str | None
) -> str:
    reply = world.population.reply(customer, day, numbers)
    by_number = {t.number: t for t in world.tracked.values() if t.customer is customer}
    named = [by_number[n] for n in numbers if n in by_number]
    if reply.reaction is Reaction.PAY:
        for tracked in named:
            tracked.pay_on = min(filter(None, (tracked.pay_on, reply.on)))
    elif reply.reaction is Reaction.PROMISE and link is None:  # on the phone: the caller records it
        promised = promise_day(reply, day)
        if _promise_on_the_phone(customer, named, promised) and reply.keeps_promise:
            for tracked in named:
                tracked.pay_on = min(filter(None, (tracked.pay_on, promised)))
    elif reply.reaction is Reaction.PROMISE and link is not None:
        promised = promise_day(reply, day)
        if PortalVisit(link).promise_all(promised) and reply.keeps_promise:
            # "Everything by this date" covers every open invoice the portal showed, not only
            # those the message named: keeping it is paying them all.
            for tracked in by_number.values():
                if tracked.paid_at is None and not tracked.voided and tracked.disputed_at is None:
                    tracked.pay_on = min(filter(None, (tracked.pay_on, promised)))
    elif reply.reaction is Reaction.DISPUTE and link is not None and not customer.disputed_once:
        tracked = named[0]
        if PortalVisit(link).dispute(tracked.number):
            tracked.disputed_at = world.ledger.clock.now()
            customer.disputed_once = True
    return reply.reaction.value


def _promise_on_the_phone(customer: SimulatedCustomer, named: list[Tracked], promised: date) -> bool:
    """The person who made the call records the customer's promise for the invoices discussed."""
    from sqlalchemy import select as query

    from reminders.promises import PromiseRefused, PromiseSource, record_promise
    from reminders.writeback import queue_writes
    from runtime.db import db
    from sync.models import Customer, Invoice

    session = db.session()
    found = session.scalar(query(Customer).where(Customer.ledger_id == customer.ledger_id))
    ids = [t.ledger_id for t in named if t.paid_at is None and not t.voided and t.disputed_at is None]
    owed = session.scalars(query(Invoice).where(Invoice.ledger_id.in_(ids), Invoice.amount_due > 0)).all()
    if found is None or not owed:
        return False
    try:
        _, notes = record_promise(
            session,
            found,
            sum((i.amount_due for i in owed), Decimal("0")),
            promised,
            [i.ledger_id for i in owed],
            source=PromiseSource.CALL,
        )
    except PromiseRefused:
        session.rollback()
        return False
    session.commit()
    queue_writes(notes)
    return True


# -- Relance -----------------------------------------------------------------------------------------


@dataclass
class _Relance:
    web_url: str
    connection_id: int
    organisation_id: int
    zone: ZoneInfo


@contextmanager
def _relance(folder: Path, ledger: SimulatedLedger, mailboxes: CustomerMailboxes) -> Iterator[_Relance]:
    """Relance on its own database and Redis in ``folder``, its web app served, connected to the
    ledger as its owner would connect it; the clock set to the ledger's."""
    from runtime import clock

    port = _free_port()
    web_url = f"http://127.0.0.1:{port}"
    key = secrets.token_urlsafe(24)
    database = folder / "relance.db"
    for stale in (database, folder / "relance.db-wal", folder / "relance.db-shm"):
        stale.unlink(missing_ok=True)
    shutil.rmtree(folder / "redis", ignore_errors=True)
    environment = {
        "DATABASE_URL": f"sqlite:///{database}",
        "RELANCE_INSTANCE": str(folder),
        "PUBLIC_URL": web_url,
        "SMTP_URL": mailboxes.url,
        "MAIL_FROM": "accounts@kowhai.example",
        "LOG_LEVEL": "WARNING",
        **ledger.environment(key),
    }
    with environment_of(environment, unset=("REDIS_URL",)) as settings:
        clock.travel_to(ledger.clock.now())
        yield from _connected(settings, ledger, web_url, key)


def _connected(settings: Settings, ledger: SimulatedLedger, web_url: str, key: str) -> Iterator[_Relance]:
    import migrations
    from runtime import clock, jobs
    from runtime import redis as relance_redis
    from runtime.db import db
    from runtime.tenancy import Organisation
    from sync.jobs import sync_tenant
    from web import create_app

    port = int(web_url.rsplit(":", 1)[1])
    migrations.upgrade(settings.sqlalchemy_url)
    db.bind(settings.sqlalchemy_url)
    connection_redis = relance_redis.connect(settings)
    connection_redis.flushdb()
    jobs.use_connection(connection_redis)
    server = SandboxServer(create_app(settings), port=port).start()
    try:
        session = db.session()
        consent = ledger.consent()
        tokens = TokenSet(
            access_token=consent.access_token,
            refresh_token=consent.refresh_token,
            access_expires_at=clock.now() + timedelta(seconds=consent.expires_in),
            scopes=consent.scopes,
        )
        tenant = Tenant(consent.tenant_id, consent.tenant_name)
        (connection,) = record_consent(session, Provider(ledger.provider), tokens, [tenant])
        session.commit()
        ledger.subscribe(f"{web_url}/webhooks/{ledger.provider}", key)
        sync_tenant(connection.id, full=True)
        organisation = session.get(Organisation, connection.organisation_id)
        assert organisation is not None
        yield _Relance(web_url, connection.id, organisation.id, ZoneInfo(organisation.timezone))
    finally:
        server.stop()
        db.session.remove()
        db.close()
        clock.reset()
        relance_redis.stop_embedded()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Worker(SimpleWorker):
    """RQ's SimpleWorker without its command channel (a pub/sub thread that a person's `rq
    suspend` reaches): started and stopped a dozen times a simulated day, its thread's join would
    cost more than the jobs. The jobs run exactly as under `relance worker`."""

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


# Jobs a worker runs before a simulated minute passes: each makes a few ledger calls, so a
# minute's jobs stay within Xero's 60 calls a minute per organisation (QuickBooks allows 500).
JOBS_A_MINUTE = 10


def _work(world: _World | None = None) -> None:
    """Run what is queued, as a worker does, a minute of the clocks passing every JOBS_A_MINUTE
    jobs: a day's sends take the minutes they would take against the ledger's rate limits."""
    from runtime import jobs

    queues = [jobs.queue(name) for name in jobs.QUEUES]
    while True:
        _Worker(queues, connection=jobs.connection()).work(
            burst=True, max_jobs=JOBS_A_MINUTE, logging_level="WARNING"
        )
        if not any(queue.count for queue in queues):
            return
        if world is not None:
            _set_clocks(world, world.ledger.clock.now() + timedelta(minutes=1))


def _turn_on_collections(relance: _Relance, fees: bool) -> None:
    """The schedule switched on as an accountant would for this business: the shipped default,
    sending on its own (stages that need approval still wait for a person), credit holds on (their
    default rules), late fees (reviewed) when asked for, bank details for the portal."""
    from reminders.dispatch.outbox import give_default_schedules
    from reminders.fees.proposing import turn_on_for_demo
    from reminders.holds import HoldRules
    from reminders.models import CollectionSettings
    from reminders.portal.links import PortalSettings
    from runtime.db import db

    session = db.session()
    give_default_schedules(session)
    settings = session.get(CollectionSettings, relance.organisation_id)
    if settings is None:
        settings = CollectionSettings(organisation_id=relance.organisation_id)
        session.add(settings)
    settings.sending_mode = "automatic"
    session.add(HoldRules(organisation_id=relance.organisation_id, enabled=True))
    session.add(
        PortalSettings(organisation_id=relance.organisation_id, bank_details="Kowhai Bank 01-0001-0000001-00")
    )
    session.commit()
    if fees:
        turn_on_for_demo(session, relance.organisation_id)


def _at(relance: _Relance, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=relance.zone).astimezone(UTC)


def _set_clocks(world: _World, instant: datetime) -> None:
    """Both clocks to ``instant``, running on from there. The time jumped over has passed for
    Relance's own rate limiter too: its windows (counted by the Redis server's clock) are emptied,
    as they would have emptied in the hours between two moments; slots in flight stay."""
    from runtime import clock, jobs

    world.ledger.clock.set(instant)
    clock.travel_to(instant)
    forget_windows(jobs.connection())


def _settle_webhooks(world: _World) -> None:
    from reminders.loop import react_to_account_changes

    world.ledger.wait_for_webhooks()
    _work(world)  # the sync jobs the webhooks queued
    react_to_account_changes()
    _work(world)  # what the reaction queued (ledger notes, hold writes, notices)


def _run_year(
    options: SimulationOptions, world: _World, relance: _Relance, progress: Callable[[str], None] | None
) -> list[DayFigures]:
    from reminders.dispatch.outbox import plan_and_dispatch
    from sync.jobs import sweep

    chasing = options.schedule != "none"
    if chasing:
        _turn_on_collections(relance, options.fees)
    figures: list[DayFigures] = []
    for offset in range(options.days):
        day = options.start + timedelta(days=offset)
        world.paid_today, world.written_off_today = [], Decimal("0")
        disputes_before = _count_disputes(world)
        _set_clocks(world, _at(relance, day, 8))
        _trade(world, day)
        _pay_due(world, day, world.ledger.clock.now(), (0, 2))
        _read_mail(world, day)
        _settle_webhooks(world)
        sweep()
        _work(world)
        if chasing:
            _set_clocks(world, _at(relance, day, 9, 5))
            plan_and_dispatch()
            _approve_what_waits(relance)
        _set_clocks(world, _at(relance, day, 9, 30))
        _pay_due(world, day, world.ledger.clock.now(), (1, 2))
        _set_clocks(world, _at(relance, day, 10))
        _work(world)
        _settle_webhooks(world)
        _set_clocks(world, _at(relance, day, 17))
        _settle_disputes(world, relance)
        if day.day == 1:
            _write_off_bad_debts(world, day)
        _settle_webhooks(world)
        figures.append(_figures_of(world, relance, day, disputes_before))
        if progress is not None and (offset + 1) % 30 == 0:
            latest = figures[-1]
            progress(
                f"{options.ledger} {options.schedule}: day {offset + 1} of {options.days} ({day}):"
                f" DSO {latest.dso}, current {latest.share_current * 100:.1f}%,"
                f" over 90 days {latest.share_over_90 * 100:.1f}%,"
                f" reminders so far {sum(d.emails + d.letters for d in figures)}"
            )
    return figures


def _approve_what_waits(relance: _Relance) -> None:
    """The person who reviews: approves the day's messages and fees that wait for them."""
    from reminders.dispatch import outbox
    from reminders.dispatch.models import ActionStatus, ReminderAction
    from reminders.fees.models import FeeStatus, LateFee
    from reminders.fees.proposing import approve as approve_fee
    from reminders.fees.raising import queue_raise
    from runtime.db import db

    session = db.session()
    waiting = session.scalars(
        select(ReminderAction).where(
            ReminderAction.organisation_id == relance.organisation_id,
            ReminderAction.status == ActionStatus.AWAITING_APPROVAL.value,
        )
    ).all()
    for action in waiting:
        outbox.approve(session, action, user_id=None)  # type: ignore[arg-type]
    fees = session.scalars(
        select(LateFee).where(
            LateFee.organisation_id == relance.organisation_id, LateFee.status == FeeStatus.PROPOSED.value
        )
    ).all()
    for fee in fees:
        approve_fee(session, fee, None)
    session.commit()
    for fee in fees:
        queue_raise(fee.id)
    outbox.dispatch_ready(session, relance.organisation_id)


def _settle_disputes(world: _World, relance: _Relance) -> None:
    """A person settles each dispute ten days after it was raised: one in two by voiding the
    invoice in the ledger (the customer was right), the other upheld (the customer then pays)."""
    from reminders.disputes import open_disputes, resolve_dispute
    from runtime.db import db

    session = db.session()
    now = world.ledger.clock.now()
    for dispute in open_disputes(session, relance.organisation_id):
        tracked = world.tracked.get(dispute.invoice_ledger_id)
        opened = dispute.opened_at if dispute.opened_at.tzinfo else dispute.opened_at.replace(tzinfo=UTC)
        if tracked is None or now - opened < DISPUTE_SETTLED_AFTER:
            continue
        credited = world.population.rng("settle", tracked.number).random() < 0.5
        if credited and world.ledger.void(tracked.ledger_id):
            tracked.voided = True
        else:
            tracked.pay_on = min(filter(None, (tracked.pay_on, now.date() + timedelta(days=7))))
        to_queue = resolve_dispute(session, dispute, None, "Settled with the customer")
        session.commit()
        to_queue()
        tracked.settled_at = now


WRITE_OFF_AFTER_DAYS = 150


def _write_off_bad_debts(world: _World, day: date) -> None:
    """On the first of each month the accountant writes off what is more than 150 days past due,
    as most small businesses do (the Xero demo company's history does the same): here by voiding
    the invoice in the ledger. The same in every run, with reminders or without."""
    for invoice in _ledger_invoices(world).values():
        tracked = world.tracked.get(invoice.ledger_id)
        if (
            tracked is None
            or not invoice.open
            or invoice.amount_due <= 0
            or (day - invoice.due).days <= WRITE_OFF_AFTER_DAYS
        ):
            continue
        if world.ledger.void(invoice.ledger_id):
            tracked.voided = True
            world.written_off_today += invoice.amount_due


def _count_disputes(world: _World) -> int:
    return sum(1 for t in world.tracked.values() if t.disputed_at is not None)


def _figures_of(world: _World, relance: _Relance, day: date, disputes_before: int) -> DayFigures:
    from reminders.dispatch.models import ActionStatus, ReminderAction
    from reminders.fees.models import LateFee
    from reminders.holds import CreditHold
    from reminders.promises import Promise, PromiseStatus
    from runtime.db import db
    from sync.models import Customer

    session = db.session()
    session.expire_all()
    invoices = _ledger_invoices(world)
    figures = DayFigures(day)
    open_items = [i for i in invoices.values() if i.open and i.amount_due > 0]
    receivables = sum((i.amount_due for i in open_items), Decimal("0"))
    sales = sum(
        (i.total for i in invoices.values() if day - timedelta(days=90) < i.issued <= day), Decimal("0")
    )
    figures.receivables = receivables
    if receivables:
        figures.share_current = _share(
            sum((i.amount_due for i in open_items if i.due >= day), Decimal(0)), receivables
        )
        figures.share_over_90 = _share(
            sum((i.amount_due for i in open_items if (day - i.due).days > 90), Decimal(0)), receivables
        )
    figures.dso = (receivables / sales * 90).quantize(Decimal("0.1")) if sales else Decimal("0")
    figures.cash_collected = sum((amount for _, amount in world.paid_today), Decimal("0"))
    figures.written_off = world.written_off_today
    begin, end = _at(relance, day, 0), _at(relance, day + timedelta(days=1), 0)
    finished = session.scalars(
        select(ReminderAction).where(
            ReminderAction.organisation_id == relance.organisation_id,
            ReminderAction.finished_at >= begin,
            ReminderAction.finished_at < end,
        )
    ).all()
    for action in finished:
        if action.status == ActionStatus.SKIPPED.value and action.reason.startswith("nothing is"):
            figures.skipped_settled += 1
        if action.status != ActionStatus.SENT.value:
            continue
        if action.channel == "email":
            figures.emails += 1
        elif action.channel == "letter":
            figures.letters += 1
        elif action.channel == "call":
            figures.calls += 1
            numbers = sorted(world.tracked[i].number for i in action.invoice_ledger_ids if i in world.tracked)
            customer = session.get(Customer, action.customer_id)
            if customer is not None:
                world.calls.setdefault(customer.ledger_id, []).append(numbers)
        sent_at = _aware(action.finished_at)
        named = [
            world.tracked[i]
            for i in (action.sent_invoice_ledger_ids or action.invoice_ledger_ids)
            if i in world.tracked
        ]
        if any(t.paid_at is not None and t.paid_at <= sent_at for t in named):
            figures.to_paid += 1
        if any(
            t.disputed_at is not None
            and t.disputed_at <= sent_at
            and (t.settled_at is None or t.settled_at > sent_at)
            for t in named
        ):
            figures.to_disputed += 1
    organisation = relance.organisation_id
    figures.promises_made = _count(session, Promise, Promise.made_at, begin, end, organisation)
    for promise in session.scalars(
        select(Promise).where(Promise.organisation_id == organisation, Promise.outcome_on == day)
    ):
        if promise.status == PromiseStatus.KEPT.value:
            figures.promises_kept += 1
        elif promise.status == PromiseStatus.BROKEN.value:
            figures.promises_broken += 1
    figures.disputes_raised = _count_disputes(world) - disputes_before
    figures.holds_placed = _count(session, CreditHold, CreditHold.placed_at, begin, end, organisation)
    figures.holds_lifted = _count(session, CreditHold, CreditHold.lifted_at, begin, end, organisation)
    figures.fees_raised = _count(session, LateFee, LateFee.raised_at, begin, end, organisation)
    session.rollback()
    return figures


def _count(session, model, column, begin: datetime, end: datetime, organisation_id: int) -> int:
    from sqlalchemy import func

    return int(
        session.scalar(
            select(func.count())
            .select_from(model)
            .where(model.organisation_id == organisation_id, column >= begin, column < end)
        )
        or 0
    )


def _aware(instant: datetime | None) -> datetime:
    assert instant is not None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _share(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole).quantize(Decimal("0.0001"))


# -- output ------------------------------------------------------------------------------------------


def write_csv(result: Result, path: Path) -> None:
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        for day in result.days:
            writer.writerow(
                {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(day).items()}
            )


def write_chart(results: list[Result], path: Path) -> None:
    """An HTML page charting DSO and the share over 90 days of each run, with the vendored Chart.js."""
    import json

    vendor = Path(__file__).resolve().parents[1] / "static" / "vendor" / "chart.js-4.6.1" / "chart.umd.min.js"
    shutil.copyfile(vendor, path.parent / "chart.umd.min.js")
    labels = [d.day.isoformat() for d in results[0].days]
    series = {
        f"{r.options.ledger} {r.options.schedule}": {
            "dso": [float(d.dso) for d in r.days],
            "over90": [float(d.share_over_90 * 100) for d in r.days],
            "current": [float(d.share_current * 100) for d in r.days],
        }
        for r in results
    }
    page = CHART_PAGE.replace("__LABELS__", json.dumps(labels)).replace("__SERIES__", json.dumps(series))
    path.write_text(page)


CHART_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Relance: a simulated year</title>
<script src="chart.umd.min.js"></script>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2rem auto}canvas{margin-bottom:2rem}</style>
</head><body>
<h1>A simulated year</h1>
<h2>Days sales outstanding</h2><canvas id="dso"></canvas>
<h2>Share of receivables current (%)</h2><canvas id="current"></canvas>
<h2>Share of receivables over 90 days past due (%)</h2><canvas id="over90"></canvas>
<script>
const labels = __LABELS__, series = __SERIES__;
for (const metric of ["dso", "current", "over90"]) {
  new Chart(document.getElementById(metric), {type: "line", data: {labels,
    datasets: Object.entries(series).map(([name, s]) => ({label: name, data: s[metric], pointRadius: 0}))},
    options: {animation: false}});
}
</script></body></html>
"""


def temporary_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="relance-simulation-"))
