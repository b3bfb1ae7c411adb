"""The customers of an organisation as the web app lists them, and one customer's account.

The list is one query per page, whatever the number of customers: what each owes and how late
(today's aging of its open invoices, in the organisation's currency), its risk class and segment
as last assessed (``CustomerStanding``), searched, filtered, sorted and cut into pages in SQL, with
the number of customers found counted in the same query.

"On hold" reads the credit holds (reminders/holds.py). Filters that need a state the model does
not have yet are not offered: "paused" and "disputed" come with issue #16 (pauses and disputes as
dated records); they join ``CustomerFilters`` and ``_filtered`` then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from reminders.models import CustomerStanding
from reminders.receivables.aging import AgingBasis, Buckets, open_invoices
from reminders.receivables.snapshots import settings_of
from reminders.risk.classes import RiskClass
from runtime import clock
from runtime.tenancy import Organisation
from sync.models import CreditNote, Customer, Invoice, Payment

PAGE_SIZE = 50
ZERO = Decimal("0")
LONGEST_SEARCH = 200
SEGMENTS = ("large", "small")


class CustomerSort(StrEnum):
    NAME = "name"
    OWED = "owed"
    OVERDUE = "overdue"
    OLDEST = "oldest"  # days the oldest overdue invoice is past due
    RISK = "risk"


# Which way each sort goes unless asked otherwise: names A to Z, the rest largest first.
DESCENDING_BY_DEFAULT = {CustomerSort.NAME: False}


@dataclass(frozen=True)
class CustomerFilters:
    """What a person asked the list for. ``bucket`` is a position in the aging's buckets
    (0 is "current"): customers whose oldest open invoice is that far past due."""

    search: str = ""
    risk: RiskClass | None = None
    segment: str | None = None
    bucket: int | None = None
    on_hold: bool = False
    sort: CustomerSort = CustomerSort.OVERDUE
    descending: bool = True
    page: int = 1


@dataclass(frozen=True)
class CustomerRow:
    id: int
    name: str
    email: str | None
    owed: Decimal
    overdue: Decimal
    oldest_days: int | None  # days past due of the oldest overdue invoice; None: nothing overdue
    risk: RiskClass | None  # None: not assessed yet
    segment: str | None
    on_hold: bool = False


@dataclass(frozen=True)
class CustomerList:
    rows: list[CustomerRow]
    found: int
    page: int
    pages: int
    currency: str
    bucket_labels: tuple[str, ...]
    filters: CustomerFilters


def _buckets(organisation_id: int) -> tuple[Buckets, AgingBasis]:
    chosen = settings_of(organisation_id)
    return Buckets(tuple(chosen.aging_edges)), AgingBasis(chosen.aging_basis)


def bucket_labels(organisation_id: int) -> tuple[str, ...]:
    """The organisation's aging buckets, in order ("current", "1-30", …)."""
    return _buckets(organisation_id)[0].labels


def bucket_past(organisation_id: int, days: int) -> int:
    """The position of the aging bucket just past ``days`` past due (90 by the default edges:
    "91-120"), for a link to the customers past an age."""
    return _buckets(organisation_id)[0].index(days + 1)


