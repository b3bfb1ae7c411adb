"""Acting on the decision: fees proposed by the day step, decided by a person (or not), raised in
the ledger once each.

- ``propose_fees`` is a day step (reminders/loop.py): it asks ``terms.fees_due`` about the
  organisation's overdue invoices (not the disputed ones, not fee invoices) and inserts one row per
  fee with ``ON CONFLICT DO NOTHING`` on (organisation, invoice, kind, period), so a second run or
  a second worker adds nothing. With review on (the default) the fee waits on the review page;
  with it off the fee is approved at once.
- ``approve`` / ``skip``: a person's decision, a compare-and-set each.
- ``raise_fee`` (the RQ job, one per fee): takes the row (approved → raising, committed) before
  it asks the ledger to create the invoice, like reminders/dispatch/send.py takes a reminder. The
  ledger's own idempotency covers a call's retries inside the client (Xero's Idempotency-Key,
  https://developer.xero.com/documentation/guides/idempotent-requests/idempotency/, and
  QuickBooks' requestid, https://developer.intuit.com/app/developer/qbo/docs/develop/rest-api-features#identifiers),
  not a worker that dies after the ledger made the invoice and before Relance wrote it down:
  that fee stays in ``raising`` and ``settle_interrupted`` hands it to a person, never to a
  second call. A ledger that answered 429 or 401 made nothing: the fee is approved again and
  the job retried. A ledger that timed out may have made it: interrupted, for a person.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from rq import get_current_job
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from integration.connections import Connection, ledger_for
from integration.ledger import (
    InvoiceStatus,
    LedgerRateLimited,
    LedgerRejected,
    LedgerUnauthorized,
    ReconnectRequired,
)
from reminders.disputes import disputed_invoices
from reminders.fees.models import FeeStatus, FeeTerms, LateFee
from reminders.fees.terms import FeeDue, FeeKind, OverdueInvoice, Preset, Terms, fees_due
from reminders.writeback import queue_writes, record_invoice_notes, subject_of
from runtime import clock, jobs
from runtime.db import db, dialect_insert
from runtime.logs import get_logger
from runtime.tenancy import Organisation, record
from sync.mirror import upsert_invoices
from sync.models import Customer, Invoice

log = get_logger(__name__)

# How long a raise may take before a fee still in "raising" counts as interrupted.
RAISING_LEASE = timedelta(minutes=5)
# Fees inserted per statement (each row is 17 parameters).
INSERT_PAGE = 500


def terms_for(session: Session, organisation_id: int) -> FeeTerms:
    """The organisation's fee terms, or the defaults (off) if it never set any."""
    return session.get(FeeTerms, organisation_id) or FeeTerms(
        organisation_id=organisation_id,
        enabled=False,
        preset=Preset.PERCENTAGE.value,
        grace_days=0,
        percent_a_month=Decimal(2),
        fixed_fee=Decimal(0),
        reference_rate=Decimal(0),
        reference_rates=[],
        review=True,
        payment_days=14,
    )


def decision_terms(terms: FeeTerms) -> Terms:
    return Terms(
        preset=Preset(terms.preset),
        grace_days=terms.grace_days,
        percent_a_month=Decimal(terms.percent_a_month),
        fixed_fee=Decimal(terms.fixed_fee),
        reference_rate=Decimal(terms.reference_rate),
        reference_rates=tuple(
            (date.fromisoformat(day), Decimal(rate)) for day, rate in (terms.reference_rates or [])
        ),
    )


def keep_reference_rate(terms: FeeTerms) -> None:
    """Add the terms' current reference rate, on its date, to the values kept (one per date)."""
    if terms.reference_rate_on is None:
        return
    kept = {day: rate for day, rate in (terms.reference_rates or [])}
    kept[terms.reference_rate_on.isoformat()] = str(Decimal(terms.reference_rate))
    terms.reference_rates = [[day, kept[day]] for day in sorted(kept)]


