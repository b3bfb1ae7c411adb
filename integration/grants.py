"""Keeping a grant's tokens alive: refresh before expiry and on a 401, one refresh at a time.

Xero and Intuit rotate the refresh token on every refresh, so two workers refreshing the same
grant at once must not both spend it. A Redis lock per grant serialises refreshes; whoever
waited re-reads the stored tokens and uses the ones the winner saved. New tokens are committed
in their own transaction the moment they arrive: a rotated refresh token that is not saved is a
connection lost. A refusal (invalid_grant) marks the grant's connections ``needs_reconnect``
and tells the organisations' people; nothing else breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from integration import oauth
from integration.connections import Connection, ConnectionStatus, LedgerGrant
from integration.ledger import ReconnectRequired
from integration.providers import ProviderEndpoints
from runtime import clock
from runtime.db import db
from runtime.logs import get_logger
from runtime.tenancy import record

log = get_logger(__name__)

# Refresh this long before the access token expires, so no call goes out with a dying token.
REFRESH_MARGIN = timedelta(minutes=2)
LOCK_TIMEOUT = 60  # seconds; a refresh is one HTTP call


class GrantTokens:
    """The current access token of one grant, for the ledger clients of its connections."""

    def __init__(
        self,
        grant_id: int,
        endpoints: ProviderEndpoints,
        redis_client: redis.Redis,
        session_factory: Callable[[], Session] | None = None,
    ) -> None:
        self.grant_id = grant_id
        self.endpoints = endpoints
        self.redis = redis_client
        self._new_session = session_factory or (lambda: Session(db.engine, expire_on_commit=False))
        self.refreshes = 0  # how many refreshes this object performed (not waited for)

    def access_token(self) -> str:
        """A token good for at least REFRESH_MARGIN, refreshing first if needed."""
        with self._new_session() as session:
            grant = self._grant(session)
            if grant.access_expires_at - REFRESH_MARGIN > clock.now():
                return grant.access_token
            spent = grant.access_token
        return self.refresh(spent)

    def refresh(self, stale_access_token: str | None = None) -> str:
        """Refresh once, under the grant's lock; returns the access token to use.

        ``stale_access_token`` is the token that was refused (a 401) or found expiring: if the
        stored one differs by the time we hold the lock, another worker has refreshed already.
        """
        lock = self.redis.lock(
            f"relance:grant:{self.grant_id}:refresh", timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_TIMEOUT
        )
        with lock, self._new_session() as session:
            grant = self._grant(session)
            fresh = grant.access_expires_at - REFRESH_MARGIN > clock.now()
            if stale_access_token is not None and grant.access_token != stale_access_token and fresh:
                return grant.access_token
            if grant.refused_at is not None or not grant.refresh_token:
                raise self._refused(session, grant, "the ledger no longer accepts this connection's tokens")
            try:
                tokens = oauth.refresh(self.endpoints, grant.refresh_token)
            except oauth.GrantRefused as refusal:
                raise self._refused(session, grant, str(refusal)) from None
            grant.access_token = tokens.access_token
            grant.access_expires_at = tokens.access_expires_at
            grant.refresh_token = tokens.refresh_token or grant.refresh_token
            grant.refresh_expires_at = tokens.refresh_expires_at
            grant.refreshed_at = clock.now()
            session.commit()
            self.refreshes += 1
            log.info("grant.refreshed", grant=self.grant_id, provider=grant.provider)
            return tokens.access_token

    def _grant(self, session: Session) -> LedgerGrant:
        grant = session.get(LedgerGrant, self.grant_id, populate_existing=True)
        if grant is None:
            raise ReconnectRequired(0, f"grant {self.grant_id} no longer exists")
        return grant

    def _refused(self, session: Session, grant: LedgerGrant, reason: str) -> ReconnectRequired:
        from runtime.jobs import enqueue

        connections = mark_needs_reconnect(session, grant, reason)
        session.commit()
        for connection in connections:
            enqueue(tell_people_to_reconnect, connection.id, queue_name="low")
        return ReconnectRequired(connections[0].id if connections else 0, reason)


def mark_needs_reconnect(session: Session, grant: LedgerGrant, reason: str) -> list[Connection]:
    """The grant is refused: its active connections wait for a person to reconnect."""
    grant.refused_at = grant.refused_at or clock.now()
    connections = list(
        session.scalars(
            select(Connection).where(
                Connection.grant_id == grant.id, Connection.status == ConnectionStatus.ACTIVE.value
            )
        )
    )
    for connection in connections:
        connection.status = ConnectionStatus.NEEDS_RECONNECT.value
        connection.status_reason = reason
        record(
            session,
            connection.organisation_id,
            "connection.needs_reconnect",
            f"connection:{connection.id}",
            reason=reason,
        )
        log.warning("connection.needs_reconnect", connection=connection.id, reason=reason)
    return connections


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

    Xero: DELETE /connections/{id}, and revoke the refresh token once no tenant of the grant is
    still connected. QuickBooks: revoke the refresh token (one realm per grant).
    """
    from integration.consent import xero_disconnect
    from integration.providers import endpoints
    from runtime.jobs import connection as redis_connection
    from runtime.settings import get_settings

    session = db.session()
    connection = session.get(Connection, connection_id)
    if (
        connection is None
        or connection.status != ConnectionStatus.DISCONNECTED.value
        or connection.grant is None
    ):
        return
    grant = connection.grant
    provider_endpoints = endpoints(get_settings(), connection.provider)
    keeper = GrantTokens(grant.id, provider_endpoints, redis_connection())
    still_used = [c for c in grant.connections if c.id != connection.id and c.active]
    try:
        if connection.provider == "xero" and connection.provider_connection_id:
            xero_disconnect(provider_endpoints, keeper.access_token(), connection.provider_connection_id)
        if not still_used and grant.refresh_token:
            oauth.revoke(provider_endpoints, grant.refresh_token)
    except ReconnectRequired:
        pass  # the ledger had already let go of this grant: nothing left to undo
    connection.grant = None
    session.commit()
    log.info("connection.ledger_told", connection=connection_id, provider=connection.provider)


