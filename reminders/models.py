"""What the collections brain keeps: each organisation's settings, its daily aging snapshots,
each customer's standing (risk and payment behaviour, as last assessed) and the weekly reports sent."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runtime import clock
from runtime.db import Base
from runtime.tenancy import Document

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_WEEKLY_REPORT_WEEKDAY = 0  # Monday, for organisations that never chose


class CollectionSettings(Base):
    """How an organisation wants its receivables aged (more settings come with schedules)."""

    __tablename__ = "collection_settings"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    # Upper edges of the aging buckets, in days past due.
    aging_edges: Mapped[list[int]] = mapped_column(Document, default=lambda: [30, 60, 90, 120])
    aging_basis: Mapped[str] = mapped_column(String(16), default="due_date")
    # Overrides of reminders.risk.RiskRules, by field name ({"late_days_high": 45, ...}).
    risk_rules: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    # The weekly collections report goes to the owners on this weekday (0 Monday .. 6 Sunday),
    # in the organisation's time zone; None: no weekly report.
    weekly_report_weekday: Mapped[int | None] = mapped_column(Integer, default=DEFAULT_WEEKLY_REPORT_WEEKDAY)
    # Who the reminders come from, as the customer sees it: the display name of the From header
    # and the address their replies go to (Reply-To). Issue #15's dispatch reads these two when it
    # writes a reminder; None: the organisation's name, and no Reply-To (replies go to the sender).
    sender_name: Mapped[str | None] = mapped_column(String(100), default=None)
    reply_to: Mapped[str | None] = mapped_column(String(254), default=None)
    # Reminders: "review" (a person approves each message before it goes: how a newly connected
    # organisation starts) or "automatic"; the local time the day's reminders go, on business days;
    # and how old the last completed sync may be before automatic sending holds.
    sending_mode: Mapped[str] = mapped_column(String(12), default="review")
    send_time: Mapped[str] = mapped_column(String(5), default="09:00")
    fresh_sync_hours: Mapped[int] = mapped_column(Integer, default=6)


class OrganisationLogo(Base):
    """The logo an organisation put in its settings: shown there, and for its reminders and PDFs.

    Kept in the database (at most MAX_LOGO_BYTES) so that every web process and worker has it
    without shared storage; its content type is what its bytes are (checked at upload), not what
    the browser said."""

    __tablename__ = "organisation_logos"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(32))  # image/png or image/jpeg
    image: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)


MAX_LOGO_BYTES = 200 * 1024


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


class CustomerStanding(Base):
    """A customer's risk class and payment behaviour as last assessed: customer-level state that
    reminder schedules, credit holds and the web app read instead of recomputing."""

    __tablename__ = "customer_standings"
    __table_args__ = (UniqueConstraint("organisation_id", "customer_ledger_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    customer_ledger_id: Mapped[str] = mapped_column(String(64))
    risk: Mapped[int] = mapped_column(Integer)  # reminders.risk.RiskClass
    explanation: Mapped[str] = mapped_column(Text)
    segment: Mapped[str] = mapped_column(String(16))
    open_balance: Mapped[Decimal]  # base currency
    overdue_balance: Mapped[Decimal]  # base currency, past due
    invoices_paid: Mapped[int] = mapped_column(Integer, default=0)  # last 12 months
    paid_late: Mapped[int] = mapped_column(Integer, default=0)
    average_days_to_pay: Mapped[Decimal | None] = mapped_column(default=None)
    average_days_beyond_terms: Mapped[Decimal | None] = mapped_column(default=None)
    recent_days_beyond_terms: Mapped[Decimal | None] = mapped_column(default=None)  # last 3 months
    broken_promises: Mapped[int] = mapped_column(Integer, default=0)  # promises to pay, last 12 months
    assessed_on: Mapped[date] = mapped_column(Date)
    assessed_at: Mapped[datetime] = mapped_column(default=clock.now)


class WeeklyReport(Base):
    """One weekly collections report sent (or being sent): at most one per organisation per week."""

    __tablename__ = "weekly_reports"
    __table_args__ = (UniqueConstraint("organisation_id", "week_ending"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    week_ending: Mapped[date] = mapped_column(Date)
    recipients: Mapped[list[str]] = mapped_column(Document, default=list)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class LedgerNote(Base):
    """A note to be written once to the ledger: a person's note on a customer (on the contact), or
    Relance's record of a reminder sent (on each invoice it covered).

    ``key`` comes with the form the note was written in, so a form sent twice (a double click, a
    resubmitted page) is one note. ``status`` is pending until the ledger has it (written), or
    failed once the write-back job has used its retries; ``attempts`` and ``last_error`` say how it
    went. The note's audit event (``customer.note``) is what the timeline shows.
    """

    __tablename__ = "ledger_notes"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    audit_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("audit_events.id", ondelete="SET NULL"), default=None, index=True
    )
    key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    # Where the note goes: the customer's contact (a person's note) or one of its invoices (what
    # Relance did about it: a reminder sent covering that invoice), by the invoice's ledger id.
    target: Mapped[str] = mapped_column(String(8), default="contact")  # integration.ledger.NoteTarget
    invoice_ledger_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | written | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    written_at: Mapped[datetime | None] = mapped_column(default=None)
