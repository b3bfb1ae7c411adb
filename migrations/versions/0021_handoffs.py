"""handoff_settings, handoffs: the end of the road

handoff_settings: an organisation's age at which Relance recommends handing a customer to a
collection agency or writing the balance off, and the balance below which a write-off is advised.
handoffs: a customer handed to an agency (agency, reference, note, who and when), and when and by
whom it was taken back; while one is open Relance chases nothing of that customer
(reminders/handoff.py).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import runtime.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "handoff_settings",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("age_days", sa.Integer(), nullable=False),
        sa.Column("write_off_below", sa.Numeric(precision=19, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_handoff_settings_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_handoff_settings")),
    )
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("handed_off_by_user_id", sa.Integer(), nullable=True),
        sa.Column("handed_off_at", runtime.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("taken_back_by_user_id", sa.Integer(), nullable=True),
        sa.Column("taken_back_at", runtime.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("taken_back_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_handoffs_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handed_off_by_user_id"],
            ["users.id"],
            name=op.f("fk_handoffs_handed_off_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_handoffs_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["taken_back_by_user_id"],
            ["users.id"],
            name=op.f("fk_handoffs_taken_back_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoffs_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoffs_organisation_id"), ["organisation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoffs_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_handoffs_customer_id"))

    op.drop_table("handoffs")
    op.drop_table("handoff_settings")
