"""Credit holds: the organisation's hold rules, per-customer credit limits, the holds as dated
records (why, when, lifted when and why) and their outbox of ledger writes (mark / unmark the
contact), so that a hold is decided from the mirror and reaches the ledger once.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 04:23:44.027899
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import runtime.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_hold_rules",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=True),
        sa.Column("over_credit_limit", sa.Boolean(), nullable=False),
        sa.Column("broken_promise", sa.Boolean(), nullable=False),
        sa.Column("risk_class", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_credit_hold_rules_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_credit_hold_rules")),
    )
    op.create_table(
        "credit_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("placed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("placed_at", runtime.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", runtime.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=False),
        sa.Column("release_stands", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_credit_holds_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lifted_by_user_id"],
            ["users.id"],
            name=op.f("fk_credit_holds_lifted_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_credit_holds_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["placed_by_user_id"],
            ["users.id"],
            name=op.f("fk_credit_holds_placed_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_holds")),
    )
    with op.batch_alter_table("credit_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_holds_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_credit_holds_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "credit_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("set_by_user_id", sa.Integer(), nullable=True),
        sa.Column("set_at", runtime.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_credit_limits_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_credit_limits_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_user_id"],
            ["users.id"],
            name=op.f("fk_credit_limits_set_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_limits")),
        sa.UniqueConstraint(
            "organisation_id", "customer_id", name=op.f("uq_credit_limits_organisation_id_customer_id")
        ),
    )
    with op.batch_alter_table("credit_limits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_limits_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "credit_hold_writes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", runtime.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("written_at", runtime.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_credit_hold_writes_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["credit_holds.id"],
            name=op.f("fk_credit_hold_writes_hold_id_credit_holds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_credit_hold_writes_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_hold_writes")),
        sa.UniqueConstraint("hold_id", "kind", name=op.f("uq_credit_hold_writes_hold_id_kind")),
    )
    with op.batch_alter_table("credit_hold_writes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_hold_writes_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_credit_hold_writes_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("credit_hold_writes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_hold_writes_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_credit_hold_writes_customer_id"))

    op.drop_table("credit_hold_writes")
    with op.batch_alter_table("credit_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_limits_customer_id"))

    op.drop_table("credit_limits")
    with op.batch_alter_table("credit_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_holds_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_credit_holds_customer_id"))

    op.drop_table("credit_holds")
    op.drop_table("credit_hold_rules")
