"""Tenancy: the organisations Relance works for, the people who use it, and the audit trail.

An organisation is one business whose receivables Relance chases: one Xero organisation or
one QuickBooks company. Customers, invoices, schedules and notes all hang from it and are
reached only through it, so one tenant's data never leaks into another's. A person (an
owner, or an accountant with many client organisations) reaches an organisation through a
membership. Every consequential act, by a person or by Relance, is an audit event.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from runtime import clock
from runtime.db import Base

# JSON documents: JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
Document = JSON().with_variant(JSONB(), "postgresql")


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # ISO 4217; receivables are reported in this currency.
    base_currency: Mapped[str] = mapped_column(String(3), default="GBP")
    # IANA zone: "today" for aging and reminders is the organisation's today.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Who chose the zone: "ledger" (read from it), "owner" (set in settings; the ledger's
    # refresh leaves it alone) or "default" (nothing known yet: the owner is asked).
    timezone_set_by: Mapped[str] = mapped_column(String(16), default="default")
    # ISO 3166-1 alpha-2, as the ledger states it ("" until read).
    country: Mapped[str] = mapped_column(String(2), default="")
    legal_name: Mapped[str] = mapped_column(String(255), default="")
    # When base currency, zone, country and names were last read from the ledger.
    facts_refreshed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class User(Base):
    """A person who signs in: a business owner, a credit controller, an accountant."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(default=None)

    identities: Mapped[list[UserIdentity]] = relationship(back_populates="user")
    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    def organisations(self, session: Session) -> list[Organisation]:
        """The organisations this person may see, by name."""
        return list(
            session.scalars(
                select(Organisation)
                .join(Membership)
                .where(Membership.user_id == self.id)
                .order_by(Organisation.name)
            )
        )


class UserIdentity(Base):
    """How a person signs in: the subject of an OpenID Connect identity at Xero or Intuit."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    user: Mapped[User] = relationship(back_populates="identities")


class Role(StrEnum):
    OWNER = "owner"  # the business itself: receives the weekly report, manages members
    ACCOUNTANT = "accountant"  # an adviser acting for the business
    MEMBER = "member"  # a credit controller or colleague


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default=Role.OWNER.value)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class AuditEvent(Base):
    """One thing that happened to an organisation's data, by whom, kept for good.

    ``action`` is a dotted name (``connection.needs_reconnect``, ``reminder.sent``,
    ``hold.placed``); ``subject`` names what it happened to (``customer:42``).
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_organisation_time", "organisation_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)


def record(
    session: Session,
    organisation_id: int,
    action: str,
    subject: str = "",
    actor_user_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session (the caller's transaction commits it with the change)."""
    event = AuditEvent(
        organisation_id=organisation_id,
        action=action,
        subject=subject,
        actor_user_id=actor_user_id,
        details=details,
    )
    session.add(event)
    return event


class Invitation(Base):
    """An invitation to join an organisation with a role, sent by email to one address.

    The link carries a random token; only its SHA-256 is kept, so the table cannot be read back
    into working links. A row rather than a signed, self-contained link, because an invitation
    must be usable once and cancellable, which needs state here anyway; resending gives a new
    token (the old link stops working) and a new expiry.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)

    organisation: Mapped[Organisation] = relationship()

    @property
    def pending(self) -> bool:
        """Neither accepted nor cancelled (it may have expired: it can be resent)."""
        return self.accepted_at is None and self.cancelled_at is None

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at
