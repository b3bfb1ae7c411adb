"""Disputes as dated records with their end and their messages.

A dispute now says how it ended (resolved by a person with a note, or settled by a credit note the
sync saw, naming it), who ended it and when; ``dispute_messages`` keeps what a person or the
customer wrote on it. Existing disputes are open ones: status defaults to "open".

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 04:25:11.644132
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import runtime.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "dispute_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_at", runtime.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_dispute_messages_author_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_dispute_messages_dispute_id_disputes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_dispute_messages_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_messages")),
    )
    with op.batch_alter_table("dispute_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispute_messages_dispute_id"), ["dispute_id"], unique=False)

    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="open"))
        batch_op.add_column(sa.Column("resolved_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolution_note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("credit_note_ledger_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("credit_note_number", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("credits_before", Document, nullable=False, server_default="[]"))
        batch_op.create_foreign_key(
            batch_op.f("fk_disputes_resolved_by_user_id_users"),
            "users",
            ["resolved_by_user_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_disputes_resolved_by_user_id_users"), type_="foreignkey")
        batch_op.drop_column("credits_before")
        batch_op.drop_column("credit_note_number")
        batch_op.drop_column("credit_note_ledger_id")
        batch_op.drop_column("resolution_note")
        batch_op.drop_column("resolved_by_user_id")
        batch_op.drop_column("status")

    with op.batch_alter_table("dispute_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_messages_dispute_id"))

    op.drop_table("dispute_messages")
