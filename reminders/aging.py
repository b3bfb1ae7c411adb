"""Aging: what each customer owes, by how long past due, as of a date, computed in SQL.

An invoice's open balance on a date is its total less the payments, credit notes, overpayments
and prepayments applied to it on or before that date (the mirror's allocations), so the same
query ages today and any day in the past. Invoices not yet issued on that date, drafts, voided
and deleted invoices owe nothing. Amounts are summed in each invoice's currency and in the
organisation's base currency (the ledger's rate kept on the invoice).

Buckets are counted in days past the due date (or, as some accountants prefer, past the invoice
date): "current" is not yet due (or due that very day); then 1-30, 31-60, 61-90, 91-120 and over
120 by default, each organisation choosing its own edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, Integer, case, cast, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from integration.ledger import InvoiceStatus
from sync.models import Allocation, Invoice

DEFAULT_EDGES = (30, 60, 90, 120)
ZERO = Decimal("0")
CENT = Decimal("0.01")


class AgingBasis(StrEnum):
    DUE_DATE = "due_date"
    INVOICE_DATE = "invoice_date"


@dataclass(frozen=True)
class Buckets:
    """Upper edges in days past due: (30, 60, 90, 120) gives current, 1-30, …, 91-120, 120+."""

    edges: tuple[int, ...] = DEFAULT_EDGES

    def __post_init__(self) -> None:
        if not self.edges or list(self.edges) != sorted(set(self.edges)) or self.edges[0] < 1:
            raise ValueError("bucket edges must be increasing whole days, the first at least 1")

    @property
    def labels(self) -> tuple[str, ...]:
        lower = [1, *(edge + 1 for edge in self.edges[:-1])]
        middle = [f"{low}-{high}" for low, high in zip(lower, self.edges, strict=True)]
        return ("current", *middle, f"over {self.edges[-1]}")

    def index(self, days_past_due: int) -> int:
        """The bucket of a number of days past due (Python's version of the SQL CASE)."""
        if days_past_due <= 0:
            return 0
        for position, edge in enumerate(self.edges, start=1):
            if days_past_due <= edge:
                return position
        return len(self.edges) + 1


@dataclass
class CustomerAging:
    customer_ledger_id: str
    # Base currency, per bucket (same order as Buckets.labels).
    amounts: list[Decimal]
    invoices: int = 0
    # In each invoice currency: {"EUR": Decimal(...)}.
    by_currency: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO)


@dataclass
class AgingReport:
    organisation_id: int
    as_of: date
    labels: tuple[str, ...]
    customers: list[CustomerAging]

    @property
    def totals(self) -> list[Decimal]:
        return [sum((c.amounts[i] for c in self.customers), ZERO) for i in range(len(self.labels))]

    @property
    def total(self) -> Decimal:
        return sum(self.totals, ZERO)


def days_between(
    session: Session, later: ColumnElement[date], earlier: ColumnElement[date]
) -> ColumnElement[int]:
    """Whole days from ``earlier`` to ``later``, in the database's own date arithmetic."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier  # PostgreSQL: date - date is an integer number of days


def open_invoices(session: Session, organisation_id: int, as_of: date, basis: AgingBasis, buckets: Buckets):  # type: ignore[no-untyped-def]
    """SELECT of every invoice with something owing on ``as_of``: its balance and bucket."""
    applied = (
        select(Allocation.invoice_ledger_id, func.sum(Allocation.amount).label("applied"))
        .where(
            Allocation.organisation_id == organisation_id,
            Allocation.active.is_(True),
            Allocation.applied_on <= as_of,
        )
        .group_by(Allocation.invoice_ledger_id)
        .subquery()
    )
    balance = Invoice.total - func.coalesce(applied.c.applied, 0)
    on = literal(as_of, Date())
    reference = (
        Invoice.issued_on
        if basis == AgingBasis.INVOICE_DATE
        else func.coalesce(Invoice.due_on, Invoice.issued_on)
    )
    days = days_between(session, on, reference)
    bucket = case(
        (days <= 0, 0),
        *((days <= edge, position) for position, edge in enumerate(buckets.edges, start=1)),
        else_=len(buckets.edges) + 1,
    )
    rate = func.coalesce(Invoice.currency_rate, 1)
    return (
        select(
            Invoice.customer_ledger_id.label("customer"),
            Invoice.currency.label("currency"),
            balance.label("balance"),
            (balance * rate).label("base_balance"),
            bucket.label("bucket"),
        )
        .select_from(Invoice)
        .outerjoin(applied, applied.c.invoice_ledger_id == Invoice.ledger_id)
        .where(
            Invoice.organisation_id == organisation_id,
            Invoice.status.in_([InvoiceStatus.OPEN.value, InvoiceStatus.PAID.value]),
            Invoice.issued_on <= as_of,
            balance > 0,
        )
    )


def aging_report(
    session: Session,
    organisation_id: int,
    as_of: date,
    basis: AgingBasis = AgingBasis.DUE_DATE,
    buckets: Buckets = Buckets(),
) -> AgingReport:
    """Every customer's open balance per bucket on ``as_of``; the sums are SQL's, not Python's."""
    invoices = open_invoices(session, organisation_id, as_of, basis, buckets).subquery()
    rows = session.execute(
        select(
            invoices.c.customer,
            invoices.c.bucket,
            invoices.c.currency,
            func.sum(invoices.c.balance),
            func.sum(invoices.c.base_balance),
            func.count(),
        )
        .group_by(invoices.c.customer, invoices.c.bucket, invoices.c.currency)
        .order_by(invoices.c.customer)
    ).all()
    width = len(buckets.edges) + 2
    customers: dict[str, CustomerAging] = {}
    for customer, bucket, currency, balance, base_balance, count in rows:
        aging = customers.setdefault(customer, CustomerAging(customer, [ZERO] * width))
        aging.amounts[bucket] += _money(base_balance)
        aging.by_currency[currency] = aging.by_currency.get(currency, ZERO) + _money(balance)
        aging.invoices += count
    return AgingReport(organisation_id, as_of, buckets.labels, list(customers.values()))


def _money(value: Decimal | float | int | None) -> Decimal:
    """A sum from the database as money to the cent (SQLite hands back floats for NUMERIC)."""
    return Decimal(str(value or 0)).quantize(CENT)
