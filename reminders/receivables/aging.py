"""Aging: what each customer owes, by how long past due, as of a date, computed in SQL.

An invoice's open balance on a date is its total less the payments, credit notes, overpayments
and prepayments applied to it on or before that date (the mirror's allocations), so the same
query ages today and any day in the past. The database keeps each invoice's allocations summed
on the invoice (``Invoice.applied``, with the day of the latest, ``applied_through``), so a
balance on a day is ``total - applied`` plus only what was applied after that day: today's aging
reads the invoices alone, and a past day's joins just the allocations made since. Invoices not yet issued on that date, drafts, voided
and deleted invoices owe nothing. Amounts are summed in each invoice's currency and in the
organisation's base currency (the ledger's rate kept on the invoice).

The aged receivables the ledgers print also net off what customers have paid or been credited
and not yet used: unapplied credit notes, overpayments and prepayments (Xero), credit memos and
unapplied payments (QuickBooks). ``aging_report(..., credits=True)`` includes them as negative
amounts aged from their own date; see reminders/receivables/report.py for how each ledger reports them.

Buckets are counted in days past the due date (or, as some accountants prefer, past the invoice
date): "current" is not yet due (or due that very day); then 1-30, 31-60, 61-90, 91-120 and over
120 by default, each organisation choosing its own edges.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    Integer,
    Select,
    SQLColumnExpression,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import NullType

from integration.ledger import InvoiceStatus, RecordStatus
from sync.models import Allocation, CreditNote, Invoice, Payment

DEFAULT_EDGES = (30, 60, 90, 120)
ZERO = Decimal("0")
CENT = Decimal("0.01")
# Open means more than this: SQLite computes in binary floating point, where 100 - 99.99 - 0.01 is
# 1e-15 and not 0; money is kept to four places, so anything real is at least 0.0001.
OPEN_ABOVE = Decimal("0.00005")


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


class ItemKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    # A payment's unapplied money: Xero's overpayments and prepayments, QuickBooks' unapplied payments.
    OVERPAYMENT = "overpayment"
    PREPAYMENT = "prepayment"
    PAYMENT = "payment"


@dataclass
class CustomerAging:
    customer_ledger_id: str
    # Base currency, per bucket (same order as Buckets.labels).
    amounts: list[Decimal]
    invoices: int = 0
    # In each transaction currency, per bucket: {"EUR": [Decimal(...), ...]}.
    by_currency: dict[str, list[Decimal]] = field(default_factory=dict)

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
    session: Session, later: SQLColumnExpression[date | None], earlier: SQLColumnExpression[date | None]
) -> ColumnElement[int]:
    """Whole days from ``earlier`` to ``later``, in the database's own date arithmetic."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    # PostgreSQL: date - date is an integer number of days.
    return later - earlier  # type: ignore[return-value]  # typed as a date; Date - Date is an Integer in SQLAlchemy


def _bucket(days: ColumnElement[int], buckets: Buckets) -> ColumnElement[int]:
    return case(
        (days <= 0, 0),
        *((days <= edge, position) for position, edge in enumerate(buckets.edges, start=1)),
        else_=len(buckets.edges) + 1,
    )


def _item_columns(
    session: Session,
    as_of: date,
    buckets: Buckets,
    *,
    customer: SQLColumnExpression[str],
    kind: SQLColumnExpression[str],
    ledger_id: SQLColumnExpression[str],
    number: SQLColumnExpression[str],
    dated: SQLColumnExpression[date],
    due: SQLColumnExpression[date | None] | None,
    currency: SQLColumnExpression[str],
    total: SQLColumnExpression[Decimal],
    balance: SQLColumnExpression[Decimal],
    rate: SQLColumnExpression[Decimal | None],
    aged_from: SQLColumnExpression[date],
) -> list[ColumnElement[Any]]:
    """The columns every open item has, in the order the UNION ALL needs them."""
    days = days_between(session, literal(as_of, Date()), aged_from)
    return [
        customer.label("customer"),
        kind.label("kind"),
        ledger_id.label("ledger_id"),
        number.label("number"),
        dated.label("issued_on"),
        (due if due is not None else literal(None, Date())).label("due_on"),
        currency.label("currency"),
        total.label("total"),
        balance.label("balance"),
        (balance * func.coalesce(rate, 1)).label("base_balance"),
        days.label("days"),
        _bucket(days, buckets).label("bucket"),
    ]


