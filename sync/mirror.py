"""Writing ledger records into the mirror: bulk upserts where the newer version wins.

One ``INSERT … ON CONFLICT DO UPDATE`` per page of records. The update applies only when the
incoming record's ``ledger_updated_at`` is not older than the stored one, so an old answer
(a slow page, a replayed fetch) never overwrites a newer record. Allocations belong to their
source (a payment or credit note): each upsert of a source replaces its allocations.

Every upsert also raises the organisation's mirror version (sync/versions.py) in the same
transaction, which is what figures kept from the mirror are keyed on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, tuple_, update
from sqlalchemy.orm import Session

from integration.ledger import Allocation as LedgerAllocation
from integration.ledger import (
    ContactRecord,
    CreditNoteRecord,
    InvoiceRecord,
    PaymentRecord,
    RecordStatus,
)
from runtime import clock
from runtime.db import dialect_insert, upsert
from sync.changes import note_changes
from sync.models import Allocation, CreditNote, Customer, Invoice, Payment
from sync.versions import raise_version

# SQLite allows 32766 bound parameters per statement; a page of 1000 rows of ~20 columns fits.
CHUNK = 500


def _upsert(session: Session, table: Table, rows: list[dict[str, Any]], keys: Sequence[str]) -> None:
    """Newer version wins: a row is replaced only by one the ledger updated at the same time or later."""
    if rows:
        raise_version(session, rows[0]["organisation_id"])
        note_changes(
            session,
            rows[0]["organisation_id"],
            (row.get("customer_ledger_id", row["ledger_id"]) for row in rows),
        )
    upsert(
        session,
        table,
        rows,
        tuple(keys),
        only_if=lambda t, new: t.c.ledger_updated_at <= new.ledger_updated_at,
    )


def upsert_customers(session: Session, organisation_id: int, records: Sequence[ContactRecord]) -> None:
    now = clock.now()
    rows = [
        {
            "organisation_id": organisation_id,
            "ledger_id": r.ledger_id,
            "name": r.name[:255],
            "email": r.email,
            "phone": r.phone,
            "currency": r.currency,
            "active": r.active,
            "deleted": r.deleted,
            "postal_address": list(r.postal_address),
            "ledger_updated_at": r.updated_at,
            "synced_at": now,
        }
        for r in _newest(records)
    ]
    _upsert(session, Customer.__table__, rows, ("organisation_id", "ledger_id"))


def upsert_invoices(session: Session, organisation_id: int, records: Sequence[InvoiceRecord]) -> None:
    now = clock.now()
    rows = [
        {
            "organisation_id": organisation_id,
            "ledger_id": r.ledger_id,
            "customer_ledger_id": r.contact_ledger_id,
            "number": r.number[:64],
            "reference": r.reference[:255],
            "status": r.status.value,
            "currency": r.currency,
            "currency_rate": r.currency_rate,
            "issued_on": r.issued_on,
            "due_on": r.due_on,
            "total": r.total,
            "amount_due": r.amount_due,
            "amount_paid": r.amount_paid,
            "amount_credited": r.amount_credited,
            "fully_paid_on": r.fully_paid_on,
            "sent": r.sent,
            "ledger_updated_at": r.updated_at,
            "synced_at": now,
        }
        for r in _newest(records)
    ]
    _upsert(session, Invoice.__table__, rows, ("organisation_id", "ledger_id"))


def upsert_payments(session: Session, organisation_id: int, records: Sequence[PaymentRecord]) -> None:
    now = clock.now()
    records = _newest(records)
    rows = [
        {
            "organisation_id": organisation_id,
            "ledger_id": r.ledger_id,
            "kind": r.kind.value,
            "customer_ledger_id": r.contact_ledger_id,
            "received_on": r.received_on,
            "amount": r.amount,
            "unapplied": r.unapplied,
            "currency": r.currency,
            "currency_rate": r.currency_rate,
            "status": r.status.value,
            "ledger_updated_at": r.updated_at,
            "synced_at": now,
        }
        for r in records
    ]
    _upsert(session, Payment.__table__, rows, ("organisation_id", "kind", "ledger_id"))
    _replace_allocations(session, organisation_id, [(r.kind.value, r) for r in records])


def upsert_credit_notes(session: Session, organisation_id: int, records: Sequence[CreditNoteRecord]) -> None:
    now = clock.now()
    records = _newest(records)
    rows = [
        {
            "organisation_id": organisation_id,
            "ledger_id": r.ledger_id,
            "customer_ledger_id": r.contact_ledger_id,
            "number": r.number[:64],
            "status": r.status.value,
            "currency": r.currency,
            "currency_rate": r.currency_rate,
            "issued_on": r.issued_on,
            "total": r.total,
            "remaining_credit": r.remaining_credit,
            "ledger_updated_at": r.updated_at,
            "synced_at": now,
        }
        for r in records
    ]
    _upsert(session, CreditNote.__table__, rows, ("organisation_id", "ledger_id"))
    _replace_allocations(session, organisation_id, [("credit_note", r) for r in records])


def _replace_allocations(
    session: Session, organisation_id: int, sources: list[tuple[str, PaymentRecord | CreditNoteRecord]]
) -> None:
    """Make each source's allocations what the ledger says now, if this version of the source
    is the one the mirror holds (an older answer lost the upsert and must not touch them).
    One UPDATE and one INSERT per chunk for the whole page, not per source."""
    current = _current_versions(session, organisation_id, sources)
    winners = [(kind, s) for kind, s in sources if current.get((kind, s.ledger_id)) == s.updated_at]
    if not winners:
        return
    table = Allocation.__table__
    keys = [(kind, source.ledger_id) for kind, source in winners]
    for start in range(0, len(keys), CHUNK):
        session.execute(
            update(table)
            .where(
                table.c.organisation_id == organisation_id,
                tuple_(table.c.source_kind, table.c.source_ledger_id).in_(keys[start : start + CHUNK]),
            )
            .values(active=False)
        )
    rows = [
        {
            "organisation_id": organisation_id,
            "source_kind": kind,
            "source_ledger_id": source.ledger_id,
            "invoice_ledger_id": allocation.invoice_ledger_id,
            "amount": allocation.amount,
            "applied_on": allocation.applied_on,
            "active": source.status == RecordStatus.ACTIVE,
        }
        for kind, source in winners
        for allocation in _merge(source.allocations)
    ]
    statement = dialect_insert(session)(table)
    upserting = statement.on_conflict_do_update(
        index_elements=["organisation_id", "source_kind", "source_ledger_id", "invoice_ledger_id"],
        set_={
            "amount": statement.excluded.amount,
            "applied_on": statement.excluded.applied_on,
            "active": statement.excluded.active,
        },
    )
    for start in range(
        0, len(rows), CHUNK
    ):  # one statement, the rows as its parameters (runtime/db.py upsert)
        session.execute(upserting, rows[start : start + CHUNK])


def _current_versions(
    session: Session, organisation_id: int, sources: list[tuple[str, PaymentRecord | CreditNoteRecord]]
) -> dict[tuple[str, str], Any]:
    found: dict[tuple[str, str], Any] = {}
    payment_ids = [(kind, s.ledger_id) for kind, s in sources if kind != "credit_note"]
    credit_ids = [s.ledger_id for kind, s in sources if kind == "credit_note"]
    if payment_ids:
        for kind, ledger_id, updated in session.execute(
            Payment.__table__.select()
            .with_only_columns(Payment.kind, Payment.ledger_id, Payment.ledger_updated_at)
            .where(
                Payment.organisation_id == organisation_id,
                tuple_(Payment.kind, Payment.ledger_id).in_(payment_ids),
            )
        ):
            found[(kind, ledger_id)] = updated
    if credit_ids:
        for ledger_id, updated in session.execute(
            CreditNote.__table__.select()
            .with_only_columns(CreditNote.ledger_id, CreditNote.ledger_updated_at)
            .where(CreditNote.organisation_id == organisation_id, CreditNote.ledger_id.in_(credit_ids))
        ):
            found[("credit_note", ledger_id)] = updated
    return found


R = TypeVar("R", ContactRecord, InvoiceRecord, PaymentRecord, CreditNoteRecord)


def _newest(records: Sequence[R]) -> list[R]:
    """One record per ledger id (the newest), as one INSERT may not touch a row twice."""
    newest: dict[tuple[str, str], R] = {}
    for record in records:
        key = (getattr(record, "kind", ""), record.ledger_id)
        if key not in newest or newest[key].updated_at <= record.updated_at:
            newest[key] = record
    return list(newest.values())


def _merge(allocations: Sequence[LedgerAllocation]) -> list[LedgerAllocation]:
    """Several allocations of one source to one invoice become one row (their sum)."""
    merged: dict[str, LedgerAllocation] = {}
    for allocation in allocations:
        previous = merged.get(allocation.invoice_ledger_id)
        if previous is not None:
            allocation = LedgerAllocation(
                allocation.invoice_ledger_id,
                previous.amount + allocation.amount,
                max(previous.applied_on, allocation.applied_on),
            )
        merged[allocation.invoice_ledger_id] = allocation
    return list(merged.values())
