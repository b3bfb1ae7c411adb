"""mirror_versions: each organisation's mirror version, which the kept page figures are keyed on;
invoices: an index covering the customer list's search by invoice number

Every write to an organisation's mirror raises its number (sync/versions.py); the dashboard's
and the practice view's figures are kept in Redis under it (reminders/receivables/kept_figures.py).
Organisations that exist when this runs get a row, so their figures are kept from the start.

A search of the customer list by invoice number (``number LIKE '%…%'``) reads every invoice's
number: from a table row per invoice without this index, from the index alone with it (the
search's extra cost on SQLite with 20,000 invoices: about 60 ms without, 10 ms with).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
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
    op.create_index(
        "ix_invoices_number_search", "invoices", ["organisation_id", "number", "customer_ledger_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_number_search", table_name="invoices")
    op.drop_table("mirror_versions")
