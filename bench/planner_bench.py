"""Benchmark: the reminder planner over many organisations, and the ledger calls the re-check makes.

    .venv/bin/python bench/planner_bench.py [--organisations 20] [--customers 300] [--invoices 3000]
    .venv/bin/python bench/planner_bench.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/planner_bench.py --profile            # where one organisation's plan goes
    .venv/bin/python bench/planner_bench.py --recheck [--ledger xero|quickbooks] [--messages 100]

The planner (issue #15: "1,000 organisations with 300 customers and 3,000 open invoices each"):
fills a throwaway database with ``--organisations`` organisations, each with the default schedule
and a mirror of ``--customers`` customers and ``--invoices`` open invoices due from 120 days ago
to 30 days ahead (most current, a tail overdue, a few slow and bad payers; a third of the
customers with a standing, some large), then runs ``plan_organisation`` for each on one day, then
again (which must plan nothing). Each round is run ``--rounds`` times (the outbox emptied between
rounds) and the lowest time kept. Peak memory: tracemalloc's peak during one organisation's
plan, and the process's RSS high-water mark (ru_maxrss) before and after planning. The periodic
job plans one organisation after the other in one process, so 1,000 organisations take about
1,000 times one: the projection is linear.

The re-check (``--recheck``): a sandbox over real HTTP (Xero or QuickBooks, started here), a
customer per message with overdue and current invoices, synced, planned, every message approved,
then the sends and the write-back notes they queue run by an RQ SimpleWorker in burst, the mail
going to an aiosmtpd server started here. The sandbox's request log gives the calls by kind:
re-check reads (``invoices_by_id``), payment links, note writes, per 100 messages sent; once
with the stages' invoice links and once without. Relance's own rate limiter is lifted for the
run (at Xero's 60 calls a minute the figures would take minutes and come out the same); the
time the calls need at the published limits is printed beside them.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.services import from_environment

TODAY = date(2026, 11, 23)  # a Monday
STAMP = datetime(2026, 11, 22, tzinfo=UTC)


# --- the planner ---------------------------------------------------------------------------------


def _days_late(rng: random.Random, payer: str) -> int:
    """How late one invoice of a customer is today (negative: due in so many days)."""
    if payer == "prompt":  # most invoices current; a few a week or two late
        return rng.randint(-30, 0) if rng.random() < 0.85 else rng.randint(1, 15)
    if payer == "slow":
        return rng.randint(-30, 0) if rng.random() < 0.5 else rng.randint(1, 60)
    return rng.randint(-30, 0) if rng.random() < 0.3 else rng.randint(1, 120)  # bad


def fill_organisation(name: str, customers: int, invoices: int, rng: random.Random) -> int:
    """One organisation with the default schedule and its mirror: ``invoices`` open invoices."""
    from sqlalchemy import insert

    from reminders.models import CustomerStanding
    from reminders.schedules.defaults import DEFAULT_SCHEDULE
    from reminders.schedules.models import schedule_from
    from runtime.db import db
    from runtime.tenancy import Organisation
    from sync.models import Customer, Invoice

    organisation = Organisation(name=name, base_currency="NZD", timezone="Pacific/Auckland", country="NZ")
    db.session.add(organisation)
    db.session.flush()
    oid = organisation.id
    db.session.add(schedule_from(DEFAULT_SCHEDULE, oid, "en", is_default=True))
    mirror = {"organisation_id": oid, "ledger_updated_at": STAMP, "synced_at": STAMP}
    db.session.execute(
        insert(Customer),
        [
            {
                **mirror,
                "ledger_id": f"c{n}",
                "name": f"Customer {n:05d} Ltd",
                "email": f"accounts{n}@c{n}.example",
            }
            for n in range(customers)
        ],
    )
    # 70 % prompt payers, 20 % slow, 10 % bad; a few customers hold many of the invoices.
    payers = [rng.choices(("prompt", "slow", "bad"), (70, 20, 10))[0] for _ in range(customers)]
    rows = []
    for n in range(invoices):
        customer = min(customers - 1, int(customers * rng.random() ** 1.5))
        due = TODAY - timedelta(days=_days_late(rng, payers[customer]))
        total = Decimal(rng.randint(2000, 800000)) / 100
        foreign = rng.random() < 0.05
        rows.append(
            {
                **mirror,
                "ledger_id": f"i{n}",
                "customer_ledger_id": f"c{customer}",
                "number": f"INV-{n:06d}",
                "status": "open",
                "currency": "AUD" if foreign else "NZD",
                "currency_rate": Decimal("1.0850") if foreign else None,
                "issued_on": due - timedelta(days=30),
                "due_on": due,
                "total": total,
                "amount_due": total if rng.random() < 0.8 else (total / 2).quantize(Decimal("0.01")),
                "amount_paid": Decimal(0),
                "amount_credited": Decimal(0),
            }
        )
    db.session.execute(insert(Invoice), rows)
    db.session.execute(
        insert(CustomerStanding),
        [
            {
                "organisation_id": oid,
                "customer_ledger_id": f"c{n}",
                "risk": 3 if payers[n] == "bad" else rng.randint(1, 2),  # reminders.risk.RiskClass
                "explanation": "usually pays 10 days late",
                "segment": "large" if n < customers // 10 else "small",
                "open_balance": Decimal(0),
                "overdue_balance": Decimal(0),
                "assessed_on": TODAY,
                "assessed_at": STAMP,
            }
            for n in range(0, customers, 3)
        ],
    )
    db.session.commit()
    return oid


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _rss_now_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Round:
    first: list[float]
    second: list[float]
    planned: int
    planned_again: int


def clock_now() -> datetime:
    from runtime import clock

    return clock.now()


def _plan_all(organisations: list[int], plan: Callable[[Session, int, date], int] | None = None) -> Round:
    from reminders.schedules.planner import plan_organisation
    from runtime.db import db

    plan = plan or plan_organisation
    session = db.session()
    first, second, planned, again = [], [], 0, 0
    for oid in organisations:
        started = time.perf_counter()
        planned += plan(session, oid, TODAY)
        first.append(time.perf_counter() - started)
    for oid in organisations:
        started = time.perf_counter()
        again += plan(session, oid, TODAY)
        second.append(time.perf_counter() - started)
    return Round(first, second, planned, again)


def _begin_sqlite_transactions() -> None:
    """The fix SQLAlchemy documents for pysqlite ("Serializable isolation / Savepoints / Transactional
    DDL"): the driver's own transaction handling off, BEGIN emitted when SQLAlchemy begins. Without
    it a SAVEPOINT outside a transaction starts one and its RELEASE commits it: one commit (a WAL
    sync) per planned action. Applied here to measure it; runtime/db.py does not do it."""
    from sqlalchemy import event

    from runtime.db import db

    engine = db.engine

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    db.session.remove()
    engine.dispose()


def _empty_outbox(organisation_id: int | None = None) -> None:
    from sqlalchemy import delete

    from reminders.dispatch.models import ReminderAction
    from runtime.db import db

    statement = delete(ReminderAction)
    if organisation_id is not None:
        statement = statement.where(ReminderAction.organisation_id == organisation_id)
    db.session.execute(statement)
    db.session.commit()
    db.session.expire_all()


def _line(name: str, times: list[float]) -> str:
    return (
        f"  {name:26} total {sum(times):7.2f} s   per organisation mean {statistics.mean(times) * 1000:7.1f} ms"
        f"   p50 {statistics.median(times) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms"
    )


def bench_planner(arguments: argparse.Namespace) -> None:
    from sqlalchemy import func, select, text

    from reminders.dispatch.models import ReminderAction
    from reminders.schedules.planner import plan_organisation
    from runtime.db import db
    from runtime.settings import reload_settings
    from web import create_app

    app = create_app(reload_settings())
    rng = random.Random(15)
    with app.app_context():
        dialect = db.engine.dialect.name
        started = time.perf_counter()
        organisations = [
            fill_organisation(f"Client {n:04d} Ltd", arguments.customers, arguments.invoices, rng)
            for n in range(arguments.organisations)
        ]
        if dialect == "postgresql":
            with db.engine.connect() as connection:
                connection.execute(text("ANALYZE"))
                connection.commit()
        filled = time.perf_counter() - started
        rss_filled = _rss_peak_mb()
        print(
            f"planner, {dialect}: {arguments.organisations} organisations x {arguments.customers} customers x "
            f"{arguments.invoices} open invoices, default schedule, day {TODAY.isoformat()} "
            f"(filled in {filled:.0f} s); {arguments.rounds} rounds, the lowest kept"
        )
        rounds = []
        for index in range(arguments.rounds):
            if index:
                _empty_outbox()
            found = _plan_all(organisations)
            print(
                f"  round {index + 1}: first run {sum(found.first):.2f} s ({found.planned} actions), "
                f"second run {sum(found.second):.2f} s ({found.planned_again} actions)"
            )
            rounds.append(found)
        best_first = min(rounds, key=lambda r: sum(r.first))
        best_second = min(rounds, key=lambda r: sum(r.second))
        by_kind = Counter(
            f"{stage}/{channel}"
            for stage, channel in db.session.execute(select(ReminderAction.stage_key, ReminderAction.channel))
        )
        actions = db.session.scalar(select(func.count()).select_from(ReminderAction)) or 0
        rss_planned = _rss_peak_mb()

        # Memory of one organisation's plan (traced apart: tracemalloc slows what it traces).
        sample = organisations[0]
        _empty_outbox(sample)
        db.session.remove()
        tracemalloc.start()
        planned_sample = plan_organisation(db.session(), sample, TODAY)
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        print(_line("first run (plans)", best_first.first))
        print(_line("second run (plans 0)", best_second.second))
        print(
            f"  actions planned: {best_first.planned} ({best_first.planned / len(organisations):.0f} an organisation)"
        )
        print(f"  second run planned: {best_second.planned_again}")
        print(f"  outbox by stage/channel: {dict(sorted(by_kind.items()))} ({actions} rows)")
        print(
            f"  memory: tracemalloc peak during one organisation's plan {traced_peak / 2**20:.1f} MiB "
            f"({planned_sample} actions); RSS high-water {rss_filled:.0f} MiB after the fill, "
            f"{rss_planned:.0f} MiB after planning, {_rss_now_mb():.0f} MiB now"
        )
        per_first = statistics.mean(best_first.first)
        per_second = statistics.mean(best_second.second)
        print(
            f"  projected to 1,000 organisations, one after the other as the periodic job runs them: "
            f"first run {per_first * 1000:.0f} s ({per_first * 1000 / 60:.1f} min), "
            f"second run {per_second * 1000:.0f} s"
        )
        if arguments.profile:
            import cProfile
            import pstats

            _empty_outbox(sample)
            db.session.remove()
            profile = cProfile.Profile()
            profile.runcall(plan_organisation, db.session(), sample, TODAY)
            print("\nprofile of one organisation's first run (cumulative):")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
            print("profile of one organisation's first run (own time):")
            pstats.Stats(profile).sort_stats("tottime").print_stats(20)
            profile = cProfile.Profile()
            profile.runcall(plan_organisation, db.session(), sample, TODAY)
            print("profile of one organisation's second run (own time):")
            pstats.Stats(profile).sort_stats("tottime").print_stats(20)
        if arguments.compare:
            # The one-INSERT-per-organisation prototype this bench measured is now what
            # plan_organisation does; what remains to compare is SQLite's transaction start.
            variants: list[tuple[str, Callable[[Session, int, date], int] | None]] = []
            if dialect == "sqlite":
                variants.append(("BEGIN before the savepoints (prototype)", None))
            print("  proposed changes, measured here (planner.py unchanged):")
            from reminders.schedules.planner import due_today

            _empty_outbox()
            deciding = []
            for _ in range(arguments.rounds):
                times = []
                for oid in organisations:
                    started = time.perf_counter()
                    due_today(db.session(), oid, TODAY)
                    times.append(time.perf_counter() - started)
                    db.session.rollback()
                deciding.append(statistics.mean(times))
            print(
                f"    {'deciding alone (due_today, no writes)':40} {min(deciding) * 1000:7.1f} ms an organisation: "
                "the floor of any way of writing"
            )
            for name, plan in variants:
                if plan is None:
                    _begin_sqlite_transactions()
                best: Round | None = None
                for _ in range(arguments.rounds):
                    _empty_outbox()
                    found = _plan_all(organisations, plan)
                    best = found if best is None or sum(found.first) < sum(best.first) else best
                assert best is not None
                same = (
                    "same" if best.planned == best_first.planned else f"NOT the same ({best_first.planned})"
                )
                print(
                    f"    {name:40} first run {statistics.mean(best.first) * 1000:7.1f} ms an organisation "
                    f"({best.planned} actions: {same}), second run {statistics.mean(best.second) * 1000:6.1f} ms "
                    f"({best.planned_again} actions); 1,000 organisations {statistics.mean(best.first) * 1000:.0f} s"
                )


# --- the re-check ---------------------------------------------------------------------------------


# What each endpoint of a sandbox is, for the re-check's table (the request log's route patterns).
CALL_KINDS = (
    (re.compile(r"GET /Invoices$"), "re-check read"),  # Xero: ?IDs=…, 50 a call
    (re.compile(r"GET /Invoices/\{\w+\}/OnlineInvoice$"), "payment link"),
    (re.compile(r"PUT /Invoices/\{\w+\}/History$"), "note write"),
    (re.compile(r"(GET|POST) .*/query$", re.IGNORECASE), "re-check read"),  # QuickBooks: Id IN (…)
    (re.compile(r"GET .*/invoice/\{\w+\}$", re.IGNORECASE), "payment link"),  # include=invoiceLink
    (re.compile(r"POST .*/attachable$", re.IGNORECASE), "note write"),
)


def _kind(endpoint: str) -> str:
    return next((kind for pattern, kind in CALL_KINDS if pattern.search(endpoint)), "other")


@dataclass
class Books:
    """A sandbox Relance is connected to, and how to raise customers and invoices in it."""

    name: str
    sandbox: Any
    tenant: str
    organisation_id: int
    connection_id: int
    customer: Callable[[str, str], str]
    invoice: Callable[[str, Decimal, int], str]


def _xero_books(session: Session) -> Books:
    from integration.sandbox.xero.limits import XeroLimits
    from integration.sandbox.xero.sandbox import XeroSandbox
    from integration.sandbox.xero.settings import XeroSandboxSettings
    from runtime.settings import reload_settings
    from runtime.tenancy import Organisation
    from tests.integration.ledgers import FAST_WEBHOOKS, xero_consent

    sandbox = XeroSandbox(
        seed="empty", settings=XeroSandboxSettings(dispatch=FAST_WEBHOOKS, limits=XeroLimits.unlimited())
    ).start()
    os.environ.update(
        XERO_BASE_URL=sandbox.base_url,
        XERO_CLIENT_ID=sandbox.app.client_id,
        XERO_CLIENT_SECRET=sandbox.app.client_secret,
        XERO_WEBHOOK_KEY="bench-webhook-key",
    )
    reload_settings()
    (connection,) = xero_consent(session, sandbox)
    organisation = session.get(Organisation, connection.organisation_id)
    organisation.timezone, organisation.country = "UTC", "NZ"
    session.commit()

    def invoice(contact_id: str, amount: Decimal, days_late: int) -> str:
        issued = sandbox.clock.today() - timedelta(days=days_late + 30)
        return str(sandbox.create_invoice(contact_id, amount, 30, issued=issued).invoice_id)

    return Books(
        "Xero",
        sandbox,
        sandbox.tenant_id,
        organisation.id,
        connection.id,
        lambda name, email: str(sandbox.create_contact(name, email=email).contact_id),
        invoice,
    )


def _quickbooks_books(session: Session) -> Books:
    from integration.sandbox.quickbooks import QuickBooksSandbox
    from integration.sandbox.quickbooks.throttle import ThrottlePolicy
    from runtime.settings import reload_settings
    from runtime.tenancy import Organisation
    from tests.integration.ledgers import FAST_WEBHOOKS, quickbooks_consent

    sandbox = QuickBooksSandbox(
        seed="empty", dispatch=FAST_WEBHOOKS, throttle=ThrottlePolicy(per_minute=10**9, concurrent=10**9)
    ).start()
    os.environ.update(
        QUICKBOOKS_BASE_URL=sandbox.base_url,
        QUICKBOOKS_CLIENT_ID=sandbox.app.client_id,
        QUICKBOOKS_CLIENT_SECRET=sandbox.app.client_secret,
        QUICKBOOKS_WEBHOOK_VERIFIER="bench-verifier",
    )
    reload_settings()
    connection = quickbooks_consent(session, sandbox)
    realm = connection.tenant_id
    company = sandbox.company(realm)
    organisation = session.get(Organisation, connection.organisation_id)
    organisation.timezone, organisation.country = "UTC", "US"
    session.commit()
    emails: dict[str, str] = {}

    def customer(name: str, email: str) -> str:
        created = company.create("Customer", {"DisplayName": name, "PrimaryEmailAddr": {"Address": email}})
        emails[created.id] = email
        return str(created.id)

    def invoice(customer_id: str, amount: Decimal, days_late: int) -> str:
        due = sandbox.clock.today() - timedelta(days=days_late)
        created = sandbox.create_invoice(
            realm,
            customer_id,
            amount,
            txn_date=(due - timedelta(days=30)).isoformat(),
            due_date=due.isoformat(),
            BillEmail={"Address": emails[customer_id]},
            AllowOnlineCreditCardPayment=True,
        )
        return str(created.id)

    return Books("QuickBooks", sandbox, realm, organisation.id, connection.id, customer, invoice)


def _empty_database() -> None:
    from runtime.db import Base, db

    db.session.rollback()
    with db.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    db.session.remove()


@dataclass
class Recheck:
    ledger: str
    links: bool
    sent: int
    invoices_named: int
    kinds: Counter[str]
    endpoints: Counter[str]
    seconds: float


def recheck_once(ledger: str, links: bool, messages: int) -> Recheck:
    """``messages`` customers owing, planned, approved and sent; the sandbox's calls during the sends."""
    import dataclasses

    from rq import SimpleWorker
    from sqlalchemy import select

    from reminders.dispatch import outbox
    from reminders.dispatch.models import ActionStatus, ReminderAction
    from reminders.schedules.defaults import DEFAULT_SCHEDULE
    from reminders.schedules.models import schedule_from
    from reminders.schedules.planner import plan_organisation
    from runtime import clock, jobs
    from runtime.db import db
    from runtime.tenancy import Organisation
    from sync.jobs import sync_tenant

    session = db.session()
    books = _xero_books(session) if ledger == "xero" else _quickbooks_books(session)
    try:
        spec = DEFAULT_SCHEDULE
        if not links:
            spec = dataclasses.replace(
                spec, stages=tuple(dataclasses.replace(stage, attach_invoices=False) for stage in spec.stages)
            )
        session.add(schedule_from(spec, books.organisation_id, "en", is_default=True))
        session.commit()
        rng = random.Random(100)
        for n in range(messages):
            customer = books.customer(f"Customer {n:03d} Ltd", f"accounts{n}@customer{n}.example")
            # 2 to 14 days late (the polite inquiry, with the invoices attached), and up to three more
            # invoices, late or not yet due, that the message names too.
            books.invoice(customer, Decimal(rng.randint(5000, 250000)) / 100, rng.randint(2, 14))
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                books.invoice(customer, Decimal(rng.randint(5000, 250000)) / 100, rng.randint(-20, 14))
        sync_tenant(books.connection_id)
        session.expire_all()
        organisation = session.get(Organisation, books.organisation_id)
        planned = plan_organisation(session, books.organisation_id, clock.today(organisation.timezone))
        actions = list(
            session.scalars(
                select(ReminderAction).where(ReminderAction.organisation_id == books.organisation_id)
            )
        )
        emails = [a for a in actions if a.channel == "email"]
        if planned != messages or len(emails) != messages:
            raise SystemExit(
                f"{books.name}: planned {planned} actions, {len(emails)} emails, for {messages} customers"
            )
        books.sandbox.request_log.clear()
        started = time.perf_counter()
        for action in emails:
            if action.status == ActionStatus.AWAITING_APPROVAL.value:
                outbox.approve(session, action, user_id=None)  # type: ignore[arg-type]
        SimpleWorker([jobs.queue(name) for name in jobs.QUEUES], connection=jobs.connection()).work(
            burst=True
        )
        seconds = time.perf_counter() - started
        entries = books.sandbox.request_log.entries()
        session.expire_all()
        done = list(
            session.scalars(
                select(ReminderAction).where(ReminderAction.organisation_id == books.organisation_id)
            )
        )
        sent = [a for a in done if a.status == ActionStatus.SENT.value]
        if len(sent) != messages:
            statuses = Counter((a.status, a.reason[:60]) for a in done)
            raise SystemExit(f"{books.name}: {len(sent)} of {messages} sent: {statuses}")
        endpoints = Counter(f"{e.method} {e.endpoint} {e.status}" for e in entries)
        kinds = Counter(_kind(f"{e.method} {e.endpoint}") for e in entries)
        return Recheck(
            books.name,
            links,
            len(sent),
            sum(len(a.sent_invoice_ledger_ids) for a in sent),
            kinds,
            endpoints,
            seconds,
        )
    finally:
        books.sandbox.stop()
        _empty_database()
        jobs.connection().flushdb()


def bench_recheck(arguments: argparse.Namespace) -> None:
    import redis

    from integration import rate_limit
    from runtime import jobs
    from runtime.settings import reload_settings
    from tests.conftest import Mailbox
    from web import create_app

    # Relance's own limiter lifted (see the module's docstring); the sandboxes' limits are off too.
    unlimited = rate_limit.RateLimits(windows=(rate_limit.Window(10**6, 60),), concurrent=1000)
    published = dict(rate_limit.LIMITS)
    rate_limit.LIMITS.update(xero=unlimited, quickbooks=unlimited)
    logging.getLogger("rq.worker").setLevel(logging.WARNING)  # not a line per job
    mailbox = Mailbox()
    os.environ["SMTP_URL"] = mailbox.start()
    settings = reload_settings()
    app = create_app(settings)
    client = redis.Redis.from_url(settings.redis_url)
    jobs.use_connection(client)
    ledgers = ("xero", "quickbooks") if arguments.ledger == "both" else (arguments.ledger,)
    found: list[Recheck] = []
    try:
        with app.app_context():
            for ledger in ledgers:
                for links in (True, False):
                    before = len(mailbox.messages)
                    result = recheck_once(ledger, links, arguments.messages)
                    if len(mailbox.messages) - before != result.sent:
                        raise SystemExit(
                            f"{ledger}: {len(mailbox.messages) - before} mails for {result.sent} sends"
                        )
                    found.append(result)
    finally:
        mailbox.stop()
    print(
        f"re-check: {arguments.messages} messages sent (the polite inquiry, one customer each) per ledger, "
        "calls the sandbox answered during the sends and the notes' jobs"
    )
    per = 100 / arguments.messages
    print(
        f"  {'ledger':11} {'invoice links':13} {'invoices named':>14} {'re-check reads':>14} "
        f"{'payment links':>13} {'note writes':>11} {'other':>5} {'all':>5}  {'at published limits':>19}  took"
    )
    for r in found:
        calls = sum(r.kinds.values())
        window = published[r.ledger.lower()].windows[0]
        least = calls / window.calls * window.seconds
        print(
            f"  {r.ledger:11} {'yes' if r.links else 'no':13} {r.invoices_named * per:14.0f} "
            f"{r.kinds['re-check read'] * per:14.0f} {r.kinds['payment link'] * per:13.0f} "
            f"{r.kinds['note write'] * per:11.0f} {r.kinds['other'] * per:5.0f} {calls * per:5.0f}  "
            f"{least:17.0f} s  {r.seconds:.1f} s"
        )
    for r in found:
        print(f"  {r.ledger}, links {'yes' if r.links else 'no'}: {dict(sorted(r.endpoints.items()))}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--organisations", type=int, default=20)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--invoices", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2, help="times each run is made; the lowest is kept")
    parser.add_argument("--profile", action="store_true", help="a cProfile of one organisation's plan")
    parser.add_argument(
        "--compare", action="store_true", help="also time the changes to planner.py this bench proposes"
    )
    parser.add_argument(
        "--database-url", default="", help="a PostgreSQL server to make the throwaway database on"
    )
    parser.add_argument("--recheck", action="store_true", help="count the re-check's ledger calls")
    parser.add_argument("--ledger", choices=("xero", "quickbooks", "both"), default="both")
    parser.add_argument("--messages", type=int, default=100)
    arguments = parser.parse_args()
    if arguments.database_url:
        os.environ["DATABASE_URL"] = arguments.database_url
    services = from_environment(Path(tempfile.mkdtemp(prefix="relance-bench-")))
    os.environ.update(services.start())
    os.environ["LOG_LEVEL"] = "WARNING"
    try:
        if arguments.recheck:
            bench_recheck(arguments)
        else:
            bench_planner(arguments)
    finally:
        from runtime.db import db

        db.close()
        services.stop()


if __name__ == "__main__":
    main()
