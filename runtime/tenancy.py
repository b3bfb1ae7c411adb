"""The organisation: the tenant every other row in Relance belongs to.

An organisation is one business whose receivables Relance chases: one Xero organisation or
one QuickBooks company. Customers, invoices, schedules and notes all hang from it, and are
reached only through it, so one tenant's data never leaks into another's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from runtime import clock
from runtime.db import Base


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # ISO 4217; receivables are reported in this currency.
    base_currency: Mapped[str] = mapped_column(String(3), default="GBP")
    # IANA zone: "today" for aging and reminders is the organisation's today.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"
