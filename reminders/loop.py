"""Where the collections loop's features plug into the day and into the sync.

Two moments, each an explicit list of steps (a feature adds its step here, nowhere else):

- ``after_account_changes``: the sync saw these customers' accounts change (a payment, a credit
  note, a new invoice). A promise is kept, a hold lifts, a dispute closes by a credit note, a
  discounted payment is settled, here. Run by ``react_to_account_changes``, a periodic job that
  takes what ``sync.changes`` noted, so it runs after every sync and webhook that wrote the mirror,
  and nothing is lost if it was down.
- ``before_planning``: once a business day per organisation, at its send time, just before the
  planner decides the day's reminders (``reminders.dispatch.outbox.plan_if_due``): promises whose
  day passed are broken, holds are evaluated, fees fall due, and the planner then sees all of it.
  A person's "plan now" runs them too, so a day step must be idempotent (its records' unique keys
  make a second run that day do nothing).

Each step takes the session, the organisation and its day (or the customers changed) and may keep
team notices and ledger writes; the caller commits, then queues what the steps returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from runtime.db import db
from runtime.logs import get_logger
from runtime.tenancy import Organisation
from sync.changes import organisations_with_changes, take_changes
from sync.models import Customer

log = get_logger(__name__)

# Something a step leaves to do once its transaction commits (queue a notice, a ledger write).
AfterCommit = Callable[[], None]
ChangeStep = Callable[[Session, Organisation, Sequence[Customer]], list[AfterCommit]]
DayStep = Callable[[Session, Organisation, date], list[AfterCommit]]


def change_steps() -> list[ChangeStep]:
    """The steps run for customers whose accounts changed, in order."""
    from reminders import holds
    from reminders.discounts import settle_discounted_payments
    from reminders.dispute_credits import close_settled_disputes
    from reminders.promises import keep_promises

    # Disputes and promises first: the holds' rules then see the account as they left it (an
    # invoice no longer disputed, a promise kept).
    return [close_settled_disputes, keep_promises, settle_discounted_payments, holds.change_step]


def day_steps() -> list[DayStep]:
    """The steps run each business day before the planner, in order."""
    from reminders import holds
    from reminders.fees.proposing import propose_fees
    from reminders.promises import break_promises

    # Promises first: a promise broken today can put the account on hold today.
    return [break_promises, propose_fees, holds.day_step]


def react_to_account_changes() -> int:
    """Periodic job: run the change steps for every organisation whose mirror saw accounts change;
    returns how many customers were looked at."""
    session = db.session()
    looked_at = 0
    for organisation_id in organisations_with_changes(session):
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            continue
        ledger_ids = take_changes(session, organisation_id)
        customers = list(
            session.scalars(
                select(Customer).where(
                    Customer.organisation_id == organisation_id, Customer.ledger_id.in_(ledger_ids)
                )
            )
        )
        after: list[AfterCommit] = []
        for step in change_steps():
            after.extend(step(session, organisation, customers))
        session.commit()  # the changes are taken with what the steps kept, or neither
        for then in after:
            then()
        looked_at += len(customers)
    return looked_at


def before_planning(session: Session, organisation: Organisation, day: date) -> None:
    """Run the day steps for the organisation (called by the planner's daily run), committing what
    they kept before the planner reads it."""
    after: list[AfterCommit] = []
    for step in day_steps():
        after.extend(step(session, organisation, day))
    session.commit()
    for then in after:
        then()
