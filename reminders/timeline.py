"""One customer's timeline: everything that happened to their account, newest first.

Read from the mirror (invoices issued, payments received, credit notes) and from the audit trail
(every event whose subject is the customer: notes today; reminders, calls, promises, disputes and
holds as the issues that record them land). An audit event of a kind the timeline does not know
yet is still shown, as its action and details: nothing recorded about a customer is left out.

The mirror's records are dated, the audit trail's are timed; on one day the audit events come
first (they are what people did about the day's invoices and payments).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from reminders.models import LedgerNote
from reminders.writeback import subject_of
from runtime.tenancy import AuditEvent, User
from sync.models import CreditNote, Customer, Invoice, Payment

LONGEST_TIMELINE = 200


@dataclass(frozen=True)
class TimelineEntry:
    """``kind``: invoice, payment, credit_note, or the audit event's action (``customer.note``, …)."""

    kind: str
    on: date
    at: datetime | None = None  # audit events: when, in the organisation's zone
    number: str = ""
    amount: Decimal | None = None
    currency: str = ""
    status: str = ""
    actor: str = ""  # who did it (a person's name or email); "" for Relance itself
    details: dict[str, Any] | None = None
    note: LedgerNote | None = None  # a note: whether the ledger has it yet

    @property
    def from_audit_trail(self) -> bool:
        return self.at is not None


def timeline_of(
    session: Session, customer: Customer, zone: str, limit: int = LONGEST_TIMELINE
) -> list[TimelineEntry]:
    """The customer's timeline, newest first, at most ``limit`` entries."""
    where = ZoneInfo(zone)
    entries: list[TimelineEntry] = []
    for invoice in session.scalars(
        select(Invoice)
        .where(
            Invoice.organisation_id == customer.organisation_id,
            Invoice.customer_ledger_id == customer.ledger_id,
            Invoice.status.not_in(["draft", "deleted"]),
        )
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        .limit(limit)
    ):
        entries.append(
            TimelineEntry(
                "invoice",
                invoice.issued_on,
                number=invoice.number,
                amount=invoice.total,
                currency=invoice.currency,
                status=invoice.status,
            )
        )
    for payment in session.scalars(
        select(Payment)
        .where(
            Payment.organisation_id == customer.organisation_id,
            Payment.customer_ledger_id == customer.ledger_id,
        )
        .order_by(Payment.received_on.desc(), Payment.id.desc())
        .limit(limit)
    ):
        entries.append(
            TimelineEntry(
                "payment",
                payment.received_on,
                amount=payment.amount,
                currency=payment.currency,
                status=payment.status,
            )
        )
    for credit in session.scalars(
        select(CreditNote)
        .where(
            CreditNote.organisation_id == customer.organisation_id,
            CreditNote.customer_ledger_id == customer.ledger_id,
        )
        .order_by(CreditNote.issued_on.desc(), CreditNote.id.desc())
        .limit(limit)
    ):
        entries.append(
            TimelineEntry(
                "credit_note",
                credit.issued_on,
                number=credit.number,
                amount=credit.total,
                currency=credit.currency,
                status=credit.status,
            )
        )
    events = session.execute(
        select(AuditEvent, User, LedgerNote)
        .outerjoin(User, User.id == AuditEvent.actor_user_id)
        .outerjoin(LedgerNote, LedgerNote.audit_event_id == AuditEvent.id)
        .where(
            AuditEvent.organisation_id == customer.organisation_id, AuditEvent.subject == subject_of(customer)
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    numbers = _numbers_missing(session, customer, [dict(event.details or {}) for event, _, _ in events])
    for event, actor, note in events:
        at = event.occurred_at.astimezone(where)
        details = dict(event.details or {})
        if not details.get("number") and details.get("invoice") in numbers:
            details["number"] = numbers[details["invoice"]]
        entries.append(
            TimelineEntry(
                event.action,
                at.date(),
                at=at,
                actor=(actor.name or actor.email) if actor is not None else "",
                details=details,
                note=note,
            )
        )
    # Newest day first; within a day the audit trail's (newest first), then the mirror's.
    entries.sort(
        key=lambda entry: (entry.on, entry.at is not None, entry.at.timestamp() if entry.at else 0.0),
        reverse=True,
    )
    return entries[:limit]


def _numbers_missing(session: Session, customer: Customer, details: list[dict[str, Any]]) -> dict[str, str]:
    """Invoice numbers, by ledger id, for events that name an invoice by its ledger id alone
    (those recorded before their details carried the number), in one query."""
    wanted = {d["invoice"] for d in details if isinstance(d.get("invoice"), str) and not d.get("number")}
    if not wanted:
        return {}
    return {
        ledger_id: number
        for ledger_id, number in session.execute(
            select(Invoice.ledger_id, Invoice.number).where(
                Invoice.organisation_id == customer.organisation_id,
                Invoice.customer_ledger_id == customer.ledger_id,
                Invoice.ledger_id.in_(wanted),
            )
        )
        if number
    }
