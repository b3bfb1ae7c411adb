"""the mirror of each ledger, the webhook inbox and sync cursors

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import runtime.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = runtime.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "inbox_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("event_at", Timestamp(), nullable=True),
        sa.Column("received_at", Timestamp(), nullable=False),
        sa.Column("payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("processed_at", Timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_events")),
        sa.UniqueConstraint("provider", "dedupe_key", name=op.f("uq_inbox_events_provider_dedupe_key")),
    )
    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_ledger_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_ledger_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_allocations_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
        sa.UniqueConstraint(
            "organisation_id",
            "source_kind",
            "source_ledger_id",
            "invoice_ledger_id",
            name=op.f("uq_allocations_organisation_id_source_kind_source_ledger_id_invoice_ledger_id"),
        ),
    )
    op.create_table(
        "credit_notes",
        sa.Column("customer_ledger_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("currency_rate", sa.Numeric(precision=19, scale=10), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("total", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("remaining_credit", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("ledger_id", sa.String(length=64), nullable=False),
        sa.Column("ledger_updated_at", Timestamp(), nullable=False),
        sa.Column("synced_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_credit_notes_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint(
            "organisation_id", "ledger_id", name=op.f("uq_credit_notes_organisation_id_ledger_id")
        ),
    )
    op.create_table(
        "customers",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("ledger_id", sa.String(length=64), nullable=False),
        sa.Column("ledger_updated_at", Timestamp(), nullable=False),
        sa.Column("synced_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_customers_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint(
            "organisation_id", "ledger_id", name=op.f("uq_customers_organisation_id_ledger_id")
        ),
    )
    op.create_table(
        "invoices",
        sa.Column("customer_ledger_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("currency_rate", sa.Numeric(precision=19, scale=10), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("total", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("amount_due", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("amount_paid", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("amount_credited", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("fully_paid_on", sa.Date(), nullable=True),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("ledger_id", sa.String(length=64), nullable=False),
        sa.Column("ledger_updated_at", Timestamp(), nullable=False),
        sa.Column("synced_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_invoices_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint(
            "organisation_id", "ledger_id", name=op.f("uq_invoices_organisation_id_ledger_id")
        ),
    )
    op.create_table(
        "payments",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("customer_ledger_id", sa.String(length=64), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("unapplied", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("currency_rate", sa.Numeric(precision=19, scale=10), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("ledger_id", sa.String(length=64), nullable=False),
        sa.Column("ledger_updated_at", Timestamp(), nullable=False),
        sa.Column("synced_at", Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_payments_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "organisation_id", "kind", "ledger_id", name=op.f("uq_payments_organisation_id_kind_ledger_id")
        ),
    )
    op.create_table(
        "sync_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("cursor", Timestamp(), nullable=True),
        sa.Column("initial_done", sa.Boolean(), nullable=False),
        sa.Column("last_success_at", Timestamp(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("last_error_at", Timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_sync_cursors_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_cursors")),
        sa.UniqueConstraint("connection_id", "entity", name=op.f("uq_sync_cursors_connection_id_entity")),
    )
    op.create_index(
        "ix_inbox_events_pending", "inbox_events", ["provider", "tenant_id", "status"], unique=False
    )
    op.create_index(
        "ix_allocations_invoice", "allocations", ["organisation_id", "invoice_ledger_id"], unique=False
    )
    op.create_index(
        op.f("ix_credit_notes_customer_ledger_id"), "credit_notes", ["customer_ledger_id"], unique=False
    )
    op.create_index(
        "ix_invoices_customer", "invoices", ["customer_ledger_id", "organisation_id"], unique=False
    )
    op.create_index(
        "ix_invoices_open_by_due_date", "invoices", ["organisation_id", "status", "due_on"], unique=False
    )
    op.create_index(op.f("ix_payments_customer_ledger_id"), "payments", ["customer_ledger_id"], unique=False)


def downgrade() -> None:
    for table in (
        "sync_cursors",
        "payments",
        "invoices",
        "customers",
        "credit_notes",
        "allocations",
        "inbox_events",
    ):
        op.drop_table(table)
