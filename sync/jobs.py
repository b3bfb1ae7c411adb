"""Sync jobs: plain functions taking ids, enqueued by webhook intake, the scheduler and people.

- ``sync_from_inbox(provider, tenant)``: after webhooks, fetch what the pending events say
  changed, in as few calls as the API allows (modified-since pages of up to 1,000 records,
  never a call per event), then mark those events processed.
- ``sync_tenant(connection_id)``: everything changed since the cursors (the safety net).
- ``sweep()``: the periodic job that queues ``sync_tenant`` for every active connection, one job
  each, so a failing tenant never holds up the others.

A connection that is not active is left alone: its jobs stop, its data stays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from redis.exceptions import LockError
from redis.lock import Lock
from sqlalchemy import CursorResult, func, select, update

from integration.connections import Connection, ConnectionStatus, confirm_disconnected_in_ledger, ledger_for
from integration.ledger import LedgerUnauthorized, ReconnectRequired
from runtime import clock, jobs
from runtime.db import db
from runtime.logs import get_logger
from runtime.settings import get_settings
from sync.engine import ENTITIES, SyncReport, sync_connection
from sync.models import InboxEvent, Invoice
from sync.organisation_facts import facts_are_stale, refresh_organisation_facts

log = get_logger(__name__)

# What to fetch for each kind of event. A Xero payment has no webhook of its own: it shows as
# an invoice UPDATE (xero-details.md §7.1), so an invoice whose paid or credited amount changed
# pulls payments and credit notes too (see _pull_money_if_moved).
ENTITIES_FOR = {
    "invoice": ("invoices",),
    "contact": ("contacts",),
    "credit_note": ("credit_notes", "invoices"),
    "payment": ("payments", "invoices"),
}
CHUNK = 500
RETRY_LOCKED_AFTER = timedelta(seconds=15)


class ConnectionBusy(Exception):
    """Another sync of this connection is running; this one is queued again a little later."""


@contextmanager
def _exclusive(connection_id: int, job: Callable[..., Any], *args: Any) -> Iterator[Lock]:
    """One sync per connection at a time. The lock expires unless renewed after each page, so a
    sync killed mid-way holds up the next one for SYNC_LOCK_SECONDS at most."""
    lock = jobs.connection().lock(f"relance:sync:{connection_id}", timeout=get_settings().sync_lock_seconds)
    if not lock.acquire(blocking=False):
        jobs.queue("sync").enqueue_in(RETRY_LOCKED_AFTER, job, *args, retry=jobs.DEFAULT_RETRY)
        raise ConnectionBusy(connection_id)
    try:
        yield lock
    finally:
        with suppress(LockError):  # it expired meanwhile: nothing left to release
            lock.release()


def sync_tenant(connection_id: int, full: bool = False) -> dict[str, int]:
    """Job: bring one connection's mirror up to date (everything again with ``full``)."""
    session = db.session()
    connection = session.get(Connection, connection_id)
    if connection is None or not connection.active:
        return {}
    try:
        with _exclusive(connection_id, sync_tenant, connection_id, full) as lock:
            seen_up_to = _newest_event(connection)  # before the fetch begins: see _settle_events
            report = _run(
                connection, list(ENTITIES), full, lock, facts=facts_are_stale(connection.organisation)
            )
            _settle_events(connection, seen_up_to, fetched=set(report.records))
    except ConnectionBusy:
        log.info("sync.busy", connection=connection_id)
        return {}
    return report.records


def sync_from_inbox(provider: str, tenant_id: str) -> int:
    """Job: mirror what a tenant's pending webhook events say changed; returns the events settled.

    Events of a tenant Relance does not know, or has disconnected, are kept and marked ignored.
    """
    jobs.connection().delete(f"relance:inbox:queued:{provider}:{tenant_id}")  # later events queue a new run
    session = db.session()
    connection = session.scalar(
        select(Connection).where(Connection.provider == provider, Connection.tenant_id == tenant_id)
    )
    if connection is None or connection.status != ConnectionStatus.ACTIVE.value:
        # An UPDATE's result is a CursorResult (Session.execute is typed for any statement).
        result = cast(
            CursorResult[Any],
            session.execute(
                update(InboxEvent)
                .where(
                    InboxEvent.provider == provider,
                    InboxEvent.tenant_id == tenant_id,
                    InboxEvent.status == "pending",
                )
                .values(status="ignored", processed_at=clock.now())
            ),
        )
        session.commit()
        log.info("inbox.ignored", provider=provider, tenant=tenant_id, events=result.rowcount)
        return result.rowcount
    try:
        with _exclusive(connection.id, sync_from_inbox, provider, tenant_id) as lock:
            return _sync_pending(connection, lock)
    except ConnectionBusy:
        log.info("sync.busy", connection=connection.id)
        return 0


