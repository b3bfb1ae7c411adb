"""invoices.applied, invoices.applied_through: each invoice's allocations summed, kept by triggers

The aging (reminders/receivables/aging.py) joined every invoice to the sum of its allocations;
with the sum and the day of the latest allocation on the invoice it reads the invoice alone and
joins only the allocations applied after the day asked for (none, mostly, for today). The
database keeps both columns, so every writer (the mirror, a bench's bulk insert, a test's rows)
leaves them right: after any insert, update or delete of an allocation, the invoices it names
are summed again; after an invoice is inserted (its payment may have come first), so is it.
The aging index is rebuilt in the order of the aging's groups (customer, currency) with the
two columns in it, and allocations get an index by day.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03
"""

# The statements below are DDL assembled from constants (column names, NEW./OLD. references):
# no value from outside reaches them.
# ruff: noqa: S608

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_AGING = [
    "organisation_id",
    "status",
    "issued_on",
    "due_on",
    "customer_ledger_id",
    "currency",
    "ledger_id",
    "total",
    "currency_rate",
]
AGING = [
    "organisation_id",
    "customer_ledger_id",
    "currency",
    "status",
    "issued_on",
    "due_on",
    "total",
    "applied",
    "applied_through",
    "currency_rate",
    "ledger_id",
]


def _sums(organisation: str, invoice: str) -> str:
    """The SET clause: the live allocations of one invoice, summed, and their latest day."""
    live = (
        f"FROM allocations a WHERE a.organisation_id = {organisation} "
        f"AND a.invoice_ledger_id = {invoice} AND a.active"
    )
    return f"applied = (SELECT coalesce(sum(a.amount), 0) {live}), applied_through = (SELECT max(a.applied_on) {live})"


def _refresh(organisation: str, invoice: str) -> str:
    return (
        f"UPDATE invoices SET {_sums(organisation, invoice)} "
        f"WHERE organisation_id = {organisation} AND ledger_id = {invoice}"
    )


SQLITE_TRIGGERS = [
    "CREATE TRIGGER allocations_applied_insert AFTER INSERT ON allocations BEGIN "
    f"{_refresh('NEW.organisation_id', 'NEW.invoice_ledger_id')}; END",
    "CREATE TRIGGER allocations_applied_update AFTER UPDATE ON allocations BEGIN "
    f"{_refresh('OLD.organisation_id', 'OLD.invoice_ledger_id')}; "
    f"{_refresh('NEW.organisation_id', 'NEW.invoice_ledger_id')}; END",
    "CREATE TRIGGER allocations_applied_delete AFTER DELETE ON allocations BEGIN "
    f"{_refresh('OLD.organisation_id', 'OLD.invoice_ledger_id')}; END",
    "CREATE TRIGGER invoices_applied_insert AFTER INSERT ON invoices BEGIN "
    f"UPDATE invoices SET {_sums('NEW.organisation_id', 'NEW.ledger_id')} WHERE id = NEW.id; END",
]
SQLITE_DROPS = [
    "DROP TRIGGER IF EXISTS allocations_applied_insert",
    "DROP TRIGGER IF EXISTS allocations_applied_update",
    "DROP TRIGGER IF EXISTS allocations_applied_delete",
    "DROP TRIGGER IF EXISTS invoices_applied_insert",
]
POSTGRESQL_TRIGGERS = [
    "CREATE FUNCTION relance_allocations_applied() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP IN ('UPDATE', 'DELETE') THEN "
    f"{_refresh('OLD.organisation_id', 'OLD.invoice_ledger_id')}; END IF; "
    "IF TG_OP IN ('INSERT', 'UPDATE') THEN "
    f"{_refresh('NEW.organisation_id', 'NEW.invoice_ledger_id')}; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER allocations_applied AFTER INSERT OR UPDATE OR DELETE ON allocations "
    "FOR EACH ROW EXECUTE FUNCTION relance_allocations_applied()",
    "CREATE FUNCTION relance_invoice_applied() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"UPDATE invoices SET {_sums('NEW.organisation_id', 'NEW.ledger_id')} WHERE id = NEW.id; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER invoices_applied AFTER INSERT ON invoices "
    "FOR EACH ROW EXECUTE FUNCTION relance_invoice_applied()",
]
POSTGRESQL_DROPS = [
    "DROP TRIGGER IF EXISTS invoices_applied ON invoices",
    "DROP FUNCTION IF EXISTS relance_invoice_applied()",
    "DROP TRIGGER IF EXISTS allocations_applied ON allocations",
    "DROP FUNCTION IF EXISTS relance_allocations_applied()",
]


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("applied", sa.Numeric(19, 4), server_default="0", nullable=False))
        batch.add_column(sa.Column("applied_through", sa.Date(), nullable=True))
    op.execute(f"UPDATE invoices SET {_sums('invoices.organisation_id', 'invoices.ledger_id')}")
    op.drop_index("ix_invoices_aging", table_name="invoices")
    op.create_index("ix_invoices_aging", "invoices", AGING)
    op.create_index("ix_allocations_applied_on", "allocations", ["organisation_id", "applied_on"])
    # The triggers' max(applied_on) of one invoice: with the day in the invoice's index, one step.
    # Without it SQLite read the organisation's allocations by day until it met the invoice's
    # (a scan per allocation written: hours for a 200,000-invoice organisation).
    op.drop_index("ix_allocations_invoice", table_name="allocations")
    op.create_index(
        "ix_allocations_invoice", "allocations", ["organisation_id", "invoice_ledger_id", "applied_on"]
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_DROPS if postgresql else SQLITE_DROPS:
        op.execute(statement)
    op.drop_index("ix_allocations_invoice", table_name="allocations")
    op.create_index("ix_allocations_invoice", "allocations", ["organisation_id", "invoice_ledger_id"])
    op.drop_index("ix_allocations_applied_on", table_name="allocations")
    op.drop_index("ix_invoices_aging", table_name="invoices")
    op.create_index("ix_invoices_aging", "invoices", OLD_AGING)
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("applied_through")
        batch.drop_column("applied")