def _applied_after(
    organisation_ids: Sequence[int], days: Sequence[date], condition: ColumnElement[bool] | None = None
) -> Subquery:
    """Per invoice, what its live allocations applied after each of ``days`` (``after_0``, …):
    the allocations from the earliest day on only, read by their day."""
    return (
        select(
            Allocation.organisation_id.label("organisation"),
            Allocation.invoice_ledger_id.label("key"),
            *(
                func.sum(case((Allocation.applied_on > day, Allocation.amount), else_=0)).label(f"after_{n}")
                for n, day in enumerate(days)
            ),
        )
        .where(
            _of(Allocation.organisation_id, organisation_ids),
            Allocation.active.is_(True),
            Allocation.applied_on > min(days),
            *([condition] if condition is not None else []),
        )
        .group_by(Allocation.organisation_id, Allocation.invoice_ledger_id)
        .subquery()
    )


def _of(column: SQLColumnExpression[int], organisation_ids: Sequence[int]) -> ColumnElement[bool]:
    """``column`` is one of these organisations (an equality for one, as most callers ask)."""
    if len(organisation_ids) == 1:
        return column == organisation_ids[0]
    return column.in_(organisation_ids)


def _paid_by(after: Subquery, invoice: type[Invoice] = Invoice) -> ColumnElement[bool]:
    """The join of an invoice to what was applied to it after the day (``_applied_after``)."""
    return and_(after.c.organisation == invoice.organisation_id, after.c.key == invoice.ledger_id)


def _balance_on(after: Subquery, n: int = 0) -> ColumnElement[Any]:
    """An invoice's balance on the ``n``-th day of ``after``: its total less what was applied by then."""
    return Invoice.total - Invoice.applied + func.coalesce(after.c[f"after_{n}"], 0)


def _applied(organisation_id: int, key: SQLColumnExpression[str], condition: ColumnElement[bool]) -> Subquery:
    """Sum of live allocations grouped by ``key`` (the invoice, or the source), where ``condition``."""
    return (
        select(key.label("key"), func.sum(Allocation.amount).label("applied"))
        .where(Allocation.organisation_id == organisation_id, Allocation.active.is_(True), condition)
        .group_by(key)
        .subquery()
    )


def open_invoices(
    session: Session,
    organisation_id: int,
    as_of: date,
    basis: AgingBasis,
    buckets: Buckets,
    customer_ledger_id: str | None = None,
) -> Select[Any]:
    """SELECT of every invoice with something owing on ``as_of``: its balance and bucket (only
    ``customer_ledger_id``'s, when given: the allocations summed are then only theirs too)."""
    condition: ColumnElement[bool] | None = None
    if customer_ledger_id is not None:
        theirs = select(Invoice.ledger_id).where(
            Invoice.organisation_id == organisation_id, Invoice.customer_ledger_id == customer_ledger_id
        )
        condition = Allocation.invoice_ledger_id.in_(theirs)
    after = _applied_after([organisation_id], [as_of], condition)
    balance = _balance_on(after)
    reference = (
        Invoice.issued_on
        if basis == AgingBasis.INVOICE_DATE
        else func.coalesce(Invoice.due_on, Invoice.issued_on)
    )
    return (
        select(
            *_item_columns(
                session,
                as_of,
                buckets,
                customer=Invoice.customer_ledger_id,
                kind=literal(ItemKind.INVOICE.value),
                ledger_id=Invoice.ledger_id,
                number=Invoice.number,
                dated=Invoice.issued_on,
                due=Invoice.due_on,
                currency=Invoice.currency,
                total=Invoice.total,
                balance=balance,
                rate=Invoice.currency_rate,
                aged_from=reference,
            )
        )
        .select_from(Invoice)
        .outerjoin(after, _paid_by(after))
        .where(
            Invoice.organisation_id == organisation_id,
            Invoice.status.in_([InvoiceStatus.OPEN.value, InvoiceStatus.PAID.value]),
            Invoice.issued_on <= as_of,
            balance > OPEN_ABOVE,
            *([Invoice.customer_ledger_id == customer_ledger_id] if customer_ledger_id is not None else []),
        )
    )


