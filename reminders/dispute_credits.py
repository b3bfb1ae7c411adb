"""Disputes the ledger settles: a credit note allocated to the disputed invoice (or the invoice
voided, or credited in full), seen by the sync, closes the dispute naming the credit note.

Run as a change step (reminders/loop.py) for the customers whose accounts the sync saw change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.ledger import InvoiceStatus
from reminders.disputes import AlreadyClosed, Dispute, DisputeStatus, close_dispute, invoice_of, open_disputes
from runtime.tenancy import Organisation
from sync.models import Allocation, CreditNote, Customer, Invoice, Payment


def _settling_credit(
    session: Session, dispute: Dispute, invoice: Invoice | None
) -> tuple[bool, CreditNote | None]:
    """Whether the ledger settled the disputed invoice by credit since the dispute opened, and
    with which credit note.

    Settled: a credit note allocated to it (Xero's Allocations), or, in QuickBooks, where a credit
    memo is applied through a payment of zero whose lines link the memo and the invoice
    (https://docs.breadwinner.com/quickbooks/applying-credit-to-an-invoice,
    https://hub.acctivate.com/articles/credit-applications-in-quickbooks-online), a zero payment
    allocated to it; or the invoice voided, or credited in full. Only what the ledger changed
    after the dispute opened counts: a credit the invoice had before is not the settlement.
    """
    # What the invoice had when the dispute opened is not its settlement: compared by the
    # allocations kept then, not by time (the ledgers stamp their changes to the second, on their
    # own clocks). The time, a second early, is left only for a void or a full credit.
    before = set(dispute.credits_before or ())
    since = dispute.opened_at.replace(microsecond=0) - timedelta(seconds=1)
    allocations = [
        (kind, source)
        for kind, source in session.execute(
            select(Allocation.source_kind, Allocation.source_ledger_id).where(
                Allocation.organisation_id == dispute.organisation_id,
                Allocation.invoice_ledger_id == dispute.invoice_ledger_id,
                Allocation.active.is_(True),
            )
        )
        if f"{kind}:{source}" not in before
    ]
    credit_ids = [source for kind, source in allocations if kind == "credit_note"]
    if credit_ids:
        credit = session.scalar(
            select(CreditNote)
            .where(
                CreditNote.organisation_id == dispute.organisation_id,
                CreditNote.ledger_id.in_(credit_ids),
            )
            .order_by(CreditNote.ledger_updated_at.desc())
            .limit(1)
        )
        if credit is not None:
            return True, credit
    payment_ids = [source for kind, source in allocations if kind == "payment"]
    # Compared here, not in SQL: on SQLite a Numeric column against a Decimal parameter missed it.
    zero_payment = payment_ids and any(
        amount == Decimal(0)
        for amount in session.scalars(
            select(Payment.amount).where(
                Payment.organisation_id == dispute.organisation_id,
                Payment.ledger_id.in_(payment_ids),
                Payment.kind == "payment",
            )
        )
    )
    if zero_payment and invoice is not None:
        # The payment does not name its memo in the mirror: the customer's latest credit applied.
        credit = session.scalar(
            select(CreditNote)
            .where(
                CreditNote.organisation_id == dispute.organisation_id,
                CreditNote.customer_ledger_id == invoice.customer_ledger_id,
                CreditNote.remaining_credit < CreditNote.total,
            )
            .order_by(CreditNote.ledger_updated_at.desc(), CreditNote.id.desc())
            .limit(1)
        )
        return True, credit
    if (
        invoice is not None
        and invoice.ledger_updated_at >= since
        and (
            invoice.status == InvoiceStatus.VOIDED.value
            or (invoice.amount_credited > 0 and invoice.amount_credited >= invoice.total)
        )
    ):
        return True, None
    return False, None


def close_settled_disputes(
    session: Session, organisation: Organisation, customers: Sequence[Customer]
) -> list[Callable[[], None]]:
    """Change step: close the open disputes of these customers whose invoice the ledger settled by
    a credit note (or voided), naming the credit note; the team is told and the ledger noted."""
    after: list[Callable[[], None]] = []
    for customer in customers:
        for dispute in open_disputes(session, organisation.id, customer.id):
            invoice = invoice_of(session, customer, dispute.invoice_ledger_id)
            settled, credit = _settling_credit(session, dispute, invoice)
            if not settled:
                continue
            try:
                after.append(close_dispute(session, dispute, DisputeStatus.CREDITED, None, "", credit))
            except AlreadyClosed:
                continue
    return after
