"""customers: the postal address letters go to, as the ledger keeps it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
# The integrator's 0012 comes first; while it is not merged, the tests here ran on "0011".
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("postal_address", Document, nullable=False, server_default="[]"))
    # The customers mirrored already have no address yet: the next sync reads every contact again
    # (one call per thousand), instead of only those that change after today.
    cursors = sa.table("sync_cursors", sa.column("entity", sa.String()), sa.column("cursor", sa.DateTime()))
    op.execute(cursors.update().where(cursors.c.entity == "contacts").values(cursor=None))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("postal_address")