def unapplied_credits(
    session: Session, organisation_id: int, as_of: date, buckets: Buckets
) -> tuple[Select[Any], Select[Any]]:
    """SELECTs of the credit a customer had on ``as_of`` and had not used: credit notes, and the
    unapplied part of payments (overpayments, prepayments), as negative balances.

    What was unused on ``as_of`` is what is unused now plus what was applied after that day (the
    ledger's remaining credit is exact today; allocations say when it was used). Credits have no
    due date: they age from their own date, whatever the basis, as both ledgers' reports do.
    """
    later = _applied(
        organisation_id,
        Allocation.source_ledger_id,
        and_(Allocation.applied_on > as_of, Allocation.source_kind == ItemKind.CREDIT_NOTE.value),
    )
    note_left = CreditNote.remaining_credit + func.coalesce(later.c.applied, 0)
    notes = (
        select(
            *_item_columns(
                session,
                as_of,
                buckets,
                customer=CreditNote.customer_ledger_id,
                kind=literal(ItemKind.CREDIT_NOTE.value),
                ledger_id=CreditNote.ledger_id,
                number=CreditNote.number,
                dated=CreditNote.issued_on,
                due=None,
                currency=CreditNote.currency,
                total=-CreditNote.total,
                balance=-note_left,
                rate=CreditNote.currency_rate,
                aged_from=CreditNote.issued_on,
            )
        )
        .select_from(CreditNote)
        .outerjoin(later, later.c.key == CreditNote.ledger_id)
        .where(
            CreditNote.organisation_id == organisation_id,
            CreditNote.status == RecordStatus.ACTIVE.value,
            CreditNote.issued_on <= as_of,
            note_left > OPEN_ABOVE,
        )
    )
    spent = (
        select(
            Allocation.source_kind.label("kind"),
            Allocation.source_ledger_id.label("key"),
            func.sum(Allocation.amount).label("applied"),
        )
        .where(
            Allocation.organisation_id == organisation_id,
            Allocation.active.is_(True),
            Allocation.applied_on > as_of,
            Allocation.source_kind != ItemKind.CREDIT_NOTE.value,
        )
        .group_by(Allocation.source_kind, Allocation.source_ledger_id)
        .subquery()
    )
    money_left = Payment.unapplied + func.coalesce(spent.c.applied, 0)
    payments = (
        select(
            *_item_columns(
                session,
                as_of,
                buckets,
                customer=Payment.customer_ledger_id,
                kind=Payment.kind,
                ledger_id=Payment.ledger_id,
                number=literal(""),
                dated=Payment.received_on,
                due=None,
                currency=Payment.currency,
                total=-Payment.amount,
                balance=-money_left,
                rate=Payment.currency_rate,
                aged_from=Payment.received_on,
            )
        )
        .select_from(Payment)
        .outerjoin(spent, and_(spent.c.kind == Payment.kind, spent.c.key == Payment.ledger_id))
        .where(
            Payment.organisation_id == organisation_id,
            Payment.status == RecordStatus.ACTIVE.value,
            Payment.received_on <= as_of,
            money_left > OPEN_ABOVE,
        )
    )
    return notes, payments


