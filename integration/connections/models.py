"""Connections: which ledger tenant an organisation is linked to, and the grant that reaches it.

A *grant* is what one OAuth consent gave Relance: one token set (access and refresh token) at
Xero or Intuit. A *connection* is one tenant (a Xero organisation, a QuickBooks realm) reached
through a grant. They are separate because a Xero consent may cover several organisations that
share one token set: refreshing it for one tenant rotates it for all of them, so the refresh lock
and the stored tokens belong to the grant.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from integration.connections.vault import SealedText
from runtime import clock
from runtime.db import Base
from runtime.tenancy import Organisation


class ConnectionStatus(StrEnum):
    ACTIVE = "active"
    NEEDS_RECONNECT = "needs_reconnect"  # the grant was refused (revoked, expired): a person must reconnect
    DISCONNECTED = "disconnected"  # disconnected on purpose, from Relance or from the ledger


class LedgerGrant(Base):
    """One consent's token set. Tokens are sealed at rest (see integration.connections.vault)."""

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
