"""Keeping a grant's tokens alive: refresh before expiry and on a 401, one refresh at a time.

Xero and Intuit rotate the refresh token on every refresh, so two workers refreshing the same
grant at once must not both spend it. A Redis lock per grant serialises refreshes; whoever
waited re-reads the stored tokens and uses the ones the winner saved. New tokens are committed
in their own transaction the moment they arrive: a rotated refresh token that is not saved is a
connection lost. A refusal (invalid_grant) marks the grant's connections ``needs_reconnect``
(reminders.notices tells the organisations' people); nothing else breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.connections import oauth
from integration.connections.models import Connection, ConnectionStatus, LedgerGrant
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
        connections = mark_needs_reconnect(session, grant, reason)
        session.commit()
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
