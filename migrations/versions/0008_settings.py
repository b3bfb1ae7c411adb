"""organisation settings: the reminders' sender name and reply-to address, and a logo

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import runtime.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("collection_settings", sa.Column("sender_name", sa.String(length=100), nullable=True))
    op.add_column("collection_settings", sa.Column("reply_to", sa.String(length=254), nullable=True))
    op.create_table(
        "organisation_logos",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", runtime.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_logos_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_organisation_logos")),
    )


def downgrade() -> None:
    op.drop_table("organisation_logos")
    op.drop_column("collection_settings", "reply_to")
    op.drop_column("collection_settings", "sender_name")
