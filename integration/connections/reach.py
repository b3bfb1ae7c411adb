"""The ledger of a connection: its provider's client, with the grant's tokens and its rate limits.

``ledger_for(connection)`` is the one way sync and reminders reach a ledger. Callers never
branch on the provider; neither does this module (the provider object builds its client).
"""

from __future__ import annotations

import redis

from integration.connections.models import Connection
from integration.connections.tokens import GrantTokens
from integration.ledger import Ledger, ReconnectRequired
from integration.providers import provider
from integration.rate_limit import RateLimits, TenantRateLimiter
from runtime.settings import Settings, get_settings


class _TokenSource:
    """Hands a client the grant's token, and on a 401 the token that replaced it."""

    def __init__(self, keeper: GrantTokens) -> None:
        self.keeper = keeper
        self.last: str | None = None

    def current(self) -> str:
        self.last = self.keeper.access_token()
        return self.last

    def renewed(self) -> str:
        self.last = self.keeper.refresh(self.last)
        return self.last


def ledger_for(
    connection: Connection,
    redis_client: redis.Redis,
    settings: Settings | None = None,
    limits: RateLimits | None = None,
) -> Ledger:
    """A ``Ledger`` for an active connection (``limits``: the ledger's published ones by default)."""
    if not connection.active or connection.grant_id is None:
        raise ReconnectRequired(
            connection.id, connection.status_reason or f"connection is {connection.status}"
        )
    settings = settings or get_settings()
    ledger = provider(connection.provider)
    found = ledger.endpoints(settings)
    tokens = _TokenSource(GrantTokens(connection.grant_id, found, redis_client))
    limiter = TenantRateLimiter(redis_client, connection.provider, connection.tenant_id, limits)
    return ledger.ledger(connection.tenant_id, found, tokens.current, tokens.renewed, limiter)
