"""notes written on customers, kept until the ledger has them (once, never twice)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import runtime.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("audit_event_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", runtime.db.UTCDateTime(), nullable=False),
        sa.Column("written_at", runtime.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_ledger_notes_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_ledger_notes_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["audit_event_id"],
            ["audit_events.id"],
            name=op.f("fk_ledger_notes_audit_event_id_audit_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_notes")),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_notes_key")),
    )
    op.create_index(op.f("ix_ledger_notes_customer_id"), "ledger_notes", ["customer_id"])
    op.create_index(op.f("ix_ledger_notes_audit_event_id"), "ledger_notes", ["audit_event_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ledger_notes_audit_event_id"), table_name="ledger_notes")
    op.drop_index(op.f("ix_ledger_notes_customer_id"), table_name="ledger_notes")
    op.drop_table("ledger_notes")