def fee_invoices(session: Session, organisation_id: int) -> set[str]:
    """The ledger ids of the invoices Relance raised for fees (never charged a fee themselves)."""
    return set(
        session.scalars(
            select(LateFee.fee_invoice_ledger_id).where(
                LateFee.organisation_id == organisation_id, LateFee.fee_invoice_ledger_id.is_not(None)
            )
        )
    )


def _overdue(session: Session, organisation_id: int, day: date) -> dict[str, list[Invoice]]:
    rows = session.scalars(
        select(Invoice).where(
            Invoice.organisation_id == organisation_id,
            Invoice.status == InvoiceStatus.OPEN.value,
            Invoice.amount_due > 0,
            Invoice.due_on < day,
        )
    )
    found: dict[str, list[Invoice]] = {}
    for row in rows:
        found.setdefault(row.customer_ledger_id, []).append(row)
    return found


def propose_fees(session: Session, organisation: Organisation, day: date) -> list[Callable[[], None]]:
    """The day step: keep the fees due today, once each; returns the raise jobs to queue after
    the commit (only when the organisation raises fees without review)."""
    terms = terms_for(session, organisation.id)
    if not terms.enabled:
        return []
    decision = decision_terms(terms)
    excluded = frozenset(disputed_invoices(session, organisation.id) | fee_invoices(session, organisation.id))
    customers = {
        c.ledger_id: c.id
        for c in session.scalars(select(Customer).where(Customer.organisation_id == organisation.id))
    }
    rows = []
    for customer_ledger_id, invoices in _overdue(session, organisation.id, day).items():
        customer_id = customers.get(customer_ledger_id)
        if customer_id is None:
            continue
        overdue = [
            OverdueInvoice(i.ledger_id, i.number, i.currency, Decimal(i.amount_due), i.due_on)
            for i in invoices
        ]
        for fee in fees_due(overdue, decision, day, excluded):
            rows.append(_row(organisation.id, customer_id, fee, terms.review))
    if not rows:
        return []
    table = LateFee.__table__
    written: list[int] = []
    for start in range(0, len(rows), INSERT_PAGE):  # pages: SQLite caps a statement's parameters
        written.extend(
            session.scalars(
                dialect_insert(session)(table)
                .values(rows[start : start + INSERT_PAGE])
                .on_conflict_do_nothing(
                    index_elements=["organisation_id", "invoice_ledger_id", "kind", "period_start"]
                )
                .returning(table.c.id)
            )
        )
    if written:
        log.info("fees.proposed", organisation=organisation.id, fees=len(written), day=day.isoformat())
    if terms.review:
        return []
    for fee_id in written:
        fee_row = session.get(LateFee, fee_id)
        assert fee_row is not None
        _audit(session, fee_row, "fee.approved", None, automatic=True)
    return [partial(queue_raise, fee_id) for fee_id in written]


def _row(organisation_id: int, customer_id: int, fee: FeeDue, review: bool) -> dict[str, object]:
    return {
        "organisation_id": organisation_id,
        "customer_id": customer_id,
        "invoice_ledger_id": fee.invoice_ledger_id,
        "invoice_number": fee.invoice_number,
        "kind": fee.kind.value,
        "period_start": fee.period_start,
        "period_end": fee.period_end,
        "currency": fee.currency,
        "amount": fee.amount,
        "balance": fee.balance,
        "rate": fee.rate,
        "status": (FeeStatus.PROPOSED if review else FeeStatus.APPROVED).value,
        "reason": "",
        "attempts": 0,
        "fee_invoice_number": "",
        "created_at": clock.now(),
        "decided_at": None if review else clock.now(),
    }


