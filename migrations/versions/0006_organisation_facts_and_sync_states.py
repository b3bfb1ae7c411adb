"""organisation facts read from the ledger (country, legal name, who set the zone), sync states

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import runtime.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(
            sa.Column("timezone_set_by", sa.String(length=16), nullable=False, server_default="default")
        )
        batch.add_column(sa.Column("country", sa.String(length=2), nullable=False, server_default=""))
        batch.add_column(sa.Column("legal_name", sa.String(length=255), nullable=False, server_default=""))
        batch.add_column(sa.Column("facts_refreshed_at", runtime.db.UTCDateTime(), nullable=True))
    op.create_table(
        "sync_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("running_since", runtime.db.UTCDateTime(), nullable=True),
        sa.Column("running_entity", sa.String(length=16), nullable=False, server_default=""),
        sa.Column("first_completed_at", runtime.db.UTCDateTime(), nullable=True),
        sa.Column("last_completed_at", runtime.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_sync_states_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_states")),
        sa.UniqueConstraint("connection_id", name=op.f("uq_sync_states_connection_id")),
    )


def downgrade() -> None:
    op.drop_table("sync_states")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("facts_refreshed_at")
        batch.drop_column("legal_name")
        batch.drop_column("country")
        batch.drop_column("timezone_set_by")
