"""A connection's life: connected by a consent, reached, needing a person, disconnected.

``record_consent`` keeps what a consent gave (a grant, a connection per tenant, the people as
members). ``disconnect`` stops using a connection at once; the ledger is told in a job
(``tell_ledger_disconnected``). ``confirm_disconnected_in_ledger`` believes a ledger that says a
person disconnected Relance there only once its token is refused or no longer reaches the tenant.
What differs between ledgers is asked of the provider object (``integration.providers``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.connections import oauth
from integration.connections.models import Connection, ConnectionStatus, LedgerGrant
from integration.connections.oauth import TokenSet
from integration.connections.tokens import GrantTokens
from integration.ledger import ReconnectRequired
from integration.providers import Provider, Tenant, provider
from runtime import clock
from runtime.db import db
from runtime.jobs import connection as redis_connection
from runtime.logs import get_logger
from runtime.settings import get_settings
from runtime.tenancy import Membership, Organisation, Role, User, record

log = get_logger(__name__)


def record_consent(
    session: Session,
    ledger_name: Provider,
    tokens: TokenSet,
    tenants: list[Tenant],
    user: User | None = None,
) -> list[Connection]:
    """Keep what a consent gave: one grant, and a connection per tenant (updated, never duplicated).

    A new tenant becomes a new organisation; the person who consented becomes its owner.
    """
    grant = LedgerGrant(
        provider=ledger_name.value,
        subject=tokens.subject,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        access_expires_at=tokens.access_expires_at,
        refresh_expires_at=tokens.refresh_expires_at,
        scopes=" ".join(tokens.scopes),
    )
    session.add(grant)
    connections = []
    for tenant in tenants:
        connection = session.scalar(
            select(Connection).where(
                Connection.provider == ledger_name.value, Connection.tenant_id == tenant.tenant_id
            )
        )
        action = "connection.reconnected"
        if connection is None:
            action = "connection.connected"
            organisation = Organisation(name=tenant.name or tenant.tenant_id)
            connection = Connection(
                organisation=organisation, provider=ledger_name.value, tenant_id=tenant.tenant_id
            )
            session.add(connection)
        connection.grant = grant
        if not (tenant.name_is_provisional and connection.tenant_name):
            connection.tenant_name = tenant.name or connection.tenant_name
        connection.provider_connection_id = tenant.provider_connection_id or connection.provider_connection_id
        connection.status = ConnectionStatus.ACTIVE.value
        connection.status_reason = ""
        connection.disconnected_at = None
        session.flush()
        if user is not None:
            ensure_membership(session, user, connection.organisation)
        record(
            session,
            connection.organisation_id,
            action,
            subject=f"connection:{connection.id}",
            actor_user_id=user.id if user else None,
            provider=ledger_name.value,
            tenant=tenant.name,
        )
        connections.append(connection)
    return connections


def ensure_membership(session: Session, user: User, organisation: Organisation) -> Membership:
    """The person's membership of the organisation; the first member is its owner."""
    membership = session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.organisation_id == organisation.id)
    )
    if membership is None:
        has_members = session.scalar(
            select(Membership.id).where(Membership.organisation_id == organisation.id)
        )
        membership = Membership(
            user=user, organisation=organisation, role=(Role.MEMBER if has_members else Role.OWNER).value
        )
        session.add(membership)
        session.flush()
    return membership


def disconnect(
    session: Session, connection: Connection, reason: str, actor_user_id: int | None = None
) -> None:
    """Stop using a connection; its synced data stays. The ledger is told by ``tell_ledger_disconnected``."""
    connection.status = ConnectionStatus.DISCONNECTED.value
    connection.status_reason = reason
    connection.disconnected_at = clock.now()
    record(
        session,
        connection.organisation_id,
        "connection.disconnected",
        f"connection:{connection.id}",
        actor_user_id=actor_user_id,
        reason=reason,
    )
    log.info("connection.disconnected", connection=connection.id, reason=reason)


def tell_ledger_disconnected(connection_id: int) -> None:
    """Job: undo the consent at the ledger for a connection disconnected in Relance.

    The provider lets go of the tenant (Xero: DELETE /connections/{id}); the refresh token is
    revoked once no tenant of the grant is still connected (QuickBooks: one realm per grant).
    """
    session = db.session()
    connection = session.get(Connection, connection_id)
    if (
        connection is None
        or connection.status != ConnectionStatus.DISCONNECTED.value
        or connection.grant is None
    ):
        return
    grant = connection.grant
    ledger = provider(connection.provider)
    found = ledger.endpoints(get_settings())
    keeper = GrantTokens(grant.id, found, redis_connection())
    still_used = [c for c in grant.connections if c.id != connection.id and c.active]
    try:
        ledger.undo_consent(found, keeper.access_token(), connection.provider_connection_id)
        if not still_used and grant.refresh_token:
            oauth.revoke(found, grant.refresh_token)
    except ReconnectRequired:
        pass  # the ledger had already let go of this grant: nothing left to undo
    connection.grant = None
    session.commit()
    log.info("connection.ledger_told", connection=connection_id, provider=connection.provider)


def confirm_disconnected_in_ledger(connection_id: int) -> bool:
    """Job: the ledger says a person disconnected us there. Believe it once its token is refused,
    or once the tokens still work but no longer reach the tenant."""
    session = db.session()
    connection = session.get(Connection, connection_id)
    if connection is None or connection.grant is None or not connection.active:
        return False
    ledger = provider(connection.provider)
    found = ledger.endpoints(get_settings())
    keeper = GrantTokens(connection.grant.id, found, redis_connection())
    try:
        if ledger.still_reaches(found, keeper.refresh(), connection.tenant_id):
            return False
    except ReconnectRequired:
        session.expire_all()
        connection = session.get(Connection, connection_id)
        if connection is None:  # deleted while we asked the ledger: nothing left to mark
            return False
    disconnect(session, connection, f"disconnected in {ledger.display_name}")
    session.commit()
    return True