def _audit(session: Session, fee: LateFee, what: str, user_id: int | None, **details: object) -> None:
    customer = session.get(Customer, fee.customer_id)
    record(
        session,
        fee.organisation_id,
        what,
        subject_of(customer) if customer is not None else "",
        user_id,
        fee_id=fee.id,
        invoice=fee.invoice_number or fee.invoice_ledger_id,
        kind=fee.kind,
        period=fee.period_start.isoformat(),
        amount=str(fee.amount),
        currency=fee.currency,
        **details,
    )


class NotAllowed(Exception):
    """The fee is no longer where the move starts from (someone else decided first)."""


def _move(session: Session, fee: LateFee, from_: tuple[str, ...], to: FeeStatus, **values: object) -> None:
    moved = session.execute(
        update(LateFee)
        .where(LateFee.id == fee.id, LateFee.status.in_(from_))
        .values(status=to.value, **values)
    )
    if not getattr(moved, "rowcount", 0):
        session.rollback()
        raise NotAllowed(fee.status)
    session.refresh(fee)


def approve(session: Session, fee: LateFee, user_id: int | None) -> None:
    """A person approved the fee: it is raised in the ledger now, by its job."""
    _move(
        session,
        fee,
        (FeeStatus.PROPOSED.value,),
        FeeStatus.APPROVED,
        decided_by_user_id=user_id,
        decided_at=clock.now(),
    )
    _audit(session, fee, "fee.approved", user_id)
    session.commit()
    queue_raise(fee.id)


def skip(session: Session, fee: LateFee, user_id: int | None, reason: str = "") -> None:
    """A person decided not to charge it: it stays skipped (the same fee is never proposed again)."""
    reason = (reason or "skipped by a person")[:500]
    _move(
        session,
        fee,
        (FeeStatus.PROPOSED.value, FeeStatus.INTERRUPTED.value, FeeStatus.FAILED.value),
        FeeStatus.SKIPPED,
        decided_by_user_id=user_id,
        decided_at=clock.now(),
        reason=reason,
    )
    _audit(session, fee, "fee.skipped", user_id, reason=reason)
    session.commit()


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
    _audit(
        session, fee, "fee.raised", fee.decided_by_user_id, fee_invoice=created.number or created.ledger_id
    )
    notes = record_invoice_notes(
        session,
        customer,
        [fee.invoice_ledger_id],
        f"Relance raised late fee invoice {created.number or created.ledger_id} "
        f"({Decimal(fee.amount):.2f} {fee.currency}) for this invoice.",
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


def fees_to_name(session: Session, customer_id: int) -> list[LateFee]:
    """The customer's raised fees no reminder has named yet (the next one names them)."""
    return list(
        session.scalars(
            select(LateFee)
            .where(
                LateFee.customer_id == customer_id,
                LateFee.status == FeeStatus.RAISED.value,
                LateFee.named_in_action_id.is_(None),
            )
            .order_by(LateFee.raised_at, LateFee.id)
        )
    )


def turn_on_for_demo(session: Session, organisation_id: int) -> bool:
    """The demo's terms (2% a month after 7 days' grace, each fee reviewed), for an organisation
    that never set any; False if it has terms already."""
    if session.get(FeeTerms, organisation_id) is not None:
        return False
    terms = terms_for(session, organisation_id)
    terms.enabled, terms.grace_days = True, 7
    session.add(terms)
    record(session, organisation_id, "settings.changed", "late fees", None, enabled="True", grace_days="7")
    session.commit()
    return True


def propose_now(organisation_id: int) -> int:
    """Job: the fees due today for one organisation, proposed now whatever the hour (the demo; the
    daily run does this before planning). Returns how many fees wait or were approved."""
    session = db.session()
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        return 0
    after = propose_fees(session, organisation, clock.today(organisation.timezone))
    session.commit()
    for then in after:
        then()
    return int(
        session.scalar(
            select(func.count(LateFee.id)).where(
                LateFee.organisation_id == organisation_id,
                LateFee.status.in_([FeeStatus.PROPOSED.value, FeeStatus.APPROVED.value]),
            )
        )
        or 0
    )


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
