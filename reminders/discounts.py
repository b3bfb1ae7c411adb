"""Early-payment discounts: terms like 3/10 net 30, named in the before-due note, and the rest of an
invoice credited in the ledger when the customer pays the discounted amount in time.

"3/10 net 30" reads: the invoice is due in full 30 days after its date, and 3% may be taken off if
it is paid within 10 days of that date (collections.md in the team's references: "3% off if paid
within 10 days, otherwise the full amount within 30"; the same reading of 2/10 net 30 at
https://homeshake.us/business-finance/2-10-net-30-payment-terms-904f927d6cd28e8e). The discount is
Relance's choice on the invoice's total as sent, tax included, since that total is what the
customer pays; day 10 itself still counts.

Which invoices. An organisation's terms apply, by its choice, to every invoice, or only to those
whose own terms match: invoices due ``net_days`` after their date (Xero keeps no terms on an
invoice, only its due date, so the match is made on the due date, the same for both ledgers). The
default is the match: offering 3% on an invoice raised on other terms would surprise its sender.

Settling. When the sync sees an invoice whose payments applied by the deadline reach the
discounted amount (within a cent) and whose rest is no more than the discount, the change step
keeps a :class:`DiscountSettlement` (one per invoice, so a second sight of the same payment does
nothing), and ``credit_the_rest`` raises one credit note for the rest in the ledger. The job takes
the row (status ``crediting``, committed) before the ledger call, and the call carries the
settlement's key, which the ledger's idempotency (Xero's Idempotency-Key, QuickBooks' requestid)
turns into "the same credit note again" if the job ever runs twice: the rest is credited once.
A payment made late, or short, leaves the invoice to the ordinary reminders.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Protocol

from rq import get_current_job
from sqlalchemy import Boolean, ForeignKey, Numeric, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from runtime import clock, jobs
from runtime.db import Base, db
from runtime.logs import get_logger
from runtime.tenancy import Organisation, record
from sync.models import Allocation, Customer, Invoice

log = get_logger(__name__)

CENT = Decimal("0.01")
SETTLED_ACTION = "discount.settled"
TERMS_ACTION = "discount.terms"
CREDIT_SOURCES = ("credit_note",)  # allocations that are not money received
# How long a kept settlement is left to the job queued with it before the sweep queues it again.
PENDING_GRACE = timedelta(minutes=10)


class AppliesTo:
    MATCHING = "matching"  # invoices due net_days after their date
    ALL = "all"


class SettlementStatus:
    PENDING = "pending"  # kept, the credit note not asked for yet
    CREDITING = "crediting"  # taken by the job; the ledger call is under way or was interrupted
    CREDITED = "credited"
    NOT_NEEDED = "not_needed"  # the ledger no longer shows the rest owed
    FAILED = "failed"


class DiscountTerms(Base):
    """An organisation's early-payment discount terms; off until someone turns them on."""

    __tablename__ = "discount_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("2"))
    days: Mapped[int] = mapped_column(default=10)
    net_days: Mapped[int] = mapped_column(default=30)
    applies_to: Mapped[str] = mapped_column(String(16), default=AppliesTo.MATCHING)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

    @property
    def label(self) -> str:
        """The terms as the trade writes them: "3/10 net 30"."""
        return f"{self.percent.normalize():f}/{self.days} net {self.net_days}"