def confirm_disconnected_in_ledger(connection_id: int) -> bool:
    """Job: the ledger says a person disconnected us there. Believe it once its token is refused."""
    from integration.consent import xero_tenants
    from integration.providers import endpoints
    from runtime.jobs import connection as redis_connection
    from runtime.settings import get_settings

    session = db.session()
    connection = session.get(Connection, connection_id)
    if connection is None or connection.grant is None or not connection.active:
        return False
    provider_endpoints = endpoints(get_settings(), connection.provider)
    keeper = GrantTokens(connection.grant.id, provider_endpoints, redis_connection())
    ledger_name = provider_endpoints.display_name
    try:
        token = keeper.refresh()
        if connection.provider == "xero":
            reachable = {tenant.tenant_id for tenant in xero_tenants(provider_endpoints, token)}
            if connection.tenant_id in reachable:
                return False
        else:
            return False
    except ReconnectRequired:
        session.expire_all()
        connection = session.get(Connection, connection_id)
    disconnect(session, connection, f"disconnected in {ledger_name}")
    session.commit()
    return True


def tell_people_to_reconnect(connection_id: int) -> int:
    """Job: email the organisation's people that its ledger needs reconnecting; returns how many."""
    from runtime import mail
    from runtime.settings import get_settings

    session = db.session()
    connection = session.get(Connection, connection_id)
    if connection is None or connection.status != ConnectionStatus.NEEDS_RECONNECT.value:
        return 0
    recipients = sorted({m.user.email for m in connection.organisation.memberships if m.user.email})
    if not recipients:
        return 0
    ledger = "Xero" if connection.provider == "xero" else "QuickBooks"
    link = f"{get_settings().external_url}/connect/{connection.provider}"
    text = (
        f"Relance can no longer reach {connection.tenant_name} in {ledger}: {connection.status_reason}.\n\n"
        f"Until it is reconnected, Relance sends no reminders for it and its figures stop updating.\n"
        f"Reconnect here: {link}\n"
    )
    mail.send(mail.compose(recipients, f"Reconnect {ledger} for {connection.tenant_name}", text))
    return len(recipients)
