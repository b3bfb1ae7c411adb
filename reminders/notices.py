"""Notices to an organisation's own people (never to its customers): what needs a person now.

Today: a ledger connection that needs reconnecting. The connection lifecycle
(``integration.connections``) only marks a refused grant's connections ``needs_reconnect`` and
records it in the audit trail; this module's periodic job tells the organisation's people, once
per time a connection is lost. Credit holds will tell the team here too (issue #16).

The job reads the audit trail, so nothing is lost when Redis or the mail server was down at the
moment the grant was refused: the next run finds the connection still untold. It sends first and
records the notice after, so a crash in between can repeat one notice to staff rather than lose
it (messages to customers take the outbox, which never sends twice).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.connections import Connection, ConnectionStatus
from integration.providers import provider
from runtime import mail
from runtime.db import db
from runtime.logs import get_logger
from runtime.settings import get_settings
from runtime.tenancy import AuditEvent, record

log = get_logger(__name__)

LOST = "connection.needs_reconnect"
TOLD = "connection.reconnect_notice_sent"


def tell_people_of_lost_connections() -> int:
    """Periodic job: email the people of each organisation whose connection newly needs
    reconnecting; returns how many connections' people were told."""
    session = db.session()
    told = 0
    for connection in session.scalars(
        select(Connection).where(Connection.status == ConnectionStatus.NEEDS_RECONNECT.value)
    ):
        if _already_told(session, connection):
            continue
        recipients = tell_people_to_reconnect(connection)
        record(
            session,
            connection.organisation_id,
            TOLD,
            f"connection:{connection.id}",
            recipients=len(recipients),
        )
        session.commit()
        told += 1
    return told


def _already_told(session: Session, connection: Connection) -> bool:
    subject = f"connection:{connection.id}"
    latest = {
        action: moment
        for action, moment in session.execute(
            select(AuditEvent.action, AuditEvent.occurred_at)
            .where(
                AuditEvent.organisation_id == connection.organisation_id,
                AuditEvent.subject == subject,
                AuditEvent.action.in_((LOST, TOLD)),
            )
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    }
    return TOLD in latest and (LOST not in latest or latest[TOLD] >= latest[LOST])


def tell_people_to_reconnect(connection: Connection) -> list[str]:
    """Email the organisation's people that its ledger needs reconnecting; returns who was told."""
    recipients = sorted({m.user.email for m in connection.organisation.memberships if m.user.email})
    if not recipients:
        return []
    ledger = provider(connection.provider).display_name
    link = f"{get_settings().external_url}/connect/{connection.provider}"
    text = (
        f"Relance can no longer reach {connection.tenant_name} in {ledger}: {connection.status_reason}.\n\n"
        f"Until it is reconnected, Relance sends no reminders for it and its figures stop updating.\n"
        f"Reconnect here: {link}\n"
    )
    mail.send(mail.compose(recipients, f"Reconnect {ledger} for {connection.tenant_name}", text))
    log.info("notice.reconnect_sent", connection=connection.id, recipients=len(recipients))
    return recipients
