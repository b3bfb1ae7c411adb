"""How each connection's sync is doing: last completed sync, first-sync progress, errors, waiting events.

"Last synced" is when the last sync of the connection ran to its end (``SyncState``), not a
cursor: a cursor is the ledger's time of the newest record read, which says nothing of when we
last asked. Until the first sync has read every kind of record once, the mirror is partial, and
whatever is computed from it is a figure "so far": ``FirstSync`` says what has been read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integration.connections import Connection
from runtime import clock
from runtime.tenancy import Organisation
from sync.engine import ENTITIES
from sync.models import CreditNote, Customer, InboxEvent, Invoice, Payment, SyncCursor, SyncState

# The mirror table of each kind of record, to count what a first sync has read so far.
MIRRORED: dict[str, type[Customer | Invoice | CreditNote | Payment]] = {
    "contacts": Customer,
    "invoices": Invoice,
    "credit_notes": CreditNote,
    "payments": Payment,
}


@dataclass(frozen=True)
class FirstSync:
    """A first sync under way: the kinds read in full, the one being read, and the counts so far."""

    started_at: datetime | None
    reading: str  # "" between kinds, or before the first page
    done: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SyncStatus:
    organisation_id: int
    organisation: str
    provider: str
    connection_status: str
    last_synced_at: datetime | None  # the end of the last sync that ran to its end
    cursor: datetime | None
    pending_events: int
    errors: tuple[str, ...]
    first_sync: FirstSync | None = None  # set while the mirror is still being filled

    @property
    def lag(self) -> timedelta | None:
        return None if self.last_synced_at is None else clock.now() - self.last_synced_at


def sync_statuses(session: Session, organisation_ids: list[int] | None = None) -> list[SyncStatus]:
    """The sync status of each connection (of these organisations), in four queries (and a count
    per kind for a connection whose first sync is running)."""
    query = select(Connection, Organisation).join(Organisation, Organisation.id == Connection.organisation_id)
    if organisation_ids is not None:
        query = query.where(Connection.organisation_id.in_(organisation_ids))
    rows = session.execute(query.order_by(Organisation.name)).all()
    connection_ids = [connection.id for connection, _ in rows]
    cursors: dict[int, list[SyncCursor]] = defaultdict(list)
    for cursor in session.scalars(select(SyncCursor).where(SyncCursor.connection_id.in_(connection_ids))):
        cursors[cursor.connection_id].append(cursor)
    states = {
        state.connection_id: state
        for state in session.scalars(select(SyncState).where(SyncState.connection_id.in_(connection_ids)))
    }
    waiting = dict(
        session.execute(
            select(InboxEvent.provider + ":" + InboxEvent.tenant_id, func.count())
            .where(InboxEvent.status == "pending")
            .group_by(InboxEvent.provider, InboxEvent.tenant_id)
        ).all()
    )
    statuses = []
    for connection, organisation in rows:
        mine = cursors[connection.id]
        state = states.get(connection.id)
        statuses.append(
            SyncStatus(
                organisation_id=organisation.id,
                organisation=organisation.name,
                provider=connection.provider,
                connection_status=connection.status,
                last_synced_at=state.last_completed_at if state else None,
                cursor=max((c.cursor for c in mine if c.cursor), default=None),
                pending_events=waiting.get(f"{connection.provider}:{connection.tenant_id}", 0),
                errors=tuple(f"{c.entity}: {c.last_error}" for c in mine if c.last_error),
                first_sync=_first_sync(session, organisation.id, state, mine),
            )
        )
    return statuses


def still_filling(session: Session, organisation_ids: list[int]) -> set[int]:
    """Which of these organisations' mirrors a first sync is still filling, in two queries."""
    if not organisation_ids:
        return set()
    connections = dict(
        session.execute(
            select(Connection.id, Connection.organisation_id).where(
                Connection.organisation_id.in_(organisation_ids)
            )
        ).all()
    )
    finished = set(
        session.scalars(
            select(SyncState.connection_id).where(
                SyncState.connection_id.in_(list(connections)), SyncState.first_completed_at.is_not(None)
            )
        )
    ) | set(
        session.scalars(
            select(SyncCursor.connection_id)
            .where(SyncCursor.connection_id.in_(list(connections)), SyncCursor.initial_done)
            .group_by(SyncCursor.connection_id)
            .having(func.count() >= len(ENTITIES))
        )
    )
    return {
        organisation_id
        for connection_id, organisation_id in connections.items()
        if connection_id not in finished
    }


def first_sync_of(session: Session, organisation_id: int) -> FirstSync | None:
    """The organisation's first sync if it is still under way (None once the mirror is whole, or
    for an organisation with no connection)."""
    found = sync_statuses(session, [organisation_id])
    return found[0].first_sync if found else None


def _first_sync(
    session: Session, organisation_id: int, state: SyncState | None, cursors: list[SyncCursor]
) -> FirstSync | None:
    done = tuple(entity for entity in ENTITIES if any(c.entity == entity and c.initial_done for c in cursors))
    if (state is not None and state.first_completed_at is not None) or len(done) == len(ENTITIES):
        return None
    counts = {
        entity: session.scalar(
            select(func.count()).select_from(table).where(table.organisation_id == organisation_id)
        )
        or 0
        for entity, table in MIRRORED.items()
    }
    return FirstSync(
        started_at=state.running_since if state else None,
        reading=state.running_entity if state else "",
        done=done,
        counts=counts,
    )