class DiscountSettlement(Base):
    """An invoice paid at its discounted amount in time, and the credit note that closes it."""

    __tablename__ = "discount_settlements"
    __table_args__ = (UniqueConstraint("organisation_id", "invoice_ledger_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    invoice_ledger_id: Mapped[str] = mapped_column(String(64))
    invoice_number: Mapped[str] = mapped_column(String(64), default="")
    currency: Mapped[str] = mapped_column(String(3))
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    deadline: Mapped[date]
    paid: Mapped[Decimal]
    credit: Mapped[Decimal]
    key: Mapped[str] = mapped_column(String(32), unique=True)  # the ledger write's idempotency key
    status: Mapped[str] = mapped_column(String(16), default=SettlementStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    credit_note_ledger_id: Mapped[str | None] = mapped_column(String(64), default=None)
    credit_note_number: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    credited_at: Mapped[datetime | None] = mapped_column(default=None)


# --- the terms, pure ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """The discount an invoice carries: pay ``discounted`` by ``deadline`` instead of its total."""

    percent: Decimal
    deadline: date
    discount: Decimal
    discounted: Decimal


def terms_for(session: Session, organisation_id: int) -> DiscountTerms | None:
    """The organisation's terms if they are on, else None."""
    terms = session.scalar(select(DiscountTerms).where(DiscountTerms.organisation_id == organisation_id))
    return terms if terms is not None and terms.enabled and terms.percent > 0 else None


def offer_for(
    terms: DiscountTerms | None, issued_on: date, due_on: date | None, total: Decimal
) -> Offer | None:
    """The discount the terms give an invoice, or None when they do not apply to it."""
    if terms is None or not terms.enabled or total <= 0:
        return None
    if terms.applies_to == AppliesTo.MATCHING and (
        due_on is None or (due_on - issued_on).days != terms.net_days
    ):
        return None
    discount = (total * terms.percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return Offer(terms.percent, issued_on + timedelta(days=terms.days), discount, total - discount)


def open_offer(
    terms: DiscountTerms | None,
    issued_on: date,
    due_on: date | None,
    total: Decimal,
    amount_due: Decimal,
    today: date,
) -> Offer | None:
    """The offer a reminder may still state today: the deadline not passed, nothing paid yet."""
    offer = offer_for(terms, issued_on, due_on, total)
    if offer is None or today > offer.deadline or amount_due != total:
        return None
    return offer


def settles(offer: Offer, paid_by_deadline: Decimal, amount_due: Decimal) -> bool:
    """Whether money applied by the deadline takes the discount: at least the discounted amount
    (within a cent), and what is left owed no more than the discount (within a cent)."""
    return (
        amount_due > 0 and paid_by_deadline >= offer.discounted - CENT and amount_due <= offer.discount + CENT
    )


@dataclass(frozen=True)
class StatedDiscount:
    """What a message says of the open discounts on the invoices it names."""

    percent: Decimal
    deadline: date
    discounted: dict[str, Decimal]  # what to pay by the deadline, by currency


class OwedLike(Protocol):
    """What :func:`stated_discount` reads of an invoice (the mirror's row or a ledger record)."""

    @property
    def issued_on(self) -> date: ...
    @property
    def due_on(self) -> date | None: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def amount_due(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...


def stated_discount(
    session: Session, organisation_id: int, invoices: Iterable[OwedLike], today: date
) -> StatedDiscount | None:
    """The discount a message states for these invoices (the earliest deadline among them, and
    the discounted totals of those with an open offer), or None when none has one."""
    terms = terms_for(session, organisation_id)
    if terms is None:
        return None
    offers = []
    for invoice in invoices:
        offer = open_offer(terms, invoice.issued_on, invoice.due_on, invoice.total, invoice.amount_due, today)
        if offer is not None:
            offers.append((invoice.currency, offer))
    if not offers:
        return None
    totals: dict[str, Decimal] = {}
    for currency, offer in offers:
        totals[currency] = totals.get(currency, Decimal(0)) + offer.discounted
    return StatedDiscount(terms.percent, min(offer.deadline for _, offer in offers), totals)


# --- the change step ---------------------------------------------------------------------------


def settle_discounted_payments(
    session: Session, organisation: Organisation, customers: Sequence[Customer]
) -> list[Callable[[], None]]:
    """Change step: keep a settlement for each of these customers' invoices paid at the discounted
    amount by the deadline; returns the credit-note jobs to queue after the commit."""
    terms = terms_for(session, organisation.id)
    if terms is None or not customers:
        return []
    by_ledger_id = {customer.ledger_id: customer for customer in customers}
    invoices = session.scalars(
        select(Invoice).where(
            Invoice.organisation_id == organisation.id,
            Invoice.customer_ledger_id.in_(list(by_ledger_id)),
            Invoice.status == "open",
            Invoice.amount_due > 0,
            Invoice.amount_paid > 0,
        )
    ).all()
    kept: list[DiscountSettlement] = []
    for invoice in invoices:
        offer = offer_for(terms, invoice.issued_on, invoice.due_on, invoice.total)
        if offer is None:
            continue
        paid = session.scalar(
            select(func.coalesce(func.sum(Allocation.amount), 0)).where(
                Allocation.organisation_id == organisation.id,
                Allocation.invoice_ledger_id == invoice.ledger_id,
                Allocation.active.is_(True),
                Allocation.source_kind.not_in(CREDIT_SOURCES),
                Allocation.applied_on <= offer.deadline,
            )
        )
        if not settles(offer, Decimal(paid or 0), invoice.amount_due):
            continue
        exists = session.scalar(
            select(DiscountSettlement.id).where(
                DiscountSettlement.organisation_id == organisation.id,
                DiscountSettlement.invoice_ledger_id == invoice.ledger_id,
            )
        )
        if exists is not None:
            continue
        settlement = DiscountSettlement(
            organisation_id=organisation.id,
            customer_id=by_ledger_id[invoice.customer_ledger_id].id,
            invoice_ledger_id=invoice.ledger_id,
            invoice_number=invoice.number,
            currency=invoice.currency,
            percent=terms.percent,
            deadline=offer.deadline,
            paid=Decimal(paid or 0),
            credit=invoice.amount_due,
            key=uuid.uuid4().hex,
            status=SettlementStatus.PENDING,
        )
        session.add(settlement)
        kept.append(settlement)
    session.flush()
    return [partial(queue_credit, settlement) for settlement in kept]


def queue_credit(settlement: DiscountSettlement) -> None:
    """Queue the credit note's job (after the transaction that kept the settlement committed)."""
    jobs.enqueue_once(credit_the_rest, settlement.id, job_id=credit_job_id(settlement))


def requeue_pending_credits() -> int:
    """Periodic job: queue the credit of every settlement still pending or interrupted a while
    after it was kept, unless its job waits (kept while Redis was away, a job lost, a worker
    killed mid-call: the key makes the call safe to repeat). Returns how many were queued."""
    session = db.session()
    since = clock.now() - PENDING_GRACE
    waiting = session.scalars(
        select(DiscountSettlement).where(
            DiscountSettlement.status.in_((SettlementStatus.PENDING, SettlementStatus.CREDITING)),
            DiscountSettlement.created_at < since,
        )
    ).all()
    queued = 0
    for settlement in waiting:
        if jobs.enqueue_once(credit_the_rest, settlement.id, job_id=credit_job_id(settlement)) is not None:
            queued += 1
    return queued


def credit_job_id(settlement: DiscountSettlement) -> str:
    """One queued credit per settlement."""
    return f"discount-credit-{settlement.id}"


# --- the job -----------------------------------------------------------------------------------


def credit_the_rest(settlement_id: int) -> None:
    """Raise the credit note for the rest of a discounted invoice in the ledger, once."""
    from integration.connections import Connection, ledger_for
    from reminders.writeback import customer_subject, queue_writes, record_invoice_notes

    session = db.session()
    settlement = session.scalar(
        select(DiscountSettlement).where(DiscountSettlement.id == settlement_id).with_for_update()
    )
    if settlement is None or settlement.status not in (SettlementStatus.PENDING, SettlementStatus.CREDITING):
        session.rollback()
        return
    # Taken before the call: a crash from here on leaves "crediting", and running again sends
    # the same key, which the ledger answers with the credit note it already made.
    resumed = settlement.status == SettlementStatus.CREDITING
    settlement.status = SettlementStatus.CREDITING
    settlement.attempts += 1
    session.commit()
    customer = session.get(Customer, settlement.customer_id)
    connection = session.scalar(
        select(Connection)
        .where(Connection.organisation_id == settlement.organisation_id)
        .order_by(Connection.connected_at.desc(), Connection.id.desc())
        .limit(1)
    )
    try:
        if customer is None or connection is None:
            raise LookupError("the customer or the ledger connection is gone")
        ledger = ledger_for(connection, jobs.connection())
        live = [] if resumed else ledger.invoices_by_id([settlement.invoice_ledger_id])
        if not resumed and (not live or abs(live[0].amount_due - settlement.credit) > CENT):
            # Asked at the last moment: the rest was paid or credited meanwhile. (A resumed
            # attempt may have made the credit note itself: it asks again with the same key.)
            _finish(
                session,
                settlement_id,
                SettlementStatus.NOT_NEEDED,
                "the ledger no longer shows the rest owed",
            )
            return
        description = (
            f"Early-payment discount of {settlement.percent.normalize():f}% on invoice "
            f"{settlement.invoice_number or settlement.invoice_ledger_id}, paid by {settlement.deadline.isoformat()}"
        )
        note = ledger.create_credit_note(
            customer.ledger_id,
            settlement.invoice_ledger_id,
            settlement.credit,
            settlement.currency,
            description,
            key=settlement.key,
        )
    except Exception as error:
        session.rollback()
        _count_failure(session, settlement_id, error)
        raise
    settlement = session.get(DiscountSettlement, settlement_id)
    assert settlement is not None
    settlement.status = SettlementStatus.CREDITED
    settlement.credit_note_ledger_id = note.ledger_id
    settlement.credit_note_number = note.number
    settlement.credited_at = clock.now()
    settlement.last_error = ""
    record(
        session,
        settlement.organisation_id,
        SETTLED_ACTION,
        customer_subject(settlement.customer_id),
        None,
        invoice=settlement.invoice_number or settlement.invoice_ledger_id,
        paid=str(settlement.paid),
        credited=str(settlement.credit),
        currency=settlement.currency,
        credit_note=note.number or note.ledger_id,
    )
    notes = record_invoice_notes(
        session,
        customer,
        [settlement.invoice_ledger_id],
        f"Relance: paid {settlement.paid} {settlement.currency} by {settlement.deadline.isoformat()}, the "
        f"early-payment price ({settlement.percent.normalize():f}% off); the rest, {settlement.credit} "
        f"{settlement.currency}, is credited by credit note {note.number or note.ledger_id}.",
        seed=f"discount:{settlement.key}",
    )
    session.commit()
    queue_writes(notes)
    log.info("discount.credited", settlement=settlement_id, organisation=settlement.organisation_id)


def _finish(session: Session, settlement_id: int, status: str, reason: str) -> None:
    settlement = session.get(DiscountSettlement, settlement_id)
    if settlement is not None:
        settlement.status = status
        settlement.last_error = reason
    session.commit()


def _count_failure(session: Session, settlement_id: int, error: Exception) -> None:
    """Keep why this attempt failed; failed for good once RQ has no retry left."""
    job = get_current_job()
    retries_left = job.retries_left if job is not None else None
    settlement = session.get(DiscountSettlement, settlement_id)
    if settlement is None:
        return
    settlement.last_error = f"{type(error).__name__}: {error}"[:500]
    if not retries_left:
        settlement.status = SettlementStatus.FAILED
    session.commit()
