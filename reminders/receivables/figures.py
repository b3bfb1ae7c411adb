"""The key figures of a receivables ledger, from the mirror, in SQL.

Formulas (all amounts in the organisation's base currency, a period of ``days`` ending on
``as_of``):

- **DSO** (days sales outstanding) = receivables on ``as_of`` / credit sales in the period x
  days. The "simple" DSO most small-business tools show; ``None`` without sales in the period.
- **CEI** (collection effectiveness index) = (receivables at the start + credit sales -
  receivables at the end) / (receivables at the start + credit sales - current receivables at
  the end) x 100: how much of what could be collected was.
- **Share over 90 days** = what is more than 90 days past due / all receivables.
- Per customer, over paid invoices: **average days to pay** (issue to payment) and **average days
  beyond terms** (due date to payment), and how many were paid late. An invoice's payment day is
  the ledger's fully-paid date, or else the day of the last money applied to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Date, Subquery, and_, case, func, literal, select
from sqlalchemy.orm import Session

from integration.ledger import InvoiceStatus
from reminders.receivables.aging import AgingView, Buckets, aging_totals, cents, days_between
from sync.models import Allocation, Invoice

ZERO = Decimal("0")
OVER_90 = Buckets((90,))  # current, 1-90 days past due, over 90


@dataclass(frozen=True)
class KeyFigures:
    as_of: date
    days: int
    receivables: Decimal
    credit_sales: Decimal
    dso: Decimal | None
    cei: Decimal | None
    over_90_share: Decimal | None


@dataclass(frozen=True)
class PaymentBehaviour:
    customer_ledger_id: str
    invoices_paid: int
    paid_late: int
    average_days_to_pay: Decimal
    average_days_beyond_terms: Decimal


def credit_sales(session: Session, organisation_id: int, after: date, until: date) -> Decimal:
    """Sales invoiced in (after, until], in base currency."""
    return credit_sales_in(session, organisation_id, [(after, until)])[0]


def credit_sales_in(
    session: Session, organisation_id: int, periods: list[tuple[date, date]]
) -> list[Decimal]:
    """The sales invoiced in each period (after, until], in base currency, from one query."""
    sale = Invoice.total * func.coalesce(Invoice.currency_rate, 1)
    totals = session.execute(
        select(
            *(
                func.sum(case((and_(Invoice.issued_on > after, Invoice.issued_on <= until), sale), else_=0))
                for after, until in periods
            )
        ).where(
            Invoice.organisation_id == organisation_id,
            Invoice.status.in_([InvoiceStatus.OPEN.value, InvoiceStatus.PAID.value]),
            Invoice.issued_on > min(after for after, _ in periods),
            Invoice.issued_on <= max(until for _, until in periods),
        )
    ).one()
    return [cents(total) for total in totals]


def key_figures(session: Session, organisation_id: int, as_of: date, days: int = 90) -> KeyFigures:
    start = as_of - timedelta(days=days)
    # One bucket edge at 90 days: [current, 1-90, over 90]; both days' agings in one pass.
    end, beginning = aging_totals(
        session, organisation_id, [AgingView(as_of, buckets=OVER_90), AgingView(start, buckets=OVER_90)]
    )
    return figures_of(
        as_of, days, end, sum(beginning, ZERO), credit_sales(session, organisation_id, start, as_of)
    )


def figures_of(as_of: date, days: int, end: list[Decimal], beginning: Decimal, sales: Decimal) -> KeyFigures:
    """The key figures from the aging totals at the period's end (current, 1-90, over 90), the
    receivables at its start and the credit sales in it."""
    receivables, current = sum(end, ZERO), end[0]
    dso = days_sales_outstanding(receivables, sales, days)
    collectable = beginning + sales - current
    cei = (
        ((beginning + sales - receivables) / collectable * 100).quantize(Decimal("0.1"))
        if collectable
        else None
    )
    over_90 = (end[2] / receivables).quantize(Decimal("0.0001")) if receivables else None
    return KeyFigures(as_of, days, receivables, sales, dso, cei, over_90)


def days_sales_outstanding(receivables: Decimal, sales: Decimal, days: int) -> Decimal | None:
    """DSO: receivables / credit sales of the period x its days; None without sales."""
    return (receivables / sales * days).quantize(Decimal("0.1")) if sales else None


def paid_day(organisation_id: int) -> tuple[Subquery, ColumnElement[date]]:
    """(subquery, expression): the day each invoice was paid, the ledger's fully-paid date or else
    the day of the last money applied to it; join the subquery on ``invoice_ledger_id``."""
    last_money = (
        select(Allocation.invoice_ledger_id, func.max(Allocation.applied_on).label("paid_on"))
        .where(Allocation.organisation_id == organisation_id, Allocation.active.is_(True))
        .group_by(Allocation.invoice_ledger_id)
        .subquery()
    )
    return last_money, func.coalesce(Invoice.fully_paid_on, last_money.c.paid_on)


def payment_behaviour(
    session: Session, organisation_id: int, as_of: date, months: int = 12
) -> list[PaymentBehaviour]:
    """How each customer paid the invoices settled in the ``months`` before ``as_of``."""
    last_money, paid_on = paid_day(organisation_id)
    to_pay = days_between(session, paid_on, Invoice.issued_on)
    beyond = days_between(session, paid_on, func.coalesce(Invoice.due_on, Invoice.issued_on))
    since = literal(as_of - timedelta(days=round(months * 365.25 / 12)), Date())
    rows = session.execute(
        select(
            Invoice.customer_ledger_id,
            func.count(),
            func.sum(case((beyond > 0, 1), else_=0)),
            func.avg(to_pay),
            func.avg(beyond),
        )
        .select_from(Invoice)
        .outerjoin(last_money, last_money.c.invoice_ledger_id == Invoice.ledger_id)
        .where(
            Invoice.organisation_id == organisation_id,
            Invoice.status == InvoiceStatus.PAID.value,
            paid_on.is_not(None),
            paid_on > since,
            paid_on <= literal(as_of, Date()),
        )
        .group_by(Invoice.customer_ledger_id)
        .order_by(Invoice.customer_ledger_id)
    ).all()
    return [
        PaymentBehaviour(
            customer,
            count,
            int(late or 0),
            Decimal(str(average_to_pay)).quantize(Decimal("0.1")),
            Decimal(str(average_beyond)).quantize(Decimal("0.1")),
        )
        for customer, count, late, average_to_pay, average_beyond in rows
    ]
