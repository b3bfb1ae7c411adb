"""The credit holds' outbox to the ledger: each hold placed or lifted is one row here, and one job
marks or unmarks the contact (``Ledger.put_on_hold`` / ``release_hold``: the Xero contact group,
the QuickBooks customer's notes).

A write is kept in the transaction that places or lifts the hold (unique per hold and kind), and
the job ``write_hold_to_ledger`` carries it out: it brings the ledger to the customer's state by
doing, in order, every pending write of that customer up to this one, so a release never reaches
the ledger before the mark it removes. Both ledger calls are harmless twice (a member added again,
a non-member released), and a row is marked written in the transaction after its call, so a second
run does nothing more. A call that fails is counted and retried by RQ; with no retry left the row
stays failed, with its reason, for the customer page to show; the sweep queues pending rows whose
job was lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rq import get_current_job
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from integration.connections import Connection, ledger_for
from reminders.holds import CreditHold
from runtime import clock, jobs
from runtime.db import Base, db
from runtime.logs import get_logger
from sync.models import Customer

log = get_logger(__name__)

PENDING_GRACE = timedelta(minutes=10)


class WriteKind:
    PLACE = "place"
    RELEASE = "release"


class WriteStatus:
    PENDING = "pending"
    WRITTEN = "written"
    FAILED = "failed"


class HoldWrite(Base):
    __tablename__ = "credit_hold_writes"
    __table_args__ = (UniqueConstraint("hold_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("credit_holds.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # WriteKind
    status: Mapped[str] = mapped_column(String(8), default=WriteStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    written_at: Mapped[datetime | None] = mapped_column(default=None)


def keep_write(session: Session, hold: CreditHold, kind: str) -> HoldWrite:
    """The hold's write of ``kind``, kept in the caller's transaction (the one already kept if any)."""
    found = session.scalar(select(HoldWrite).where(HoldWrite.hold_id == hold.id, HoldWrite.kind == kind))
    if found is not None:
        return found
    write = HoldWrite(
        organisation_id=hold.organisation_id,
        customer_id=hold.customer_id,
        hold_id=hold.id,
        kind=kind,
        status=WriteStatus.PENDING,
        attempts=0,
        last_error="",
        created_at=clock.now(),
    )
    session.add(write)
    session.flush()
    return write


def queue_hold_writes(writes: list[HoldWrite]) -> None:
    """Queue each write's job (after the transaction that kept them committed)."""
    for write in writes:
        jobs.enqueue_once(write_hold_to_ledger, write.id, job_id=f"hold-write-{write.id}")


def write_hold_to_ledger(write_id: int) -> None:
    """Job: carry out the customer's pending hold writes up to ``write_id``, in order."""
    session = db.session()
    target = session.get(HoldWrite, write_id)
    if target is None:
        return
    due = session.scalars(
        select(HoldWrite)
        .where(
            HoldWrite.customer_id == target.customer_id,
            HoldWrite.id <= write_id,
            HoldWrite.status == WriteStatus.PENDING,
        )
        .order_by(HoldWrite.id)
        .with_for_update()
    ).all()
    for write in due:
        try:
            _call_ledger(session, write)
        except Exception as error:
            session.rollback()
            _count_failure(write.id, error)
            raise
        write.status, write.attempts, write.last_error = WriteStatus.WRITTEN, write.attempts + 1, ""
        write.written_at = clock.now()
        session.commit()
        log.info("holds.ledger_written", write=write.id, kind=write.kind, organisation=write.organisation_id)
    session.rollback()


def _call_ledger(session: Session, write: HoldWrite) -> None:
    customer = session.get(Customer, write.customer_id)
    if customer is None or customer.organisation_id != write.organisation_id:
        raise LookupError("the customer is no longer in the mirror")
    connection = session.scalar(
        select(Connection)
        .where(Connection.organisation_id == write.organisation_id)
        .order_by(Connection.connected_at.desc(), Connection.id.desc())
        .limit(1)
    )
    if connection is None:
        raise LookupError("the organisation has no ledger connection")
    ledger = ledger_for(connection, jobs.connection())
    if write.kind == WriteKind.PLACE:
        ledger.put_on_hold(customer.ledger_id)
    else:
        ledger.release_hold(customer.ledger_id)


def _count_failure(write_id: int, error: Exception) -> None:
    """Say on the write that this attempt failed and why; failed for good once no retry is left."""
    session = db.session()
    write = session.scalar(select(HoldWrite).where(HoldWrite.id == write_id).with_for_update())
    if write is None or write.status != WriteStatus.PENDING:
        session.rollback()
        return
    job = get_current_job()
    retries_left = job.retries_left if job is not None else None
    write.attempts += 1
    write.last_error = (str(error) or type(error).__name__)[:500]
    if not retries_left:
        write.status = WriteStatus.FAILED
    session.commit()
    log.warning("holds.ledger_failed", write=write_id, attempts=write.attempts, last=not retries_left)


def requeue_pending_hold_writes() -> int:
    """Periodic job: queue the writes still pending a while after they were kept; returns how many."""
    session = db.session()
    pending = session.scalars(
        select(HoldWrite).where(
            HoldWrite.status == WriteStatus.PENDING, HoldWrite.created_at < clock.now() - PENDING_GRACE
        )
    ).all()
    queued = 0
    for write in pending:
        if jobs.enqueue_once(write_hold_to_ledger, write.id, job_id=f"hold-write-{write.id}") is not None:
            queued += 1
    return queued


def failed_write(session: Session, organisation_id: int, customer_id: int) -> HoldWrite | None:
    """The customer's latest hold write that failed for good, for the page to show."""
    return session.scalar(
        select(HoldWrite)
        .where(
            HoldWrite.organisation_id == organisation_id,
            HoldWrite.customer_id == customer_id,
            HoldWrite.status == WriteStatus.FAILED,
        )
        .order_by(HoldWrite.id.desc())
        .limit(1)
    )
