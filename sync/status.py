"""How each connection's sync is doing: last success, cursor, lag, errors, waiting events."""

from __future__ import annotations

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
    query = select(Connection, Organisation).join(Organisation, Organisation.id == Connection.organisation_id)
    if organisation_ids is not None:
        query = query.where(Connection.organisation_id.in_(organisation_ids))
    statuses = []
    for connection, organisation in session.execute(query.order_by(Organisation.name)):
        cursors = session.scalars(select(SyncCursor).where(SyncCursor.connection_id == connection.id)).all()
        successes = [c.last_success_at for c in cursors]
        pending = session.scalar(
            select(func.count())
            .select_from(InboxEvent)
            .where(
                InboxEvent.provider == connection.provider,
                InboxEvent.tenant_id == connection.tenant_id,
                InboxEvent.status == "pending",
            )
        )
        statuses.append(
            SyncStatus(
                organisation_id=organisation.id,
                organisation=organisation.name,
                provider=connection.provider,
                connection_status=connection.status,
                last_success_at=None if not successes or None in successes else min(successes),
                cursor=max((c.cursor for c in cursors if c.cursor), default=None),
                pending_events=pending or 0,
                errors=tuple(f"{c.entity}: {c.last_error}" for c in cursors if c.last_error),
            )
        )
    return statuses