def open_items(
    session: Session,
    organisation_id: int,
    as_of: date,
    basis: AgingBasis = AgingBasis.DUE_DATE,
    buckets: Buckets = Buckets(),
    credits: bool = True,
) -> Select[Any] | CompoundSelect[Any]:
    """Everything open on ``as_of``, one row each: invoices, and with ``credits`` unused credit."""
    invoices = open_invoices(session, organisation_id, as_of, basis, buckets)
    if not credits:
        return invoices
    # One flat UNION ALL: SQLite does not take a parenthesised SELECT inside a compound one.
    return union_all(invoices, *unapplied_credits(session, organisation_id, as_of, buckets))


def aging_report(
    session: Session,
    organisation_id: int,
    as_of: date,
    basis: AgingBasis = AgingBasis.DUE_DATE,
    buckets: Buckets = Buckets(),
    credits: bool = False,
) -> AgingReport:
    """Every customer's open balance per bucket on ``as_of``; the sums are SQL's, not Python's.

    Without ``credits``: what open invoices owe. With ``credits``: what the customer owes, net of
    the credit notes and payments it has not used, as the ledgers' aged receivables show it.
    """
    items = open_items(session, organisation_id, as_of, basis, buckets, credits).subquery()
    rows = session.execute(
        select(
            items.c.customer,
            items.c.bucket,
            items.c.currency,
            func.sum(items.c.balance),
            func.sum(items.c.base_balance),
            func.sum(case((items.c.kind == ItemKind.INVOICE.value, 1), else_=0)),
        )
        .group_by(items.c.customer, items.c.bucket, items.c.currency)
        .order_by(items.c.customer)
    ).all()
    width = len(buckets.edges) + 2
    customers: dict[str, CustomerAging] = {}
    for customer, bucket, currency, balance, base_balance, count in rows:
        aging = customers.setdefault(customer, CustomerAging(customer, [ZERO] * width))
        aging.amounts[bucket] += cents(base_balance)
        aging.by_currency.setdefault(currency, [ZERO] * width)[bucket] += cents(balance)
        aging.invoices += int(count or 0)
    return AgingReport(organisation_id, as_of, buckets.labels, list(customers.values()))


@dataclass(frozen=True)
class AgingView:
    """One aging to compute with others in a single pass (``aging_totals``): as of a day, by a
    basis and buckets, with or without the unused credit."""

    as_of: date
    basis: AgingBasis = AgingBasis.DUE_DATE
    buckets: Buckets = Buckets()
    credits: bool = False


def aging_totals(session: Session, organisation_id: int, views: Sequence[AgingView]) -> list[list[Decimal]]:
    """Each view's totals per bucket, the same as ``aging_report(...).totals`` (each customer's
    amount per bucket and currency rounded to the cent, then summed), from one query: one pass over
    the invoices and their allocations however many days and buckets are asked for."""
    if not views:
        return []
    found = organisations_aging(session, [organisation_id], views).get(organisation_id)
    return found.totals if found is not None else [[ZERO] * len(view.buckets.labels) for view in views]


@dataclass
class OrganisationAging:
    """One organisation's totals per bucket for each view asked, and how many customers have
    something open in each (``len(aging_report(...).customers)``)."""

    totals: list[list[Decimal]]
    customers: list[int]


