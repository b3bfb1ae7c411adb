"""collection settings and daily aging snapshots

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import runtime.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "aging_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("labels", Document, nullable=False),
        sa.Column("amounts", Document, nullable=False),
        sa.Column("total", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("taken_at", runtime.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_aging_snapshots_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aging_snapshots")),
        sa.UniqueConstraint(
            "organisation_id", "taken_on", name=op.f("uq_aging_snapshots_organisation_id_taken_on")
        ),
    )
    op.create_table(
        "collection_settings",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("aging_edges", Document, nullable=False),
        sa.Column("aging_basis", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_collection_settings_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_collection_settings")),
    )


def downgrade() -> None:
    op.drop_table("collection_settings")
    op.drop_table("aging_snapshots")
