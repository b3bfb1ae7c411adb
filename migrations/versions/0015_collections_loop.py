"""account_changes, team_notices, customer_chasing.account_manager_user_id: the collections loop's seams

account_changes: the customers each mirror write touched, for the reminders to react to (a promise
kept, a hold lifted) after the sync (sync/changes.py). team_notices: notices to an organisation's
people about a customer, each sent once (reminders/team_notices.py). A customer's account manager,
the person told of its holds, disputes and broken promises.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import runtime.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "account_changes",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("customer_ledger_id", sa.String(length=64), nullable=False),
        sa.Column("changed_at", runtime.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_account_changes_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", "customer_ledger_id", name=op.f("pk_account_changes")),
    )
    op.create_table(
        "team_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recipients", Document, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", runtime.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("taken_at", runtime.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", runtime.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_team_notices_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_team_notices_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_notices")),
        sa.UniqueConstraint("key", name=op.f("uq_team_notices_key")),
    )
    with op.batch_alter_table("team_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_team_notices_organisation_id"), ["organisation_id"], unique=False
        )

    with op.batch_alter_table("customer_chasing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_manager_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_customer_chasing_account_manager_user_id_users"),
            "users",
            ["account_manager_user_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_chasing", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_customer_chasing_account_manager_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("account_manager_user_id")

    with op.batch_alter_table("team_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_notices_organisation_id"))

    op.drop_table("team_notices")
    op.drop_table("account_changes")
