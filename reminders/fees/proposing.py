"""Fees proposed by the day step and decided by a person (or not).

- ``propose_fees`` is a day step (reminders/loop.py): it asks ``terms.fees_due`` about the
  organisation's overdue invoices (not the disputed ones, not fee invoices) and inserts one row per
  fee with ``ON CONFLICT DO NOTHING`` on (organisation, invoice, kind, period), so a second run or
  a second worker adds nothing. With review on (the default) the fee waits on the review page;
  with it off the fee is approved at once and its raise queued (reminders.fees.raising).
- ``approve`` / ``skip``: a person's decision, a compare-and-set each.
- ``fees_to_name``: what the customer's next reminder names.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from integration.ledger import (
    InvoiceStatus,
)
from reminders.disputes import disputed_invoices
from reminders.fees.models import FeeStatus, FeeTerms, LateFee
from reminders.fees.terms import FeeDue, OverdueInvoice, Preset, Terms, fees_due
from reminders.writeback import subject_of
from runtime import clock
from runtime.db import db, dialect_insert
from runtime.logs import get_logger
from runtime.tenancy import Organisation, record
from sync.models import Customer, Invoice

log = get_logger(__name__)

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
    from reminders.fees.raising import queue_raise

    for fee_id in written:
        fee_row = session.get(LateFee, fee_id)
        assert fee_row is not None
        audit_fee(session, fee_row, "fee.approved", None, automatic=True)
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


def audit_fee(session: Session, fee: LateFee, what: str, user_id: int | None, **details: object) -> None:
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
    audit_fee(session, fee, "fee.approved", user_id)
    session.commit()
    from reminders.fees.raising import queue_raise

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
    audit_fee(session, fee, "fee.skipped", user_id, reason=reason)
    session.commit()


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
