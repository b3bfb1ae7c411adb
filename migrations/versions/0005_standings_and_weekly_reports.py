"""customer standings, weekly reports, risk rules and the report day per organisation, sync change marks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import runtime.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Money = sa.Numeric(precision=19, scale=4)


def _organisation_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organisation_id"],
        ["organisations.id"],
        name=op.f(f"fk_{table}_organisation_id_organisations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "customer_standings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("customer_ledger_id", sa.String(length=64), nullable=False),
        sa.Column("risk", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("segment", sa.String(length=16), nullable=False),
        sa.Column("open_balance", Money, nullable=False),
        sa.Column("overdue_balance", Money, nullable=False),
        sa.Column("invoices_paid", sa.Integer(), nullable=False),
        sa.Column("paid_late", sa.Integer(), nullable=False),
        sa.Column("average_days_to_pay", Money, nullable=True),
        sa.Column("average_days_beyond_terms", Money, nullable=True),
        sa.Column("recent_days_beyond_terms", Money, nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessed_at", runtime.db.UTCDateTime(), nullable=False),
        _organisation_key("customer_standings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_standings")),
        sa.UniqueConstraint(
            "organisation_id",
            "customer_ledger_id",
            name=op.f("uq_customer_standings_organisation_id_customer_ledger_id"),
        ),
    )
    op.create_table(
        "weekly_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("week_ending", sa.Date(), nullable=False),
        sa.Column("recipients", Document, nullable=False),
        sa.Column("sent_at", runtime.db.UTCDateTime(), nullable=True),
        _organisation_key("weekly_reports"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_reports")),
        sa.UniqueConstraint(
            "organisation_id", "week_ending", name=op.f("uq_weekly_reports_organisation_id_week_ending")
        ),
    )
    with op.batch_alter_table("collection_settings") as batch:
        batch.add_column(sa.Column("risk_rules", Document, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("weekly_report_weekday", sa.Integer(), nullable=True, server_default="0"))
    with op.batch_alter_table("sync_cursors") as batch:
        batch.add_column(sa.Column("last_change_at", runtime.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_cursors") as batch:
        batch.drop_column("last_change_at")
    with op.batch_alter_table("collection_settings") as batch:
        batch.drop_column("weekly_report_weekday")
        batch.drop_column("risk_rules")
    op.drop_table("weekly_reports")
    op.drop_table("customer_standings")
