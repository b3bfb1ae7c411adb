"""The webhook inbox: events stored exactly once, then turned into sync work per tenant.

Webhook intake (webhooks/) calls :func:`store_events` inside the request and answers the ledger
only after the commit. The same event delivered twice, or replayed, hits the unique
``dedupe_key`` and changes nothing.
"""

from __future__ import annotations

import functools
import hashlib

from sqlalchemy import Connection, Insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from integration.events import IncomingEvent
from runtime import clock
from sync.models import InboxEvent

# The ledger entities Relance mirrors, by the inbox's resource type.
MIRRORED = {"invoice", "contact", "credit_note", "payment"}


def store_events(session: Session | Connection, events: list[IncomingEvent]) -> int:
    """Insert the events not stored yet (one statement); returns how many were new. Webhook
    intake passes a connection in autocommit: the one INSERT is its own transaction, one round
    trip to the database where BEGIN, INSERT and COMMIT were three."""
    if not events:
        return 0
    now = clock.now()
    rows = [
        {
            "provider": event.provider,
            "tenant_id": event.tenant_id,
            "resource_type": event.resource_type,
            "resource_id": event.resource_id,
            "operation": event.operation,
            "event_at": event.event_at,
            "received_at": now,
            "payload": event.payload,
            "dedupe_key": event.dedupe_key,
            "status": "pending" if event.resource_type in MIRRORED else "ignored",
        }
        for event in _unique(events)
    ]
    # The rows as parameters, not as VALUES: SQLAlchemy compiles the statement once and sends
    # batches that each driver can take ("insertmanyvalues"); one VALUES of 10,000 rows would pass
    # SQLite's 32,766 bound parameters and take seconds to compile.
    return len(session.execute(_insert_events(_dialect(session)), rows).all())


@functools.cache
def _insert_events(dialect: str) -> Insert:
    """The inbox's INSERT, built once per database: its cache key is then worked out once too."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = InboxEvent.__table__
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=["provider", "dedupe_key"])
        .returning(table.c.id)  # the new rows; rowcount is not reliable here on every driver
    )


def _dialect(session: Session | Connection) -> str:
    return session.dialect.name if isinstance(session, Connection) else session.get_bind().dialect.name


def store_malformed(session: Session | Connection, provider: str, body: bytes, problem: str) -> None:
    """Keep a correctly signed delivery we could not read, so nothing is lost and someone can look."""
    # PostgreSQL's JSONB refuses NUL; invalid UTF-8 (lone surrogates among it) becomes U+FFFD.
    text = body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    key = hashlib.sha256(body).hexdigest()
    insert = postgresql_insert if _dialect(session) == "postgresql" else sqlite_insert
    session.execute(
        insert(InboxEvent)
        .values(
            provider=provider,
            tenant_id="",
            resource_type="unreadable",
            resource_id="",
            operation="",
            received_at=clock.now(),
            payload={"body": text[:100_000], "problem": problem[:500]},
            dedupe_key=key,
            status="malformed",
        )
        .on_conflict_do_nothing(index_elements=["provider", "dedupe_key"])
    )


def _unique(events: list[IncomingEvent]) -> list[IncomingEvent]:
    seen: dict[str, IncomingEvent] = {}
    for event in events:
        seen.setdefault(event.dedupe_key, event)
    return list(seen.values())


def pending_events(session: Session, provider: str, tenant_id: str) -> list[InboxEvent]:
    return list(
        session.scalars(
            select(InboxEvent)
            .where(
                InboxEvent.provider == provider,
                InboxEvent.tenant_id == tenant_id,
                InboxEvent.status == "pending",
            )
            .order_by(InboxEvent.id)
        )
    )