def organisations_aging(
    session: Session, organisation_ids: Sequence[int], views: Sequence[AgingView]
) -> dict[int, OrganisationAging]:
    """``aging_totals`` of many organisations in one statement (the nightly snapshots'): a
    million invoices are one pass for the database, not a thousand queries. Organisations with
    nothing open are left out.

    Each (view, bucket) is a conditional sum of every open item's base balance, grouped by
    organisation, customer and currency (the order of the aging index, so the database sums as it
    reads); a bucket is a range of the day the item ages from, which is the same as a range of
    days past due. A count per view says which customers have anything open.
    """
    if not views or not organisation_ids:
        return {}
    days = sorted({view.as_of for view in views})
    latest = days[-1]
    after = _applied_after(organisation_ids, days)
    rate = func.coalesce(Invoice.currency_rate, 1)
    invoice_measures: list[ColumnElement[Any]] = []
    counts: list[ColumnElement[Any]] = []
    # Only the invoices owing on one of the days reach the sums (most paid invoices owe on none).
    owing_on_a_day = or_(
        *(and_(Invoice.issued_on <= day, _balance_on(after, n) > OPEN_ABOVE) for n, day in enumerate(days))
    )
    for view in views:
        balance = _balance_on(after, days.index(view.as_of))
        aged_from: SQLColumnExpression[date] = (
            Invoice.issued_on
            if view.basis == AgingBasis.INVOICE_DATE
            else func.coalesce(Invoice.due_on, Invoice.issued_on)
        )
        owing = and_(Invoice.issued_on <= view.as_of, balance > OPEN_ABOVE)
        if len(days) == 1:  # the WHERE is this very condition: not evaluated again per bucket
            invoice_measures += _bucket_sums(view, aged_from, None, balance * rate)
            counts.append(literal_column("1"))
        else:
            invoice_measures += _bucket_sums(view, aged_from, owing, balance * rate)
            counts.append(case((owing, 1), else_=0))
    invoices: Select[Any] = (
        select(
            Invoice.organisation_id.label("organisation"),
            Invoice.customer_ledger_id.label("customer"),
            Invoice.currency.label("currency"),
            *_labelled([*invoice_measures, *counts]),
        )
        .select_from(Invoice)
        .outerjoin(after, _paid_by(after))
        .where(
            _of(Invoice.organisation_id, organisation_ids),
            Invoice.status.in_([InvoiceStatus.OPEN.value, InvoiceStatus.PAID.value]),
            Invoice.issued_on <= latest,
            owing_on_a_day,
        )
        .group_by(Invoice.organisation_id, Invoice.customer_ledger_id, Invoice.currency)
    )
    dialect, money = session.get_bind().dialect, invoice_measures[0].type

    def read(value: float) -> Decimal:
        """A float sum (SQLite's) read as the money type reads it, as aging_report does."""
        process = money.result_processor(dialect, None)
        read_value = process(value) if process is not None else None
        return read_value if isinstance(read_value, Decimal) else Decimal(str(value))

    width, views_count = len(invoice_measures), len(views)
    statement: Select[Any]
    if any(view.credits for view in views):
        items = union_all(invoices, *_credit_branches(organisation_ids, views)).subquery()
        statement = select(
            items.c.organisation,
            items.c.customer,
            *(type_coerce(func.sum(items.c[f"m{n}"]), NullType()) for n in range(width + views_count)),
        ).group_by(items.c.organisation, items.c.customer, items.c.currency)
    else:  # the invoices' own groups are the answer: no second grouping
        statement = typing.cast(
            "Select[Any]",
            invoices.with_only_columns(
                Invoice.organisation_id,
                Invoice.customer_ledger_id,
                *(type_coerce(column, NullType()) for column in list(invoices.selected_columns)[3:]),
            ),
        )
    in_cents: dict[int, list[int]] = {}
    customers: dict[int, list[set[str]]] = {}
    for organisation, customer, *values in session.execute(statement):
        sums = in_cents.get(organisation)
        if sums is None:
            sums = in_cents[organisation] = [0] * width
            customers[organisation] = [set() for _ in views]
        for n, value in enumerate(values[:width]):
            if value:
                sums[n] += _whole_cents(value, read)
        for n, value in enumerate(values[width:]):
            if value:
                customers[organisation][n].add(customer)
    return {
        organisation: _per_view(views, sums, customers[organisation])
        for organisation, sums in in_cents.items()
    }