def _like(text: str) -> str:
    """``text`` as a LIKE pattern that matches it anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_customers(session: Session, organisation: Organisation, filters: CustomerFilters) -> CustomerList:
    """One page of the organisation's customers, as ``filters`` ask."""
    buckets, basis = _buckets(organisation.id)
    today = clock.today(organisation.timezone)
    items = open_invoices(session, organisation.id, today, basis, buckets).subquery()
    overdue_days = case((items.c.days > 0, items.c.days))
    balances = (
        select(
            items.c.customer.label("customer"),
            func.sum(items.c.base_balance).label("owed"),
            func.sum(case((items.c.days > 0, items.c.base_balance), else_=0)).label("overdue"),
            func.max(overdue_days).label("oldest"),
            func.max(items.c.bucket).label("bucket"),
        )
        .group_by(items.c.customer)
        .subquery()
    )
    from reminders.holds import on_hold_customers

    owed = func.coalesce(balances.c.owed, 0)
    overdue = func.coalesce(balances.c.overdue, 0)
    statement: Select[Any] = (
        select(
            Customer.id,
            Customer.name,
            Customer.email,
            owed.label("owed"),
            overdue.label("overdue"),
            balances.c.oldest,
            CustomerStanding.risk,
            CustomerStanding.segment,
            # In the same query: a row says whether its customer is on hold.
            Customer.id.in_(on_hold_customers(organisation.id)).label("on_hold"),
            func.count().over().label("found"),
        )
        .select_from(Customer)
        .outerjoin(balances, balances.c.customer == Customer.ledger_id)
        .outerjoin(
            CustomerStanding,
            and_(
                CustomerStanding.organisation_id == Customer.organisation_id,
                CustomerStanding.customer_ledger_id == Customer.ledger_id,
            ),
        )
        .where(Customer.organisation_id == organisation.id, Customer.deleted.is_(False))
    )
    for condition in _conditions(organisation.id, filters, balances.c.bucket):
        statement = statement.where(condition)
    order: dict[CustomerSort, ColumnElement[Any]] = {
        CustomerSort.NAME: func.lower(Customer.name),
        CustomerSort.OWED: owed,
        CustomerSort.OVERDUE: overdue,
        CustomerSort.OLDEST: func.coalesce(balances.c.oldest, 0),
        CustomerSort.RISK: func.coalesce(CustomerStanding.risk, 0),
    }
    key = order[filters.sort]
    statement = statement.order_by(
        key.desc() if filters.descending else key.asc(), func.lower(Customer.name), Customer.id
    )
    page = max(1, filters.page)
    rows = session.execute(statement.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    if not rows and page > 1:  # past the last page: the count comes from the first one
        found = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    else:
        found = rows[0].found if rows else 0
    return CustomerList(
        rows=[
            CustomerRow(
                id=row.id,
                name=row.name,
                email=row.email,
                owed=Decimal(row.owed),
                overdue=Decimal(row.overdue),
                oldest_days=row.oldest,
                risk=RiskClass(row.risk) if row.risk is not None else None,
                segment=row.segment,
                on_hold=bool(row.on_hold),
            )
            for row in rows
        ],
        found=found,
        page=page,
        pages=max(1, -(-found // PAGE_SIZE)),
        currency=organisation.base_currency,
        bucket_labels=buckets.labels,
        filters=filters,
    )


def _conditions(
    organisation_id: int, filters: CustomerFilters, bucket: ColumnElement[Any]
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    search = filters.search.strip()[:LONGEST_SEARCH]
    if search:
        pattern = _like(search)
        # One pass over the organisation's invoices, rather than one look per customer.
        invoice_numbered = Customer.ledger_id.in_(
            select(Invoice.customer_ledger_id).where(
                Invoice.organisation_id == organisation_id,
                Invoice.number.ilike(pattern, escape="\\"),
            )
        )
        conditions.append(
            or_(
                Customer.name.ilike(pattern, escape="\\"),
                Customer.email.ilike(pattern, escape="\\"),
                invoice_numbered,
            )
        )
    if filters.risk is not None:
        conditions.append(CustomerStanding.risk == int(filters.risk))
    if filters.segment is not None:
        conditions.append(CustomerStanding.segment == filters.segment)
    if filters.bucket is not None:
        conditions.append(bucket == filters.bucket)
    if filters.on_hold:
        from reminders.holds import on_hold_customers

        conditions.append(Customer.id.in_(on_hold_customers(organisation_id)))
    return conditions


@dataclass(frozen=True)
class OpenInvoice:
    ledger_id: str
    number: str
    issued_on: date
    due_on: date | None
    currency: str
    total: Decimal
    balance: Decimal
    days_past_due: int


@dataclass(frozen=True)
class Account:
    """One customer's account: what the customer page shows beside the timeline."""

    customer: Customer
    currency: str
    owed: Decimal  # base currency
    overdue: Decimal
    open_invoices: list[OpenInvoice]
    payments: list[Payment]
    credit_notes: list[CreditNote]
    standing: CustomerStanding | None
    today: date


def customer_of(session: Session, organisation_id: int, customer_id: int) -> Customer | None:
    """The organisation's customer with this id; None for another organisation's."""
    return session.scalar(
        select(Customer).where(Customer.organisation_id == organisation_id, Customer.id == customer_id)
    )


def account_of(session: Session, organisation: Organisation, customer: Customer) -> Account:
    """What the customer owes today, invoice by invoice, what they paid and were credited, and their standing."""
    buckets, basis = _buckets(organisation.id)
    today = clock.today(organisation.timezone)
    items = open_invoices(session, organisation.id, today, basis, buckets, customer.ledger_id).subquery()
    open_rows = session.execute(select(items).order_by(items.c.days.desc(), items.c.number)).all()
    payments = list(
        session.scalars(
            select(Payment)
            .where(
                Payment.organisation_id == organisation.id, Payment.customer_ledger_id == customer.ledger_id
            )
            .order_by(Payment.received_on.desc(), Payment.id.desc())
            .limit(100)
        )
    )
    credit_notes = list(
        session.scalars(
            select(CreditNote)
            .where(
                CreditNote.organisation_id == organisation.id,
                CreditNote.customer_ledger_id == customer.ledger_id,
            )
            .order_by(CreditNote.issued_on.desc(), CreditNote.id.desc())
            .limit(100)
        )
    )
    standing = session.scalar(
        select(CustomerStanding).where(
            CustomerStanding.organisation_id == organisation.id,
            CustomerStanding.customer_ledger_id == customer.ledger_id,
        )
    )
    invoices = [
        OpenInvoice(
            ledger_id=row.ledger_id,
            number=row.number,
            issued_on=row.issued_on,
            due_on=row.due_on,
            currency=row.currency,
            total=Decimal(row.total),
            balance=Decimal(row.balance),
            days_past_due=row.days,
        )
        for row in open_rows
    ]
    return Account(
        customer=customer,
        currency=organisation.base_currency,
        owed=sum((Decimal(row.base_balance) for row in open_rows), ZERO),
        overdue=sum((Decimal(row.base_balance) for row in open_rows if row.days > 0), ZERO),
        open_invoices=invoices,
        payments=payments,
        credit_notes=credit_notes,
        standing=standing,
        today=today,
    )
