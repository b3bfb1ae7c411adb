"""mirror_versions: each organisation's mirror version, which the kept page figures are keyed on

Every write to an organisation's mirror raises its number (sync/versions.py); the dashboard's
and the practice view's figures are kept in Redis under it (reminders/receivables/kept_figures.py).
Organisations that exist when this runs get a row, so their figures are kept from the start.

Revision ID: 0013
Revises: 0011 (the integrator chains it after 0012)
Create Date: 2026-12-02
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    versions = op.create_table(
        "mirror_versions",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_mirror_versions_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_mirror_versions")),
    )
    organisations = op.get_bind().execute(sa.text("SELECT id FROM organisations")).scalars().all()
    if organisations:
        op.bulk_insert(
            versions,
            [{"organisation_id": oid, "token": uuid.uuid4().hex, "number": 1} for oid in organisations],
        )


def downgrade() -> None:
    op.drop_table("mirror_versions")
