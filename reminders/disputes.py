"""Disputes: an invoice the customer contests leaves chasing until the dispute is closed.

Kept here (this issue, reminder schedules and dispatch): the dispute as a dated record per invoice,
and the one question the planner and the last-moment check ask of it, which invoices are disputed.
Raising and resolving disputes from the customer page and the portal, their messages, the team's
notice, the ledger note and the credit note that settles one come with the promises, disputes,
holds and fees issue, on this record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from runtime import clock
from runtime.db import Base


class Dispute(Base):
    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    invoice_ledger_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    raised_by: Mapped[str] = mapped_column(String(16), default="person")  # person | customer
    raised_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    opened_at: Mapped[datetime] = mapped_column(default=clock.now)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)


def disputed_invoices(session: Session, organisation_id: int) -> set[str]:
    """The ledger ids of the organisation's invoices with an open dispute."""
    return set(
        session.scalars(
            select(Dispute.invoice_ledger_id).where(
                Dispute.organisation_id == organisation_id, Dispute.resolved_at.is_(None)
            )
        )
    )
