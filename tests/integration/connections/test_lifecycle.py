"""Refreshing a grant's tokens: once for many callers, and a refusal that asks for a reconnect."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select

from integration.connections import Connection, ConnectionStatus, GrantTokens, LedgerGrant
from integration.ledger import ReconnectRequired
from integration.providers import endpoints
from runtime import clock, jobs
from runtime.tenancy import AuditEvent
from tests.integration.ledgers import point_at_xero, running_xero, xero_consent


@pytest.fixture
def xero(monkeypatch):  # type: ignore[no-untyped-def]
    with running_xero() as sandbox:
        point_at_xero(monkeypatch, sandbox)
        yield sandbox


def expire_access_token(session, grant_id: int) -> None:  # type: ignore[no-untyped-def]
    grant = session.get(LedgerGrant, grant_id)
    grant.access_expires_at = clock.now() - timedelta(seconds=1)
    session.commit()


def test_eight_concurrent_refreshes_spend_the_refresh_token_once(
    xero, session, settings, redis_client
) -> None:
    connection = xero_consent(session, xero)[0]
    grant_id = connection.grant_id
    expire_access_token(session, grant_id)
    xero.request_log.clear()
    barrier = threading.Barrier(8)
    tokens: list[str] = []
    refreshed = []

    def worker() -> None:
        # Each worker as a separate process would be: its own Redis connection and database session.
        keeper = GrantTokens(grant_id, endpoints(settings, "xero"), redis.Redis.from_url(settings.redis_url))
        barrier.wait()
        tokens.append(keeper.access_token())
        refreshed.append(keeper.refreshes)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(tokens) == 8 and len(set(tokens)) == 1, "every caller ends with the one new token"
    assert sum(refreshed) == 1
    assert xero.request_log.count(endpoint="/identity/connect/token") == 1
    assert xero.tokens.check_access(tokens[0]) is not None  # the sandbox accepts it
    session.expire_all()
    assert session.get(LedgerGrant, grant_id).access_token == tokens[0]


def test_a_401_refreshes_and_a_second_caller_reuses_the_new_token(
    xero, session, settings, redis_client
) -> None:
    connection = xero_consent(session, xero)[0]
    first = GrantTokens(connection.grant_id, endpoints(settings, "xero"), redis_client)
    second = GrantTokens(connection.grant_id, endpoints(settings, "xero"), redis_client)
    refused = first.access_token()
    xero.tokens.expire_access_tokens()

    renewed = first.refresh(refused)
    again = second.refresh(refused)  # it saw the same 401, but the token was renewed meanwhile

    assert renewed != refused and again == renewed
    assert first.refreshes + second.refreshes == 1


def test_a_revoked_grant_marks_its_connections_for_reconnection(
    xero, session, settings, redis_client
) -> None:
    second_tenant = xero.add_organisation("Second Co").organisation.organisation_id
    connections = xero_consent(session, xero, tenants=[xero.tenant_id, second_tenant])
    grant_id = connections[0].grant_id
    refresh_token = session.get(LedgerGrant, grant_id).refresh_token
    xero.tokens.revoke(refresh_token)
    expire_access_token(session, grant_id)

    with pytest.raises(ReconnectRequired):
        GrantTokens(grant_id, endpoints(settings, "xero"), redis_client).access_token()

    session.expire_all()
    statuses = session.scalars(select(Connection.status)).all()
    assert statuses == [ConnectionStatus.NEEDS_RECONNECT.value] * 2
    told = session.scalars(select(AuditEvent).where(AuditEvent.action == "connection.needs_reconnect")).all()
    assert {event.organisation_id for event in told} == {c.organisation_id for c in connections}


def test_a_connection_removed_in_xero_is_marked_disconnected(xero, session, settings, redis_client) -> None:
    from integration.connections import confirm_disconnected_in_ledger

    connection = xero_consent(session, xero)[0]
    jobs.use_connection(redis_client)
    assert confirm_disconnected_in_ledger(connection.id) is False  # still there

    xero.directory.disconnect(
        connection.provider_connection_id
        or xero.directory.connections_of(xero.app.client_id, xero.user.user_id)[0].connection_id
    )

    assert confirm_disconnected_in_ledger(connection.id) is True
    session.expire_all()
    assert session.get(Connection, connection.id).status_reason == "disconnected in Xero"
