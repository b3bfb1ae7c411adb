"""The demo's companies: their owner, their connections, and knowing when they are synced.

Kept apart from web/demo.py (which starts the sandboxes) because this decides, on every start,
whether anything needs connecting again: a restart must reconnect nothing that still works.
It never touches a sandbox: each company comes as a :class:`DemoCompany`, the same for both
ledgers, and web/demo.py makes them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.connections import (
    Connection,
    ConnectionStatus,
    Provider,
    Tenant,
    TokenSet,
    ensure_membership,
    record_consent,
)
from runtime.tenancy import User, UserIdentity
from sync.engine import ENTITIES
from sync.models import SyncCursor


@dataclass(frozen=True)
class DemoCompany:
    """One demo company as its sandbox offers it."""

    provider: Provider
    tenant_id: str
    # The sandbox user's OpenID subject: who signs in with this ledger.
    subject: str
    # Whether the sandbox started from its saved state (so the tokens Relance holds still work).
    restored: bool
    # A fresh consent for Relance's app, as the owner would give it, without the browser.
    consent: Callable[[], tuple[TokenSet, Tenant]]


def demo_owner(session: Session, email: str, companies: list[DemoCompany]) -> User:
    """The demo companies' owner: the person every sandbox's login signs in as.

    Signing in with Xero (the printed login) or with Intuit (the QuickBooks sandbox's one user)
    must reach this person, after any number of restarts: each sandbox's subject is linked to
    them, including one an earlier sign-in had given to a person of its own (a nameless person
    with no organisation, made before the subjects were linked).
    """
    owner = session.scalar(select(User).where(User.email == email))
    if owner is None:
        owner = User(email=email, name="Demo Owner")
        session.add(owner)
        session.flush()
    for company in companies:
        identity = session.scalar(
            select(UserIdentity).where(
                UserIdentity.provider == company.provider.value, UserIdentity.subject == company.subject
            )
        )
        if identity is None:
            session.add(UserIdentity(user=owner, provider=company.provider.value, subject=company.subject))
        elif identity.user_id != owner.id:
            identity.user = owner
    session.flush()
    return owner


def connect_demo_companies(session: Session, email: str, companies: list[DemoCompany]) -> list[Connection]:
    """Each demo company's connection, made only when it is missing or cannot work.

    A connection that is active and whose sandbox kept its state still holds working tokens:
    connecting it again would make a new grant and a "reconnected" event on every start. One
    that needs reconnecting, or whose sandbox started afresh (its tokens are unknown there), is
    connected again. One a person disconnected stays disconnected.
    """
    owner = demo_owner(session, email, companies)
    connections = []
    for company in companies:
        existing = session.scalar(
            select(Connection).where(
                Connection.provider == company.provider.value, Connection.tenant_id == company.tenant_id
            )
        )
        if existing is not None and (
            existing.status == ConnectionStatus.DISCONNECTED.value
            or (existing.status == ConnectionStatus.ACTIVE.value and company.restored)
        ):
            connections.append(existing)
        else:
            tokens, tenant = company.consent()
            connections += record_consent(session, company.provider, tokens, [tenant], owner)
    for connection in connections:
        ensure_membership(session, owner, connection.organisation)
    return connections


def cursor_successes(session: Session, connection_ids: list[int]) -> dict[tuple[int, str], datetime | None]:
    """When each kind of record of these connections last synced successfully."""
    rows = session.execute(
        select(SyncCursor.connection_id, SyncCursor.entity, SyncCursor.last_success_at).where(
            SyncCursor.connection_id.in_(connection_ids)
        )
    ).all()
    return {(connection_id, entity): success for connection_id, entity, success in rows}


def wait_for_syncs(
    session: Session,
    connection_ids: list[int],
    before: dict[tuple[int, str], datetime | None],
    timeout: float,
) -> bool:
    """Until every kind of record of every connection has synced since ``before`` (the cursors'
    successes then); False if that took longer than ``timeout`` or a connection stopped working.

    Changed successes, not times: the worker's clock need not be this process's (RELANCE_TODAY).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.rollback()  # a fresh snapshot of what the worker committed
        now = cursor_successes(session, connection_ids)
        if all(
            now.get((connection_id, entity)) is not None
            and now.get((connection_id, entity)) != before.get((connection_id, entity))
            for connection_id in connection_ids
            for entity in ENTITIES
        ):
            return True
        statuses = session.scalars(select(Connection.status).where(Connection.id.in_(connection_ids))).all()
        if any(status != ConnectionStatus.ACTIVE.value for status in statuses):
            return False
        time.sleep(0.5)
    return False
