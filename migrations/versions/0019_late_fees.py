"""Late fees: the organisation's fee terms (off by default, with the reference rates it was given)
and each late fee as a dated record, unique on (organisation, invoice, kind, period) so a fee is
never raised twice (issue #16, item 4).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 04:46:56.211329
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import runtime.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fee_terms",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("preset", sa.String(length=24), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("percent_a_month", sa.Numeric(precision=9, scale=4), nullable=False),
        sa.Column("fixed_fee", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("reference_rate", sa.Numeric(precision=9, scale=4), nullable=False),
        sa.Column("reference_rate_on", sa.Date(), nullable=True),
        sa.Column(
            "reference_rates",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("review", sa.Boolean(), nullable=False),
        sa.Column("payment_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", runtime.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_fee_terms_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["users.id"],
            name=op.f("fk_fee_terms_updated_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_fee_terms")),
    )
    op.create_table(
        "late_fees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("invoice_ledger_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_number", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("balance", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("rate", sa.Numeric(precision=9, scale=4), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("fee_invoice_ledger_id", sa.String(length=64), nullable=True),
        sa.Column("fee_invoice_number", sa.String(length=64), nullable=False),
        sa.Column("named_in_action_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", runtime.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", runtime.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("raising_started_at", runtime.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("raised_at", runtime.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_late_fees_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_late_fees_decided_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["named_in_action_id"],
            ["reminder_actions.id"],
            name=op.f("fk_late_fees_named_in_action_id_reminder_actions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_late_fees_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_late_fees")),
        sa.UniqueConstraint(
            "organisation_id",
            "invoice_ledger_id",
            "kind",
            "period_start",
            name=op.f("uq_late_fees_organisation_id_invoice_ledger_id_kind_period_start"),
        ),
    )
    with op.batch_alter_table("late_fees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_late_fees_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_late_fees_fee_invoice_ledger_id"), ["fee_invoice_ledger_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_late_fees_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("late_fees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_late_fees_status"))
        batch_op.drop_index(batch_op.f("ix_late_fees_fee_invoice_ledger_id"))
        batch_op.drop_index(batch_op.f("ix_late_fees_customer_id"))

    op.drop_table("late_fees")
    op.drop_table("fee_terms")
