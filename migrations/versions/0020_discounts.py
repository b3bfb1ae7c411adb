"""discount_terms, discount_settlements: early-payment discounts

discount_terms: an organisation's terms such as 3/10 net 30 (off by default), and whether they apply
to every invoice or only to those due net_days after their date. discount_settlements: an invoice
paid at its discounted amount by the deadline, one per invoice, with the state of the credit note
that closes it in the ledger and the key that makes that write happen once (reminders/discounts.py).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 04:26:37.612788
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import runtime.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "discount_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("net_days", sa.Integer(), nullable=False),
        sa.Column("applies_to", sa.String(length=16), nullable=False),
        sa.Column("updated_at", runtime.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_discount_terms_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["users.id"],
            name=op.f("fk_discount_terms_updated_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discount_terms")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_discount_terms_organisation_id")),
    )
    op.create_table(
        "discount_settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("invoice_ledger_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_number", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("paid", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("credit", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("credit_note_ledger_id", sa.String(length=64), nullable=True),
        sa.Column("credit_note_number", sa.String(length=64), nullable=False),
        sa.Column("created_at", runtime.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("credited_at", runtime.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_discount_settlements_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_discount_settlements_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discount_settlements")),
        sa.UniqueConstraint("key", name=op.f("uq_discount_settlements_key")),
        sa.UniqueConstraint(
            "organisation_id",
            "invoice_ledger_id",
            name=op.f("uq_discount_settlements_organisation_id_invoice_ledger_id"),
        ),
    )
    with op.batch_alter_table("discount_settlements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_discount_settlements_customer_id"), ["customer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("discount_settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discount_settlements_customer_id"))

    op.drop_table("discount_settlements")
    op.drop_table("discount_terms")
