"""How each connection's sync is doing: last success, cursor, lag, errors, waiting events."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integration.connections import Connection
from runtime import clock
from runtime.tenancy import Organisation
from sync.models import InboxEvent, SyncCursor


@dataclass(frozen=True)
class SyncStatus:
    organisation_id: int
    organisation: str
    provider: str
    connection_status: str
    last_success_at: datetime | None  # the oldest of the entities' last successes
    cursor: datetime | None
    pending_events: int
    errors: tuple[str, ...]

    @property
    def lag(self) -> timedelta | None:
        return None if self.last_success_at is None else clock.now() - self.last_success_at


def sync_statuses(session: Session, organisation_ids: list[int] | None = None) -> list[SyncStatus]:
    """The sync status of each connection (of these organisations), in three queries."""
    query = select(Connection, Organisation).join(Organisation, Organisation.id == Connection.organisation_id)
    if organisation_ids is not None:
        query = query.where(Connection.organisation_id.in_(organisation_ids))
    rows = session.execute(query.order_by(Organisation.name)).all()
    cursors: dict[int, list[SyncCursor]] = defaultdict(list)
    for cursor in session.scalars(
        select(SyncCursor).where(SyncCursor.connection_id.in_([connection.id for connection, _ in rows]))
    ):
        cursors[cursor.connection_id].append(cursor)
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
        successes = [c.last_success_at for c in mine]
        statuses.append(
            SyncStatus(
                organisation_id=organisation.id,
                organisation=organisation.name,
                provider=connection.provider,
                connection_status=connection.status,
                last_success_at=None if not successes or None in successes else min(successes),
                cursor=max((c.cursor for c in mine if c.cursor), default=None),
                pending_events=waiting.get(f"{connection.provider}:{connection.tenant_id}", 0),
                errors=tuple(f"{c.entity}: {c.last_error}" for c in mine if c.last_error),
            )
        )
    return statuses
