"""Disputes: an invoice the customer contests leaves chasing until the dispute is closed.

A dispute is a dated record per invoice (who raised it, why, when; how it ended, by whom, when),
with its messages. It is raised by a person (the customer page, a call's outcome) or by the
customer (the portal calls ``raise_dispute(..., source="customer")``), and it ends one of two
ways: a person resolves it with a note, or the ledger settles it with a credit note, which the
sync sees (reminders/dispute_credits.py, a change step of reminders/loop.py).

While it is open the planner and the last-moment check leave its invoice out
(``disputed_invoices``); the rest of the customer's account is chased as before. Raising and
ending it each leave an audit event, a note on the invoice in the ledger, and raising it tells the
team once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from integration.ledger import InvoiceStatus
from reminders.models import LedgerNote
from reminders.team_notices import TeamNotice, money_text, queue_notices, tell_team
from reminders.writeback import customer_subject, queue_writes, record_invoice_notes
from runtime import clock
from runtime.db import Base
from runtime.tenancy import Document, record
from sync.models import Allocation, CreditNote, Customer, Invoice

LONGEST_TEXT = 2000


class DisputeStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # by a person, with a note
    CREDITED = "credited"  # closed by a credit note the sync saw (or the invoice voided)


class Source(StrEnum):
    PERSON = "person"
    CUSTOMER = "customer"


class Dispute(Base):
    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    invoice_ledger_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    raised_by: Mapped[str] = mapped_column(String(16), default="person")  # person | customer
    raised_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    opened_at: Mapped[datetime] = mapped_column(default=clock.now)
    status: Mapped[str] = mapped_column(String(16), default=DisputeStatus.OPEN.value)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    # The credit note that settled it, when the ledger did (its ledger id and the number people see).
    credit_note_ledger_id: Mapped[str | None] = mapped_column(String(64), default=None)
    credit_note_number: Mapped[str] = mapped_column(String(64), default="")
    # The credits ("kind:ledger id" of the allocations) the invoice had when the dispute opened:
    # not its settlement. Kept rather than compared by time, as the ledgers stamp to the second.
    credits_before: Mapped[list[str]] = mapped_column(Document, default=list)


class DisputeMessage(Base):
    """One message on a dispute, from one of the organisation's people or from the customer."""

    __tablename__ = "dispute_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(16))  # person | customer
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(default=clock.now)


class NotDisputable(Exception):
    """The invoice cannot be disputed (not this customer's, not open, already disputed)."""


class AlreadyClosed(Exception):
    """The dispute was closed already (by someone else, or by a credit note)."""


@dataclass
class ToQueue:
    """The ledger notes and team notices a change kept, to queue once the caller commits."""

    notes: list[LedgerNote] = field(default_factory=list)
    notices: list[TeamNotice | None] = field(default_factory=list)

    def __call__(self) -> None:
        queue_writes(self.notes)
        queue_notices(self.notices)


def disputed_invoices(session: Session, organisation_id: int) -> set[str]:
    """The ledger ids of the organisation's invoices with an open dispute."""
    return set(
        session.scalars(
            select(Dispute.invoice_ledger_id).where(
                Dispute.organisation_id == organisation_id, Dispute.resolved_at.is_(None)
            )
        )
    )


def open_disputes(session: Session, organisation_id: int, customer_id: int | None = None) -> list[Dispute]:
    """The organisation's open disputes (of one customer if named), oldest first."""
    query = select(Dispute).where(Dispute.organisation_id == organisation_id, Dispute.resolved_at.is_(None))
    if customer_id is not None:
        query = query.where(Dispute.customer_id == customer_id)
    return list(session.scalars(query.order_by(Dispute.opened_at, Dispute.id)))


def messages_of(session: Session, dispute: Dispute) -> list[DisputeMessage]:
    """A dispute's messages, oldest first."""
    return list(
        session.scalars(
            select(DisputeMessage)
            .where(DisputeMessage.dispute_id == dispute.id)
            .order_by(DisputeMessage.written_at, DisputeMessage.id)
        )
    )


def invoice_of(session: Session, customer: Customer, invoice_ledger_id: str) -> Invoice | None:
    return session.scalar(
        select(Invoice).where(
            Invoice.organisation_id == customer.organisation_id,
            Invoice.ledger_id == invoice_ledger_id,
            Invoice.customer_ledger_id == customer.ledger_id,
        )
    )


def _named(invoice: Invoice | None, invoice_ledger_id: str) -> str:
    return f"invoice {invoice.number}" if invoice is not None and invoice.number else "the invoice"


