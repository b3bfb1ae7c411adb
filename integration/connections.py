"""Connections: which ledger tenant an organisation is linked to, and the grant that reaches it.

A *grant* is what one OAuth consent gave Relance: one token set (access and refresh token) at
Xero or Intuit. A *connection* is one tenant (a Xero organisation, a QuickBooks realm) reached
through a grant. They are separate because a Xero consent may cover several organisations that
share one token set: refreshing it for one tenant rotates it for all of them, so the refresh lock
and the stored tokens belong to the grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from integration.vault import SealedText
from runtime import clock
from runtime.db import Base
from runtime.tenancy import Membership, Organisation, Role, User, record

if TYPE_CHECKING:
    from integration.oauth import TokenSet


class Provider(StrEnum):
    XERO = "xero"
    QUICKBOOKS = "quickbooks"


class ConnectionStatus(StrEnum):
    ACTIVE = "active"
    NEEDS_RECONNECT = "needs_reconnect"  # the grant was refused (revoked, expired): a person must reconnect
    DISCONNECTED = "disconnected"  # disconnected on purpose, from Relance or from the ledger


class LedgerGrant(Base):
    """One consent's token set. Tokens are sealed at rest (see integration.vault)."""

    __tablename__ = "ledger_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    # The person who consented, as the provider knows them (OpenID subject), when known.
    subject: Mapped[str | None] = mapped_column(String(255), default=None)
    access_token: Mapped[str] = mapped_column(SealedText())
    refresh_token: Mapped[str | None] = mapped_column(SealedText(), default=None)
    access_expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    scopes: Mapped[str] = mapped_column(Text, default="")
    refused_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    refreshed_at: Mapped[datetime | None] = mapped_column(default=None)

    connections: Mapped[list[Connection]] = relationship(back_populates="grant")


class Connection(Base):
    """An organisation's link to its ledger tenant. Reconnecting the same tenant updates this row."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("provider", "tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    grant_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_grants.id", ondelete="SET NULL"), index=True
    )
    provider: Mapped[str] = mapped_column(String(16))
    # Xero's tenantId or QuickBooks' realmId.
    tenant_id: Mapped[str] = mapped_column(String(64))
    tenant_name: Mapped[str] = mapped_column(String(255), default="")
    # Xero's id for this tenant's connection (DELETE /connections/{id}); QuickBooks has none.
    provider_connection_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(20), default=ConnectionStatus.ACTIVE.value)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    connected_at: Mapped[datetime] = mapped_column(default=clock.now)
    disconnected_at: Mapped[datetime | None] = mapped_column(default=None)

    organisation: Mapped[Organisation] = relationship()
    grant: Mapped[LedgerGrant | None] = relationship(back_populates="connections")

    @property
    def active(self) -> bool:
        return self.status == ConnectionStatus.ACTIVE


@dataclass(frozen=True)
class Tenant:
    """A ledger tenant a consent reached: a Xero organisation or a QuickBooks realm."""

    tenant_id: str
    name: str
    provider_connection_id: str | None = None


def record_consent(
    session: Session,
    provider: Provider,
    tokens: TokenSet,
    tenants: list[Tenant],
    user: User | None = None,
) -> list[Connection]:
    """Keep what a consent gave: one grant, and a connection per tenant (updated, never duplicated).

    A new tenant becomes a new organisation; the person who consented becomes its owner.
    """
    grant = LedgerGrant(
        provider=provider.value,
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
                Connection.provider == provider.value, Connection.tenant_id == tenant.tenant_id
            )
        )
        action = "connection.reconnected"
        if connection is None:
            action = "connection.connected"
            organisation = Organisation(name=tenant.name or tenant.tenant_id)
            connection = Connection(
                organisation=organisation, provider=provider.value, tenant_id=tenant.tenant_id
            )
            session.add(connection)
        connection.grant = grant
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
            provider=provider.value,
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
