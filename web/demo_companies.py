"""The demo's companies: their owner, their connections, and knowing when they are synced.

Kept apart from web/demo.py (the processes) because this is what decides, on every start,
whether anything needs connecting again: a restart must reconnect nothing that still works.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.connections import (
    Connection,
    ConnectionStatus,
    Provider,
    Tenant,
    ensure_membership,
    record_consent,
)
from integration.oauth import TokenSet
from integration.sandbox.quickbooks import QuickBooksSandbox
from integration.sandbox.xero.sandbox import XeroSandbox
from runtime import clock
from runtime.tenancy import User, UserIdentity
from sync.engine import ENTITIES
from sync.models import SyncCursor


@dataclass(frozen=True)
class DemoLedgers:
    """The two running sandboxes, and whether each started from its saved state."""

    xero: XeroSandbox
    quickbooks: QuickBooksSandbox
    xero_restored: bool
    quickbooks_restored: bool


def demo_owner(session: Session, ledgers: DemoLedgers) -> User:
    """The demo companies' owner: the person both sandboxes' logins sign in as.

    Signing in with Xero (the printed login) or with Intuit (the QuickBooks sandbox's one user)
    must reach this person, after any number of restarts: each sandbox's subject is linked to
    them, including one an earlier sign-in had given to a person of its own (a nameless person
    with no organisation, made before the subjects were linked).
    """
    owner = session.scalar(select(User).where(User.email == ledgers.xero.user.email))
    if owner is None:
        owner = User(email=ledgers.xero.user.email, name="Demo Owner")
        session.add(owner)
        session.flush()
    for provider, subject in (
        (Provider.XERO.value, ledgers.xero.user.user_id),
        (Provider.QUICKBOOKS.value, ledgers.quickbooks.user_id),
    ):
        identity = session.scalar(
            select(UserIdentity).where(UserIdentity.provider == provider, UserIdentity.subject == subject)
        )
        if identity is None:
            session.add(UserIdentity(user=owner, provider=provider, subject=subject))
        elif identity.user_id != owner.id:
            identity.user = owner
    session.flush()
    return owner


def connect_demo_companies(session: Session, ledgers: DemoLedgers) -> list[Connection]:
    """Each demo company's connection, made only when it is missing or cannot work.

    A connection that is active and whose sandbox kept its state still holds working tokens:
    connecting it again would make a new grant and a "reconnected" event on every start. One
    that needs reconnecting, or whose sandbox started afresh (its tokens are unknown there), is
    connected again. One a person disconnected stays disconnected.
    """
    owner = demo_owner(session, ledgers)
    xero, quickbooks = ledgers.xero, ledgers.quickbooks
    realm = quickbooks.realm_ids[0]
    wanted = [
        (Provider.XERO, xero.tenant_id, ledgers.xero_restored),
        (Provider.QUICKBOOKS, realm, ledgers.quickbooks_restored),
    ]
    connections = []
    for provider, tenant_id, restored in wanted:
        existing = session.scalar(
            select(Connection).where(Connection.provider == provider.value, Connection.tenant_id == tenant_id)
        )
        keep = existing is not None and (
            existing.status == ConnectionStatus.DISCONNECTED.value
            or (existing.status == ConnectionStatus.ACTIVE.value and restored)
        )
        if existing is not None and keep:
            connections.append(existing)
        elif provider is Provider.XERO:
            connections += _connect_xero(session, xero, owner)
        else:
            connections += _connect_quickbooks(session, quickbooks, realm, owner)
    for connection in connections:
        ensure_membership(session, owner, connection.organisation)
    return connections


def _connect_xero(session: Session, xero: XeroSandbox, owner: User) -> list[Connection]:
    token = xero.connect()
    tokens = TokenSet(
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        access_expires_at=clock.now() + timedelta(seconds=token["expires_in"]),
        scopes=tuple(token["scope"]),
    )
    tenant = Tenant(xero.tenant_id, xero.books.organisation.name)
    return record_consent(session, Provider.XERO, tokens, [tenant], owner)


def _connect_quickbooks(
    session: Session, quickbooks: QuickBooksSandbox, realm: str, owner: User
) -> list[Connection]:
    granted = quickbooks.connect(realm)
    tokens = TokenSet(
        access_token=granted.access_token,
        refresh_token=granted.refresh_token,
        access_expires_at=clock.now() + timedelta(hours=1),
        scopes=("com.intuit.quickbooks.accounting",),
    )
    tenant = Tenant(realm, quickbooks.company(realm).name)
    return record_consent(session, Provider.QUICKBOOKS, tokens, [tenant], owner)


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
