"""What each customer of an organisation owes today and how late: the customer list's figures.

One grouped pass over today's aging of the organisation's open invoices (the aged receivables'
query, reminders/receivables/aging.py), in its base currency: owed, overdue, the days past due
of the oldest overdue invoice and the bucket of the oldest open one. The customer list joins it
to the customers in SQL (reminders/customers.py), or reads it kept in Redis under the mirror's
version (reminders/receivables/kept_figures.py) so that a page of the list ages nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Subquery, case, func, select
from sqlalchemy.orm import Session

from reminders.receivables.aging import AgingBasis, Buckets, open_invoices


@dataclass(frozen=True)
class CustomerBalance:
    """A customer with something open today (customers owing nothing have none)."""

    owed: Decimal  # base currency
    overdue: Decimal
    oldest_days: int | None  # days past due of the oldest overdue invoice; None: nothing overdue
    bucket: int  # position in the buckets of the oldest open invoice (0: "current")


def balances_query(
    session: Session, organisation_id: int, today: date, basis: AgingBasis, buckets: Buckets
) -> Subquery:
    """The grouped SELECT: a row per customer ledger id with ``owed``, ``overdue``, ``oldest``, ``bucket``."""
    items = open_invoices(session, organisation_id, today, basis, buckets).subquery()
    return (
        select(
            items.c.customer.label("customer"),
            func.sum(items.c.base_balance).label("owed"),
            func.sum(case((items.c.days > 0, items.c.base_balance), else_=0)).label("overdue"),
            func.max(case((items.c.days > 0, items.c.days))).label("oldest"),
            func.max(items.c.bucket).label("bucket"),
        )
        .group_by(items.c.customer)
        .subquery()
    )


def customer_balances(
    session: Session, organisation_id: int, today: date, basis: AgingBasis, buckets: Buckets
) -> dict[str, CustomerBalance]:
    """Each customer's balance today, by the customer's ledger id."""
    balances = balances_query(session, organisation_id, today, basis, buckets)
    return {
        row.customer: CustomerBalance(
            owed=Decimal(row.owed),
            overdue=Decimal(row.overdue),
            oldest_days=row.oldest,
            bucket=row.bucket,
        )
        for row in session.execute(select(balances))
    }