def _per_view(
    views: Sequence[AgingView], in_cents: list[int], customers: list[set[str]]
) -> OrganisationAging:
    """The flat sums in cents cut into each view's buckets, as money."""
    found, start = [], 0
    for view in views:
        size = len(view.buckets.labels)
        found.append([Decimal(amount).scaleb(-2) for amount in in_cents[start : start + size]])
        start += size
    return OrganisationAging(found, [len(theirs) for theirs in customers])


def _bucket_sums(
    view: AgingView,
    aged_from: SQLColumnExpression[date],
    owing: ColumnElement[bool] | None,
    amount: SQLColumnExpression[Any],
) -> list[ColumnElement[Any]]:
    """One conditional amount per bucket of ``view``: ``amount`` where ``owing`` and the item ages
    from a day in that bucket (``as_of - aged_from`` days past due, inside the bucket's edges).
    ``owing`` None: the statement's WHERE keeps only items owing on the view's day already."""
    # Bucket 0 is 0 days or fewer past due; bucket k is (edge k-1, edge k]; the last is past the last edge.
    edges = [0, *view.buckets.edges]
    ranges: list[ColumnElement[bool]] = [aged_from >= view.as_of]
    ranges += [
        and_(aged_from >= view.as_of - timedelta(days=high), aged_from < view.as_of - timedelta(days=low))
        for low, high in pairwise(edges)
    ]
    ranges.append(aged_from < view.as_of - timedelta(days=edges[-1]))
    return [case((inside if owing is None else and_(owing, inside), amount), else_=0) for inside in ranges]


