"""Which customers' accounts the mirror has seen change, for the reminders to react to.

A promise is kept, a hold lifts, a dispute closes when the sync sees the payment or the credit
note; the reminders layer must hear of it, and sync/ may not call upward. So every mirror write
notes the customers it touched (their ledger ids) in ``account_changes``, in the same transaction
as its rows: a change seen by the mirror is never lost, even if Redis or a worker is down. The
reminders' reaction job (``reminders.loop.react_to_account_changes``) takes them, and a row is
taken only up to the moment it was read, so a change noted while the job works is kept for the
next run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from runtime import clock
from runtime.db import Base, dialect_insert


class AccountChange(Base):
    """One customer whose invoices, payments, credit notes or contact the mirror last wrote at
    ``changed_at`` and that the reminders have not reacted to since."""

    __tablename__ = "account_changes"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    customer_ledger_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    changed_at: Mapped[datetime] = mapped_column()


def note_changes(session: Session, organisation_id: int, customer_ledger_ids: Iterable[str | None]) -> None:
    """Note, in the caller's transaction, that these customers' accounts changed now."""
    ids = sorted({i for i in customer_ledger_ids if i})
    if not ids:
        return
    now = clock.now()
    table = AccountChange.__table__
    statement = dialect_insert(session)(table)
    session.execute(  # the rows as parameters: one statement whatever their number (runtime/db.py upsert)
        statement.on_conflict_do_update(
            index_elements=["organisation_id", "customer_ledger_id"],
            set_={"changed_at": statement.excluded.changed_at},
        ),
        [{"organisation_id": organisation_id, "customer_ledger_id": i, "changed_at": now} for i in ids],
    )


def organisations_with_changes(session: Session) -> list[int]:
    """The organisations with changes not yet taken."""
    return list(session.scalars(select(AccountChange.organisation_id).distinct()))


def take_changes(session: Session, organisation_id: int) -> set[str]:
    """The ledger ids of the customers changed since they were last taken, taken now (in the
    caller's transaction: if it rolls back, they stay to be taken again)."""
    seen = clock.now()
    ids = set(
        session.scalars(
            select(AccountChange.customer_ledger_id).where(
                AccountChange.organisation_id == organisation_id, AccountChange.changed_at <= seen
            )
        )
    )
    if ids:
        session.execute(
            delete(AccountChange).where(
                AccountChange.organisation_id == organisation_id,
                AccountChange.changed_at <= seen,
                AccountChange.customer_ledger_id.in_(ids),
            )
        )
    return ids
