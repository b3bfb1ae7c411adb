"""The fee terms an organisation sets, and each late fee as a dated record.

A ``LateFee`` is unique on (organisation, invoice, kind, period): the day step, run twice or by two
workers at once, inserts the same key and one row exists. Its life:

    proposed ─> approved ─> raising ─> raised
        └─────> skipped         └────> interrupted (a person decides)
                                └────> approved again (the ledger could not be reached)

``raising`` is taken by one compare-and-set, committed before the ledger is asked to create the
invoice, like a reminder's send: a second job finds it taken. A worker killed between the ledger's
answer and committing ``raised`` leaves it in ``raising``; whether the ledger made the invoice is
unknown, so it is never raised again by itself (``settle_interrupted``): a person looks in the
ledger. Once or not at all, never twice.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runtime import clock
from runtime.db import Base
from runtime.tenancy import Document


class FeeStatus(StrEnum):
    PROPOSED = "proposed"  # waits for a person on the review page
    APPROVED = "approved"  # queued to be raised
    RAISING = "raising"
    RAISED = "raised"
    SKIPPED = "skipped"
    FAILED = "failed"  # the ledger refused it: the reason says why
    INTERRUPTED = "interrupted"


class FeeTerms(Base):
    """An organisation's late-fee terms: off until someone turns them on."""

    __tablename__ = "fee_terms"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    preset: Mapped[str] = mapped_column(String(24), default="percentage")  # terms.Preset
    grace_days: Mapped[int] = mapped_column(Integer, default=0)
    percent_a_month: Mapped[Decimal] = mapped_column(Numeric(9, 4), default=Decimal(2))
    fixed_fee: Mapped[Decimal] = mapped_column(Numeric(19, 4), default=Decimal(0))
    # The statutes' reference rate (% a year) and the day it took effect, kept by the organisation.
    reference_rate: Mapped[Decimal] = mapped_column(Numeric(9, 4), default=Decimal(0))
    reference_rate_on: Mapped[date | None] = mapped_column(Date, default=None)
    # Every value it was given, with its date ([["2026-06-18", "4.00"], ...]): older debts keep
    # the rate of their reference day.
    reference_rates: Mapped[list[list[str]]] = mapped_column(Document, default=list)
    # True: each fee waits on the review page; False: raised as soon as it is due.
    review: Mapped[bool] = mapped_column(Boolean, default=True)
    # The fee invoice's payment term, in days from the day it is raised.
    payment_days: Mapped[int] = mapped_column(Integer, default=14)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class LateFee(Base):
    """One fee for one invoice, kind and period, and what became of it."""

    __tablename__ = "late_fees"
    __table_args__ = (UniqueConstraint("organisation_id", "invoice_ledger_id", "kind", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    invoice_ledger_id: Mapped[str] = mapped_column(String(64))
    invoice_number: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(12))  # terms.FeeKind
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal]
    balance: Mapped[Decimal]  # the overdue balance it was counted from
    rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 4), default=None)
    status: Mapped[str] = mapped_column(String(12), default=FeeStatus.PROPOSED.value, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The invoice the ledger made for it.
    fee_invoice_ledger_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    fee_invoice_number: Mapped[str] = mapped_column(String(64), default="")
    # The reminder that named it to the customer (the next one after it was raised).
    named_in_action_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminder_actions.id", ondelete="SET NULL"), default=None
    )
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    raising_started_at: Mapped[datetime | None] = mapped_column(default=None)
    raised_at: Mapped[datetime | None] = mapped_column(default=None)
