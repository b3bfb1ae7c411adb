"""The sync engine: page through what changed in the ledger since each cursor, into the mirror.

Each kind of record has its own cursor (the ledger's updated time of the newest record
mirrored). Pages are upserted and the cursor saved one page at a time, so memory does not grow
with the ledger and a sync that dies resumes where it stopped. The first sync of a connection is
the same walk from no cursor: everything, oldest change first.

A page that brings a record newer than the cursor stood at the start of the run marks its kind
as changed (``SyncCursor.last_change_at``), so work that depends on the mirror (reassessing
customers) runs after syncs that changed something and not after those that only re-read it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.connections import Connection
from integration.ledger import Ledger, LedgerError
from runtime import clock
from runtime.logs import get_logger, redact_text
from sync.mirror import upsert_credit_notes, upsert_customers, upsert_invoices, upsert_payments
from sync.models import SyncCursor, SyncState

log = get_logger(__name__)

# Entity -> (the ledger's "changed since" method, the mirror's upsert). Contacts first, so an
# invoice's customer is usually there before the invoice.
ENTITIES: dict[str, tuple[str, Callable[[Session, int, Sequence[Any]], None]]] = {
    "contacts": ("changed_contacts", upsert_customers),
    "invoices": ("changed_invoices", upsert_invoices),
    "credit_notes": ("changed_credit_notes", upsert_credit_notes),
    "payments": ("changed_payments", upsert_payments),
}
# Ask from a little before the cursor: records stamped with the cursor's very second may not all
# have been read, and reading one twice costs nothing (upserts are idempotent).
OVERLAP = timedelta(seconds=1)


@dataclass
class SyncReport:
    connection_id: int
    records: dict[str, int] = field(default_factory=dict)
    calls: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.records.values())


def cursor_for(session: Session, connection_id: int, entity: str) -> SyncCursor:
    cursor = session.scalar(
        select(SyncCursor).where(SyncCursor.connection_id == connection_id, SyncCursor.entity == entity)
    )
    if cursor is None:
        cursor = SyncCursor(connection_id=connection_id, entity=entity)
        session.add(cursor)
        session.flush()
    return cursor


def state_for(session: Session, connection_id: int) -> SyncState:
    """The connection's sync state row, made on first use."""
    state = session.scalar(select(SyncState).where(SyncState.connection_id == connection_id))
    if state is None:
        state = SyncState(connection_id=connection_id)
        session.add(state)
        session.flush()
    return state


def first_sync_done(session: Session, connection_id: int) -> bool:
    """Whether every kind of record has been read once from the start (the mirror is whole)."""
    done = session.scalars(
        select(SyncCursor.entity).where(SyncCursor.connection_id == connection_id, SyncCursor.initial_done)
    ).all()
    return set(ENTITIES) <= set(done)


def sync_connection(
    session: Session,
    connection: Connection,
    ledger: Ledger,
    entities: Iterable[str] = ENTITIES,
    full: bool = False,
    after_page: Callable[[], object] = lambda: None,
) -> SyncReport:
    """Mirror what changed in ``entities`` since their cursors (everything, with ``full``)."""
    started = time.monotonic()
    calls_before = getattr(ledger, "calls", 0)
    report = SyncReport(connection.id)
    state = state_for(session, connection.id)
    state.running_since = clock.now()
    session.commit()
    for entity in entities:
        method, upsert = ENTITIES[entity]
        state.running_entity = entity
        cursor = cursor_for(session, connection.id, entity)
        session.commit()  # pages say what is being read now
        since = None if full or cursor.cursor is None else cursor.cursor - OVERLAP
        mirrored_up_to = cursor.cursor
        count = 0
        try:
            for page in _pages(getattr(ledger, method)(since)):
                upsert(session, connection.organisation_id, page)
                newest = max(record.updated_at for record in page)
                if mirrored_up_to is None or newest > mirrored_up_to:
                    # A record stamped after the newest version the mirror held: a change, which
                    # reassessment jobs watch for. Records re-read for the overlap are not one.
                    cursor.last_change_at = clock.now()
                if cursor.cursor is None or newest > cursor.cursor:
                    cursor.cursor = newest
                session.commit()
                after_page()
                count += len(page)
        except LedgerError as error:
            session.rollback()
            cursor = cursor_for(session, connection.id, entity)
            cursor.last_error = redact_text(str(error))[:2000]
            cursor.last_error_at = clock.now()
            state = state_for(session, connection.id)
            state.running_since, state.running_entity = None, ""
            session.commit()
            raise
        cursor.initial_done = True
        cursor.last_success_at = clock.now()
        cursor.last_error = ""
        session.commit()
        report.records[entity] = count
    # A sync that ran to its end: what "last synced" means to a person.
    state.running_since, state.running_entity = None, ""
    state.last_completed_at = clock.now()
    if state.first_completed_at is None and first_sync_done(session, connection.id):
        state.first_completed_at = state.last_completed_at
    session.commit()
    report.calls = getattr(ledger, "calls", 0) - calls_before
    report.seconds = round(time.monotonic() - started, 3)
    log.info(
        "sync.done",
        connection=connection.id,
        provider=connection.provider,
        full=full,
        records=report.records,
        calls=report.calls,
        seconds=report.seconds,
    )
    return report


def _pages(pages: Iterator[list[Any]]) -> Iterator[list[Any]]:
    for page in pages:
        if page:
            yield page