def _sync_pending(connection: Connection, lock: Lock) -> int:
    session = db.session()
    provider, tenant_id = connection.provider, connection.tenant_id
    pending = [
        InboxEvent.provider == provider,
        InboxEvent.tenant_id == tenant_id,
        InboxEvent.status == "pending",
    ]
    last_event = session.scalar(select(func.max(InboxEvent.id)).where(*pending))
    if last_event is None:
        return 0
    kinds = session.scalars(select(InboxEvent.resource_type).where(*pending).distinct()).all()
    wanted = {entity for kind in kinds for entity in ENTITIES_FOR.get(kind, ())}
    invoice_ids = session.scalars(
        select(InboxEvent.resource_id).where(*pending, InboxEvent.resource_type == "invoice").distinct()
    ).all()
    before = _money_on(connection.organisation_id, invoice_ids)
    report = _run(connection, [entity for entity in ENTITIES if entity in wanted], False, lock)
    fetched = set(report.records) | _pull_money_if_moved(connection, invoice_ids, before, wanted, lock)
    return _settle_events(connection, last_event, fetched=fetched)


def _money_on(organisation_id: int, invoice_ids: Sequence[str]) -> dict[str, tuple[Decimal, Decimal]]:
    """What the mirror says was paid and credited on these invoices."""
    session = db.session()
    found: dict[str, tuple[Decimal, Decimal]] = {}
    for start in range(0, len(invoice_ids), CHUNK):
        rows = session.execute(
            select(Invoice.ledger_id, Invoice.amount_paid, Invoice.amount_credited).where(
                Invoice.organisation_id == organisation_id,
                Invoice.ledger_id.in_(invoice_ids[start : start + CHUNK]),
            )
        )
        found.update({ledger_id: (paid, credited) for ledger_id, paid, credited in rows})
    return found


def _pull_money_if_moved(
    connection: Connection,
    invoice_ids: Sequence[str],
    before: dict[str, tuple[Decimal, Decimal]],
    already: set[str],
    lock: Lock,
) -> set[str]:
    """Fetch payments (and credit notes) only if an invoice's paid or credited amount moved:
    most invoice events are new or edited invoices, and these calls would find nothing.
    Returns what it fetched."""
    if not invoice_ids:
        return set()
    zero = (Decimal(0), Decimal(0))
    after = _money_on(connection.organisation_id, invoice_ids)
    moved = [ledger_id for ledger_id, money in after.items() if money != before.get(ledger_id, zero)]
    if not moved:
        return set()
    credited = any(after[i][1] != before.get(i, zero)[1] for i in moved)
    extra = ["payments"] + (["credit_notes"] if credited else [])
    return set(_run(connection, [entity for entity in extra if entity not in already], False, lock).records)


def _run(
    connection: Connection, entities: list[str], full: bool, lock: Lock, facts: bool = False
) -> SyncReport:
    """Sync (reading the organisation's own facts first, with ``facts``), unless the ledger no
    longer lets us in: then the connection's state says why and its people are told (grants.py);
    that is not a failure to retry."""
    timeout = lock.timeout
    assert timeout is not None, "_exclusive takes every sync lock with a timeout"
    session = db.session()
    try:
        ledger = ledger_for(connection, jobs.connection())
        if facts:
            refresh_organisation_facts(session, connection, ledger)
        return sync_connection(
            session,
            connection,
            ledger,
            entities,
            full=full,
            after_page=lambda: lock.extend(timeout, True),
        )
    except ReconnectRequired as refusal:
        log.warning("sync.stopped", connection=connection.id, reason=refusal.reason)
    except LedgerUnauthorized:
        # Xero answers 403 for a tenant disconnected on Xero's side: find out, then stop syncing it.
        jobs.enqueue(confirm_disconnected_in_ledger, connection.id)
        log.warning("sync.refused", connection=connection.id)
    return SyncReport(connection.id)


def _newest_event(connection: Connection) -> int | None:
    """The id of the newest event stored for this tenant so far."""
    return db.session().scalar(
        select(func.max(InboxEvent.id)).where(
            InboxEvent.provider == connection.provider, InboxEvent.tenant_id == connection.tenant_id
        )
    )


def _settle_events(connection: Connection, up_to: int | None, fetched: set[str]) -> int:
    """Mark processed the pending events that a fetch which began after them has answered: those
    up to event ``up_to`` (read before the fetch began) of the kinds whose entities were all
    ``fetched``. An event that came in during the fetch may be about a record the fetch had
    already read past; it stays pending for the sync its arrival queued.

    Ids rather than times, so that no clock of a web process is compared with a worker's (or
    with a clock a test or the demo moved): the database hands ids out as events are stored, so
    an id no greater than the newest one seen before the fetch began was handed out, and its
    event received, before then, even if its transaction committed later."""
    settled = [kind for kind, entities in ENTITIES_FOR.items() if set(entities) <= fetched]
    if up_to is None or not settled:
        return 0
    session = db.session()
    result = cast(
        CursorResult[Any],
        session.execute(
            update(InboxEvent)
            .where(
                InboxEvent.provider == connection.provider,
                InboxEvent.tenant_id == connection.tenant_id,
                InboxEvent.status == "pending",
                InboxEvent.id <= up_to,
                InboxEvent.resource_type.in_(settled),
            )
            .values(status="processed", processed_at=clock.now())
        ),
    )
    session.commit()
    return result.rowcount


def sweep() -> int:
    """Periodic job: a sync for every active connection, each in its own job."""
    ids = (
        db.session()
        .scalars(select(Connection.id).where(Connection.status == ConnectionStatus.ACTIVE.value))
        .all()
    )
    for connection_id in ids:
        # One sweep per connection at a time: a slow one is not queued again behind itself.
        jobs.enqueue_once(sync_tenant, connection_id, queue_name="sync", job_id=f"sweep-{connection_id}")
    return len(ids)