def credits_on(session: Session, organisation_id: int, invoice_ledger_id: str) -> list[str]:
    """The credits and payments allocated to the invoice in the mirror, as "kind:ledger id"."""
    return sorted(
        f"{kind}:{source}"
        for kind, source in session.execute(
            select(Allocation.source_kind, Allocation.source_ledger_id).where(
                Allocation.organisation_id == organisation_id,
                Allocation.invoice_ledger_id == invoice_ledger_id,
                Allocation.active.is_(True),
            )
        )
    )


def raise_dispute(
    session: Session,
    customer: Customer,
    invoice_ledger_id: str,
    reason: str,
    source: str = Source.PERSON.value,
    user_id: int | None = None,
) -> tuple[Dispute, ToQueue]:
    """Open a dispute on one of ``customer``'s open invoices, in the caller's transaction: the
    invoice leaves chasing, the audit trail and the ledger note say so, and the team is told once.

    ``source`` is "person" (with ``user_id``) or "customer" (the portal). The caller commits, then
    calls the returned ``ToQueue``. Raises NotDisputable.
    """
    source = Source(source).value
    invoice = invoice_of(session, customer, invoice_ledger_id)
    if invoice is None or invoice.status != InvoiceStatus.OPEN.value:
        raise NotDisputable("not an open invoice of this customer")
    if invoice_ledger_id in {
        d.invoice_ledger_id for d in open_disputes(session, customer.organisation_id, customer.id)
    }:
        raise NotDisputable("the invoice is disputed already")
    reason = reason.strip()[:LONGEST_TEXT]
    dispute = Dispute(
        organisation_id=customer.organisation_id,
        customer_id=customer.id,
        invoice_ledger_id=invoice_ledger_id,
        reason=reason,
        raised_by=source,
        raised_by_user_id=user_id if source == Source.PERSON.value else None,
        opened_at=clock.now(),
        status=DisputeStatus.OPEN.value,
        resolution_note="",
        credit_note_number="",
        credits_before=credits_on(session, customer.organisation_id, invoice_ledger_id),
    )
    session.add(dispute)
    session.flush()
    named = _named(invoice, invoice_ledger_id)
    record(
        session,
        customer.organisation_id,
        "dispute.raised",
        customer_subject(customer.id),
        dispute.raised_by_user_id,
        dispute=dispute.id,
        invoice=invoice_ledger_id,
        number=invoice.number,
        reason=reason,
        source=source,
    )
    by = "the customer" if source == Source.CUSTOMER.value else "a person"
    text = f"Relance: {named} disputed by {by} on {clock.today().isoformat()}; reminders for it pause."
    text += f" Reason: {reason}" if reason else ""
    after = ToQueue()
    after.notes = record_invoice_notes(
        session, customer, [invoice_ledger_id], text[:LONGEST_TEXT], f"dispute:{dispute.id}:raised"
    )
    after.notices.append(
        tell_team(
            session,
            customer.organisation_id,
            f"dispute.raised:{dispute.id}",
            "dispute.raised",
            f"{customer.name} disputes {named}",
            f"{customer.name} disputes {named} ({money_text(invoice.amount_due, invoice.currency)}).\n\n"
            f"Reason: {reason or '(none given)'}\n\n"
            "Relance has stopped chasing this invoice until the dispute is resolved; "
            "the rest of the account is chased as before.",
            customer.id,
        )
    )
    return dispute, after


def add_message(
    session: Session,
    dispute: Dispute,
    text: str,
    author: str = Source.PERSON.value,
    user_id: int | None = None,
) -> DisputeMessage:
    """Add a message to an open dispute, from a person (``user_id``) or the customer; the caller
    commits. Raises AlreadyClosed, ValueError for an empty message."""
    if dispute.resolved_at is not None:
        raise AlreadyClosed("the dispute is closed")
    text = text.strip()[:LONGEST_TEXT]
    if not text:
        raise ValueError("an empty message")
    author = Source(author).value
    message = DisputeMessage(
        dispute_id=dispute.id,
        organisation_id=dispute.organisation_id,
        author=author,
        author_user_id=user_id if author == Source.PERSON.value else None,
        text=text,
        written_at=clock.now(),
    )
    session.add(message)
    customer = session.get(Customer, dispute.customer_id)
    invoice = invoice_of(session, customer, dispute.invoice_ledger_id) if customer is not None else None
    record(
        session,
        dispute.organisation_id,
        "dispute.message",
        customer_subject(dispute.customer_id),
        message.author_user_id,
        dispute=dispute.id,
        invoice=dispute.invoice_ledger_id,
        number=invoice.number if invoice is not None else "",
        author=author,
        text=text,
    )
    session.flush()
    return message


