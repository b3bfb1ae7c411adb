"""What the collections brain keeps: each organisation's settings, and its daily aging snapshots."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runtime import clock
from runtime.db import Base
from runtime.tenancy import Document


class CollectionSettings(Base):
    """How an organisation wants its receivables aged (more settings come with schedules)."""

    __tablename__ = "collection_settings"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    # Upper edges of the aging buckets, in days past due.
    aging_edges: Mapped[list[int]] = mapped_column(Document, default=lambda: [30, 60, 90, 120])
    aging_basis: Mapped[str] = mapped_column(String(16), default="due_date")


class AgingSnapshot(Base):
    """An organisation's aging on one day, kept so that trends can be drawn."""

    __tablename__ = "aging_snapshots"
    __table_args__ = (UniqueConstraint("organisation_id", "taken_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    taken_on: Mapped[date] = mapped_column(Date)
    basis: Mapped[str] = mapped_column(String(16))
    labels: Mapped[list[str]] = mapped_column(Document)
    # Base-currency amounts per bucket, as strings of exact decimals (JSON has no decimal type).
    amounts: Mapped[list[str]] = mapped_column(Document)
    total: Mapped[Decimal]
    customers: Mapped[int]
    taken_at: Mapped[datetime] = mapped_column(default=clock.now)

    @property
    def by_bucket(self) -> dict[str, Decimal]:
        return {label: Decimal(amount) for label, amount in zip(self.labels, self.amounts, strict=True)}

    def describe(self) -> dict[str, Any]:
        return {"taken_on": self.taken_on.isoformat(), "total": str(self.total), "buckets": self.amounts}
