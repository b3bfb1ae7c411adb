"""Telling an organisation's people that its ledger connection needs them: once per loss."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from integration.connections import GrantTokens, LedgerGrant, ensure_membership
from integration.ledger import ReconnectRequired
from integration.providers import endpoints
from reminders.notices import tell_people_of_lost_connections
from runtime import clock
from runtime.settings import reload_settings
from runtime.tenancy import AuditEvent, User
from tests.integration.ledgers import point_at_xero, running_xero, xero_consent


@pytest.fixture
def xero(monkeypatch):  # type: ignore[no-untyped-def]
    with running_xero() as sandbox:
        point_at_xero(monkeypatch, sandbox)
        yield sandbox


def lose(session, xero, connection, redis_client) -> None:  # type: ignore[no-untyped-def]
    """Revoke the grant at Xero and let a refresh find out, as a sync would."""
    grant = session.get(LedgerGrant, connection.grant_id)
    xero.tokens.revoke(grant.refresh_token)
    grant.access_expires_at = clock.now() - timedelta(seconds=1)
    session.commit()
    with pytest.raises(ReconnectRequired):
        GrantTokens(connection.grant_id, endpoints(reload_settings(), "xero"), redis_client).access_token()
    session.expire_all()


def test_people_are_told_once_each_time_a_connection_is_lost(
    xero, session, settings, redis_client, mailbox
) -> None:
    connection = xero_consent(session, xero)[0]
    owner = User(email="owner@harbour.example", name="Ana Owner")
    session.add(owner)
    ensure_membership(session, owner, connection.organisation)
    session.commit()
    assert tell_people_of_lost_connections() == 0  # connected: nobody to tell

    lose(session, xero, connection, redis_client)
    assert tell_people_of_lost_connections() == 1
    (message,) = mailbox.messages
    assert message["To"] == "owner@harbour.example"
    assert message["Subject"] == f"Reconnect Xero for {connection.tenant_name}"
    assert "/connect/xero" in message.get_content()
    assert tell_people_of_lost_connections() == 0  # the next minute's run tells nobody again
    assert len(mailbox.messages) == 1

    # Reconnected, then lost again later: a new loss, a new notice.
    clock.advance(timedelta(minutes=5))
    (connection,) = xero_consent(session, xero)
    assert tell_people_of_lost_connections() == 0
    clock.advance(timedelta(minutes=5))
    lose(session, xero, connection, redis_client)
    assert tell_people_of_lost_connections() == 1
    assert len(mailbox.messages) == 2
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.subject == f"connection:{connection.id}")
        .order_by(AuditEvent.id)
    ).all()
    assert actions.count("connection.reconnect_notice_sent") == 2