def _credit_branches(organisation_ids: Sequence[int], views: Sequence[AgingView]) -> list[Select[Any]]:
    """The credit notes and unused payments as items of the UNION ALL, negative, for the views
    with credits (0 for the others), by the same rules as ``unapplied_credits``; after the
    measures, one count per view of the credits open then (as the invoices' branch has)."""
    days = sorted({view.as_of for view in views if view.credits})
    earliest = days[0]

    def used_after(*keys: SQLColumnExpression[str], condition: ColumnElement[bool]) -> Subquery:
        return (
            select(
                Allocation.organisation_id.label("organisation"),
                *keys,
                *(
                    func.sum(case((Allocation.applied_on > day, Allocation.amount), else_=0)).label(
                        f"after_{n}"
                    )
                    for n, day in enumerate(days)
                ),
            )
            .where(
                _of(Allocation.organisation_id, organisation_ids),
                Allocation.active.is_(True),
                Allocation.applied_on > earliest,
                condition,
            )
            .group_by(Allocation.organisation_id, *keys)
            .subquery()
        )

    later = used_after(
        Allocation.source_ledger_id.label("key"),
        condition=Allocation.source_kind == ItemKind.CREDIT_NOTE.value,
    )
    spent = used_after(
        Allocation.source_kind.label("kind"),
        Allocation.source_ledger_id.label("key"),
        condition=Allocation.source_kind != ItemKind.CREDIT_NOTE.value,
    )

    def measures(
        left_after: Callable[[int], ColumnElement[Any]],
        dated: SQLColumnExpression[date],
        rate: SQLColumnExpression[Decimal | None],
    ) -> list[ColumnElement[Any]]:
        found: list[ColumnElement[Any]] = []
        counts: list[ColumnElement[Any]] = []
        for view in views:
            if not view.credits:
                found += [literal_column("0")] * len(view.buckets.labels)
                counts.append(literal_column("0"))
                continue
            left = left_after(days.index(view.as_of))
            owing = and_(dated <= view.as_of, left > OPEN_ABOVE)
            if len(days) == 1:  # the WHERE (unused_on_a_day) is this very condition
                found += _bucket_sums(view, dated, None, -left * func.coalesce(rate, 1))
                counts.append(literal_column("1"))
            else:
                found += _bucket_sums(view, dated, owing, -left * func.coalesce(rate, 1))
                counts.append(case((owing, 1), else_=0))
        return found + counts

    def unused_on_a_day(
        left_after: Callable[[int], ColumnElement[Any]], dated: SQLColumnExpression[date]
    ) -> ColumnElement[bool]:
        """Only the credits unused on one of the days reach the sums (most payments are all used)."""
        return or_(*(and_(dated <= day, left_after(n) > OPEN_ABOVE) for n, day in enumerate(days)))

    def note_left(n: int) -> ColumnElement[Any]:
        return CreditNote.remaining_credit + func.coalesce(later.c[f"after_{n}"], 0)

    def money_left(n: int) -> ColumnElement[Any]:
        return Payment.unapplied + func.coalesce(spent.c[f"after_{n}"], 0)

    notes: Select[Any] = (
        select(
            CreditNote.organisation_id.label("organisation"),
            CreditNote.customer_ledger_id.label("customer"),
            CreditNote.currency.label("currency"),
            *_labelled(
                measures(
                    note_left,
                    CreditNote.issued_on,
                    CreditNote.currency_rate,
                )
            ),
        )
        .select_from(CreditNote)
        .outerjoin(
            later,
            and_(later.c.organisation == CreditNote.organisation_id, later.c.key == CreditNote.ledger_id),
        )
        .where(
            _of(CreditNote.organisation_id, organisation_ids),
            CreditNote.status == RecordStatus.ACTIVE.value,
            CreditNote.issued_on <= days[-1],
            unused_on_a_day(note_left, CreditNote.issued_on),
        )
        .group_by(CreditNote.organisation_id, CreditNote.customer_ledger_id, CreditNote.currency)
    )
    payments: Select[Any] = (
        select(
            Payment.organisation_id.label("organisation"),
            Payment.customer_ledger_id.label("customer"),
            Payment.currency.label("currency"),
            *_labelled(
                measures(
                    money_left,
                    Payment.received_on,
                    Payment.currency_rate,
                )
            ),
        )
        .select_from(Payment)
        .outerjoin(
            spent,
            and_(
                spent.c.organisation == Payment.organisation_id,
                spent.c.kind == Payment.kind,
                spent.c.key == Payment.ledger_id,
            ),
        )
        .where(
            _of(Payment.organisation_id, organisation_ids),
            Payment.status == RecordStatus.ACTIVE.value,
            Payment.received_on <= days[-1],
            unused_on_a_day(money_left, Payment.received_on),
        )
        .group_by(Payment.organisation_id, Payment.customer_ledger_id, Payment.currency)
    )
    return [notes, payments]


def _labelled(measures: list[ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    """The measures summed and named m0, m1, … as the UNION ALL's branches and the outer sums name
    them. Each branch sums its own rows per customer and currency first: the union is then a few
    narrow rows per customer, not one wide row per item to sort."""
    return [func.sum(measure).label(f"m{n}") for n, measure in enumerate(measures)]


def _whole_cents(value: Decimal | float | int, read: Callable[[float], Decimal]) -> int:
    """A sum from the database in whole cents, as ``cents`` rounds it (a float once ``read``)."""
    if isinstance(value, float) and abs(value) < 1e12:
        # SQLite: a sum of amounts in cents is a whole number of cents but for the floating point
        # noise, which rounding to the cent removes: skip reading it as a Decimal.
        hundredfold = value * 100
        whole = round(hundredfold)
        if abs(hundredfold - whole) < 1e-6:
            return whole
    if isinstance(value, float):
        value = read(value)
    elif isinstance(value, int):
        return value * 100
    return int(value.quantize(CENT).scaleb(2))  # as cents(): Decimal(str(value)) is value


def cents(value: Decimal | float | int | None) -> Decimal:
    """A sum from the database as money to the cent (SQLite hands back floats for NUMERIC)."""
    return Decimal(str(value or 0)).quantize(CENT)
