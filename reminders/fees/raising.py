"""Raising an approved fee in the ledger, once.

``raise_fee`` (the RQ job, one per fee) takes the row (approved → raising, committed) before it
asks the ledger to create the invoice, like reminders/dispatch/send.py takes a reminder. The
ledger's own idempotency covers a call's retries inside the client (Xero's Idempotency-Key,
https://developer.xero.com/documentation/guides/idempotent-requests/idempotency/, and QuickBooks'
requestid, https://developer.intuit.com/app/developer/qbo/docs/develop/rest-api-features#identifiers),
not a worker that dies after the ledger made the invoice and before Relance wrote it down: that
fee stays in ``raising`` and ``settle_interrupted`` hands it to a person, never to a second call.
A ledger that answered 429 or 401 made nothing: the fee is approved again and the job retried. A
ledger that timed out may have made it: interrupted, for a person. A fee whose invoice was
disputed since it was proposed is skipped.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from rq import get_current_job
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from integration.connections import Connection, ledger_for
from integration.ledger import (
    LedgerRateLimited,
    LedgerRejected,
    LedgerUnauthorized,
    ReconnectRequired,
)
from reminders.disputes import disputed_invoices
from reminders.fees.models import FeeStatus, LateFee
from reminders.fees.proposing import audit_fee, terms_for
from reminders.fees.terms import FeeKind, Preset
from reminders.team_notices import money_text
from reminders.writeback import queue_writes, record_invoice_notes
from runtime import clock, jobs
from runtime.db import db
from runtime.logs import get_logger
from runtime.tenancy import Organisation
from sync.mirror import upsert_invoices
from sync.models import Customer

log = get_logger(__name__)

# How long a raise may take before a fee still in "raising" counts as interrupted.
RAISING_LEASE = timedelta(minutes=5)


def raise_job_id(fee_id: int) -> str:
    return f"late-fee-raise-{fee_id}"


def queue_raise(fee_id: int) -> None:
    jobs.enqueue_once(raise_fee, fee_id, job_id=raise_job_id(fee_id))


def _take(session: Session, fee_id: int) -> bool:
    taken = session.execute(
        update(LateFee)
        .where(LateFee.id == fee_id, LateFee.status == FeeStatus.APPROVED.value)
        .values(status=FeeStatus.RAISING.value, raising_started_at=clock.now(), attempts=LateFee.attempts + 1)
    )
    session.commit()
    return bool(getattr(taken, "rowcount", 0))


def _finish(session: Session, fee_id: int, status: FeeStatus, reason: str) -> None:
    session.execute(
        update(LateFee)
        .where(LateFee.id == fee_id, LateFee.status == FeeStatus.RAISING.value)
        .values(status=status.value, reason=reason[:500])
    )
    session.commit()


def _connection(session: Session, organisation_id: int) -> Connection | None:
    return session.scalar(
        select(Connection)
        .where(Connection.organisation_id == organisation_id)
        .order_by(Connection.connected_at.desc(), Connection.id.desc())
        .limit(1)
    )


def description(fee: LateFee, preset: Preset) -> str:
    """The fee invoice's line, in French under the French preset, in English otherwise."""
    invoice = fee.invoice_number or fee.invoice_ledger_id
    period = f"{fee.period_start.isoformat()} to {fee.period_end.isoformat()}"
    balance = f"{Decimal(fee.balance):.2f} {fee.currency}"
    if preset is Preset.FR_CODE_DE_COMMERCE:
        if fee.kind == FeeKind.FIXED.value:
            return (
                f"Indemnité forfaitaire pour frais de recouvrement (art. D441-5 C. com.), facture {invoice}"
            )
        return f"Pénalités de retard (art. L441-10 C. com.) au taux de {fee.rate} % l'an sur {balance}, facture {invoice}, du {fee.period_start.isoformat()} au {fee.period_end.isoformat()}"
    if preset is Preset.UK_LATE_PAYMENT_ACT:
        if fee.kind == FeeKind.FIXED.value:
            return f"Fixed sum for late payment (Late Payment of Commercial Debts (Interest) Act 1998, s.5A), invoice {invoice}"
        return f"Statutory interest at {fee.rate}% a year on {balance} (Late Payment of Commercial Debts (Interest) Act 1998), invoice {invoice}, {period}"
    if fee.kind == FeeKind.FIXED.value:
        return f"Late payment fee, invoice {invoice}"
    return f"Late payment interest at {fee.rate}% a month on {balance}, invoice {invoice}, {period}"