def resolve_dispute(session: Session, dispute: Dispute, user_id: int | None, note: str) -> ToQueue:
    """A person resolves an open dispute with a note: chasing of its invoice resumes, the audit
    trail and the ledger say so. The caller commits, then calls the result. Raises AlreadyClosed."""
    return close_dispute(session, dispute, DisputeStatus.RESOLVED, user_id, note.strip()[:LONGEST_TEXT])


def close_dispute(
    session: Session,
    dispute: Dispute,
    status: DisputeStatus,
    user_id: int | None,
    note: str,
    credit: CreditNote | None = None,
) -> ToQueue:
    """Close an open dispute as ``status`` (by ``user_id``, or the ledger's ``credit``), audited
    and noted on the invoice; a settlement by credit tells the team. Raises AlreadyClosed."""
    # Take the row: two people resolving at once, or a person and the sync, close it once.
    locked = session.scalar(select(Dispute).where(Dispute.id == dispute.id).with_for_update())
    if locked is None or locked.resolved_at is not None:
        raise AlreadyClosed("the dispute is closed")
    dispute = locked
    dispute.status, dispute.resolved_at = status.value, clock.now()
    dispute.resolved_by_user_id, dispute.resolution_note = user_id, note
    if credit is not None:
        dispute.credit_note_ledger_id, dispute.credit_note_number = credit.ledger_id, credit.number
    customer = session.get(Customer, dispute.customer_id)
    invoice = invoice_of(session, customer, dispute.invoice_ledger_id) if customer is not None else None
    record(
        session,
        dispute.organisation_id,
        "dispute.resolved",
        customer_subject(dispute.customer_id),
        user_id,
        dispute=dispute.id,
        invoice=dispute.invoice_ledger_id,
        number=invoice.number if invoice is not None else "",
        outcome=status.value,
        note=note,
        credit_note=dispute.credit_note_number or dispute.credit_note_ledger_id or "",
    )
    after = ToQueue()
    if customer is None:
        return after
    named = _named(invoice, dispute.invoice_ledger_id)
    if status is DisputeStatus.CREDITED:
        by = f"credit note {credit.number}" if credit is not None and credit.number else "a credit note"
        if credit is None and invoice is not None and invoice.status == InvoiceStatus.VOIDED.value:
            by = "the invoice being voided"
        text = f"Relance: the dispute on {named} closed on {clock.today().isoformat()}, settled by {by}."
        after.notices.append(
            tell_team(
                session,
                dispute.organisation_id,
                f"dispute.credited:{dispute.id}",
                "dispute.credited",
                f"{customer.name}: the dispute on {named} is settled",
                f"The dispute on {named} of {customer.name} was settled by {by} in the ledger; "
                "Relance has closed it.",
                customer.id,
            )
        )
    else:
        text = f"Relance: the dispute on {named} resolved on {clock.today().isoformat()}; reminders resume."
        text += f" {note}" if note else ""
    after.notes = record_invoice_notes(
        session, customer, [dispute.invoice_ledger_id], text[:LONGEST_TEXT], f"dispute:{dispute.id}:closed"
    )
    return after


def open_dispute_count(session: Session, organisation_id: int) -> int:
    """How many disputes of the organisation are open."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Dispute)
            .where(Dispute.organisation_id == organisation_id, Dispute.resolved_at.is_(None))
        )
        or 0
    )


def dispute_from_call(session: Session, action_id: int, user_id: int, note: str) -> ToQueue | None:
    """A call's outcome was "disputed": open a dispute on the oldest open invoice the call named
    (the one the customer most likely means; a person raises others from the customer page), with
    the call's note as its reason. None when the call named no invoice still open and undisputed.
    The caller commits, then calls the result."""
    from reminders.dispatch.models import ReminderAction

    action = session.get(ReminderAction, action_id)
    if action is None:
        return None
    customer = session.get(Customer, action.customer_id)
    if customer is None:
        return None
    named = list(action.sent_invoice_ledger_ids or action.invoice_ledger_ids or [])
    disputed = disputed_invoices(session, customer.organisation_id)
    oldest = session.scalar(
        select(Invoice)
        .where(
            Invoice.organisation_id == customer.organisation_id,
            Invoice.customer_ledger_id == customer.ledger_id,
            Invoice.ledger_id.in_(named),
            Invoice.status == InvoiceStatus.OPEN.value,
            Invoice.ledger_id.not_in(disputed or {""}),
        )
        .order_by(Invoice.due_on, Invoice.issued_on, Invoice.id)
        .limit(1)
    )
    if oldest is None:
        return None
    reason = note.strip() or f'Disputed on the call "{action.stage_name}".'
    _, after = raise_dispute(session, customer, oldest.ledger_id, reason, Source.PERSON.value, user_id)
    return after
