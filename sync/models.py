"""The mirror of each connected ledger, the webhook inbox, and where each sync stopped.

The ledger is the source of truth; these tables are what aging and reminders read. Rows are
keyed on the ledger's own ids within an organisation, upserted, and never deleted: a voided or
deleted record is marked. ``ledger_updated_at`` is the ledger's own timestamp of the version we
hold, so an older answer never overwrites a newer record. Amounts are in the record's currency;
``currency_rate`` is the ledger's rate to the organisation's base currency.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runtime import clock
from runtime.db import Base
from runtime.tenancy import Document

Rate = Numeric(19, 10)  # currency rates carry more places than money


class MirrorRow:
    """Columns every mirrored record has."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    ledger_id: Mapped[str] = mapped_column(String(64))
    ledger_updated_at: Mapped[datetime]
    synced_at: Mapped[datetime] = mapped_column(default=clock.now)


class Customer(MirrorRow, Base):
    """A contact the business sells to (Xero Contact, QuickBooks Customer)."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("organisation_id", "ledger_id"),)

    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    phone: Mapped[str | None] = mapped_column(String(64), default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where letters go: integration.ledger.ContactRecord.postal_address, line by line ([] if unknown).
    postal_address: Mapped[list[str]] = mapped_column(Document, default=list)


class Invoice(MirrorRow, Base):
    """A sales invoice. ``status`` is integration.ledger.InvoiceStatus."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("organisation_id", "ledger_id"),
        Index("ix_invoices_open_by_due_date", "organisation_id", "status", "due_on"),
        Index("ix_invoices_customer", "customer_ledger_id", "organisation_id"),
        # Covers the aging's pass over an organisation's invoices (reminders/receivables/aging.py):
        # read from the index alone, not a table row fetched per invoice, in the order of the
        # aging's groups (customer, currency), so that the database sums them as it reads them
        # instead of sorting or hashing a million rows.
        Index(
            "ix_invoices_aging",
            "organisation_id",
            "customer_ledger_id",
            "currency",
            "status",
            "issued_on",
            "due_on",
            "total",
            "applied",
            "applied_through",
            "currency_rate",
            "ledger_id",
        ),
        # Covers the customer list's search by invoice number (reminders/customers.py): a LIKE
        # '%…%' reads every number of the organisation, here from the index alone.
        Index("ix_invoices_number_search", "organisation_id", "number", "customer_ledger_id"),
    )

    customer_ledger_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64), default="")
    reference: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    currency_rate: Mapped[Decimal | None] = mapped_column(Rate, default=None)
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date, default=None)
    total: Mapped[Decimal]
    amount_due: Mapped[Decimal]
    amount_paid: Mapped[Decimal]
    amount_credited: Mapped[Decimal]
    fully_paid_on: Mapped[date | None] = mapped_column(Date, default=None)
    sent: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the mirror's live allocations apply to this invoice, and the day of the latest of them.
    # Kept by the database itself (triggers on allocations and invoices, migration 0026), whoever
    # writes the rows, so the aging reads an invoice's balance without joining its allocations:
    # on a day D it owes total - applied + what was applied after D, and only invoices with
    # applied_through after D need the allocations at all (reminders/receivables/aging.py).
    applied: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    applied_through: Mapped[date | None] = mapped_column(Date, default=None)


class CreditNote(MirrorRow, Base):
    __tablename__ = "credit_notes"
    __table_args__ = (UniqueConstraint("organisation_id", "ledger_id"),)

    customer_ledger_id: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    currency_rate: Mapped[Decimal | None] = mapped_column(Rate, default=None)
    issued_on: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal]
    remaining_credit: Mapped[Decimal]


class Payment(MirrorRow, Base):
    """Money received: a payment, an overpayment or a prepayment (``kind``)."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("organisation_id", "kind", "ledger_id"),)

    kind: Mapped[str] = mapped_column(String(16))
    customer_ledger_id: Mapped[str] = mapped_column(String(64), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal]
    unapplied: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    currency_rate: Mapped[Decimal | None] = mapped_column(Rate, default=None)
    status: Mapped[str] = mapped_column(String(16))


class Allocation(Base):
    """Money applied to an invoice, from a payment, credit note, overpayment or prepayment.

    Keyed on ledger ids, so it can arrive before or after the invoice it pays.
    """

    __tablename__ = "allocations"
    __table_args__ = (
        UniqueConstraint("organisation_id", "source_kind", "source_ledger_id", "invoice_ledger_id"),
        # With the day last, the latest allocation of an invoice is one step in the index (the
        # triggers of migration 0026 ask for it at every write of an allocation).
        Index("ix_allocations_invoice", "organisation_id", "invoice_ledger_id", "applied_on"),
        # The aging's "applied after the day": a range of the latest days, not every allocation.
        Index("ix_allocations_applied_on", "organisation_id", "applied_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    source_kind: Mapped[str] = mapped_column(String(16))  # payment | overpayment | prepayment | credit_note
    source_ledger_id: Mapped[str] = mapped_column(String(64))
    invoice_ledger_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal]
    applied_on: Mapped[date] = mapped_column(Date)
    # False once the source is voided or deleted: the money no longer counts.
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InboxEvent(Base):
    """One webhook event as the ledger sent it, stored before the ledger gets its 200.

    ``dedupe_key`` makes a delivery that arrives twice (or is replayed) a no-op.
    """

    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("provider", "dedupe_key"),
        Index("ix_inbox_events_pending", "provider", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    tenant_id: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(32))  # invoice | contact | credit_note | payment | …
    resource_id: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(16))
    event_at: Mapped[datetime | None] = mapped_column(default=None)
    received_at: Mapped[datetime] = mapped_column(default=clock.now)
    payload: Mapped[dict[str, Any]] = mapped_column(Document)
    dedupe_key: Mapped[str] = mapped_column(String(64))
    # pending -> processed; ignored (unknown tenant, entity Relance does not mirror); malformed
    status: Mapped[str] = mapped_column(String(12), default="pending")
    processed_at: Mapped[datetime | None] = mapped_column(default=None)


class SyncCursor(Base):
    """Where the sync of one kind of record stopped for one connection, and how it went."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("connection_id", "entity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(16))  # contacts | invoices | credit_notes | payments
    # The ledger's updated time of the newest record mirrored: the next sync asks from here.
    cursor: Mapped[datetime | None] = mapped_column(default=None)
    initial_done: Mapped[bool] = mapped_column(Boolean, default=False)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    # When a sync last brought a changed record of this kind: what reassessment jobs watch.
    last_change_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)


class SyncState(Base):
    """How the syncs of one connection are going as a whole (the cursors say it per kind).

    ``running_since`` is set while a sync runs; ``last_completed_at`` is when the last sync that
    ran to its end finished: what "last synced" means to a person. Until ``first_completed_at``
    is set, the mirror is still being filled and no total read from it is final.
    """

    __tablename__ = "sync_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), unique=True)
    running_since: Mapped[datetime | None] = mapped_column(default=None)
    # The kind of record being read now, while a sync runs ("" otherwise).
    running_entity: Mapped[str] = mapped_column(String(16), default="")
    first_completed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_completed_at: Mapped[datetime | None] = mapped_column(default=None)