def raise_fee(fee_id: int) -> None:
    """The job: raise one approved fee as its own invoice in the ledger, at most once."""
    session = db.session()
    if not _take(session, fee_id):
        return
    fee = session.get(LateFee, fee_id)
    assert fee is not None
    organisation = session.get(Organisation, fee.organisation_id)
    customer = session.get(Customer, fee.customer_id)
    connection = _connection(session, fee.organisation_id)
    if organisation is None or customer is None or connection is None:
        _finish(session, fee_id, FeeStatus.FAILED, "the customer or the ledger connection is gone")
        return
    if fee.invoice_ledger_id in disputed_invoices(session, organisation.id):
        # Disputed since it was proposed: a fee is never raised on a disputed invoice.
        _finish(session, fee_id, FeeStatus.SKIPPED, "the invoice is disputed")
        return
    terms = terms_for(session, organisation.id)
    today = clock.today(organisation.timezone)
    ledger = ledger_for(connection, jobs.connection())
    try:
        created = ledger.create_late_fee_invoice(
            customer.ledger_id,
            Decimal(fee.amount),
            fee.currency,
            description(fee, Preset(terms.preset)),
            today + timedelta(days=max(terms.payment_days, 0)),
        )
    except (LedgerRateLimited, LedgerUnauthorized, ReconnectRequired) as error:
        # Refused before anything was written: approved again, for the retry.
        _hand_back(session, fee_id, error)
        raise
    except LedgerRejected as error:
        _finish(session, fee_id, FeeStatus.FAILED, str(error) or "the ledger refused the fee invoice")
        return
    except Exception as error:
        # No answer: the ledger may have made the invoice. A person looks; it is never raised twice.
        _finish(
            session,
            fee_id,
            FeeStatus.INTERRUPTED,
            f"the ledger did not answer ({type(error).__name__}): look for the fee invoice in the ledger",
        )
        raise
    fee.status = FeeStatus.RAISED.value
    fee.fee_invoice_ledger_id = created.ledger_id
    fee.fee_invoice_number = created.number
    fee.raised_at = clock.now()
    fee.reason = ""
    upsert_invoices(session, organisation.id, [created])
    audit_fee(
        session, fee, "fee.raised", fee.decided_by_user_id, fee_invoice=created.number or created.ledger_id
    )
    notes = record_invoice_notes(
        session,
        customer,
        [fee.invoice_ledger_id],
        f"Relance raised late fee invoice {created.number or created.ledger_id} "
        f"({money_text(fee.amount, fee.currency)}) for this invoice.",
        seed=f"late-fee:{fee.id}",
    )
    session.commit()
    queue_writes(notes)
    log.info("fees.raised", fee=fee.id, organisation=organisation.id)


def _hand_back(session: Session, fee_id: int, error: Exception) -> None:
    job = get_current_job()
    retries_left = job.retries_left if job is not None else None
    reason = (str(error) or type(error).__name__)[:500]
    if not retries_left:
        _finish(session, fee_id, FeeStatus.FAILED, reason)
        return
    session.execute(
        update(LateFee)
        .where(LateFee.id == fee_id, LateFee.status == FeeStatus.RAISING.value)
        .values(status=FeeStatus.APPROVED.value, reason=reason)
    )
    session.commit()


def settle_interrupted() -> int:
    """Fees left in "raising" past the lease: interrupted, for a person (never raised again by
    themselves). Returns how many."""
    session = db.session()
    stale = session.scalars(
        select(LateFee.id).where(
            LateFee.status == FeeStatus.RAISING.value,
            LateFee.raising_started_at < clock.now() - RAISING_LEASE,
        )
    ).all()
    for fee_id in stale:
        _finish(session, fee_id, FeeStatus.INTERRUPTED, "interrupted: look for the fee invoice in the ledger")
    return len(stale)


def sweep_fees() -> int:
    """Periodic job: fees interrupted mid-raise set aside for a person, and approved fees whose job
    was lost (Redis restarted) queued again (``enqueue_once``: a job still waiting is not doubled).
    Returns how many were touched."""
    settled = settle_interrupted()
    session = db.session()
    waiting = session.scalars(
        select(LateFee.id).where(
            LateFee.status == FeeStatus.APPROVED.value, LateFee.decided_at < clock.now() - RAISING_LEASE
        )
    ).all()
    for fee_id in waiting:
        queue_raise(fee_id)
    return settled + len(waiting)
