"""Promises to pay (issue: promises, disputes, credit holds, late fees). Not built yet.

What will live here: a promise as a dated record (amount, date, invoices, who recorded it: a person,
a call outcome or the customer in the portal) that pauses reminders for its invoices until the date
plus a grace period, then is kept or broken; a broken promise moves the customer to the next firmer
stage and counts in its risk class.

The seam the planner and the last-moment check already ask: ``promised_invoices``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session


def promised_invoices(session: Session, organisation_id: int, today: date) -> set[str]:
    """The ledger ids of invoices a promise to pay covers today (reminders for them pause).
    No promises are recorded yet: none."""
    return set()


def broken_promise_since(session: Session, organisation_id: int, customer_id: int, since: date) -> bool:
    """Whether the customer broke a promise to pay on or after ``since`` (a credit-hold rule).

    No promises are recorded yet: False. The promises feature answers it from its Promise
    records (status "broken"); the credit holds ask only this."""
    return False
