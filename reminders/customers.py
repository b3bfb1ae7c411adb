"""The customers of an organisation as the web app lists them, and one customer's account.

The list shows what each customer owes and how late (today's aging of its open invoices, in the
organisation's currency, reminders/receivables/customer_balances.py) and its risk class and
segment as last assessed (``CustomerStanding``), searched, filtered, sorted and cut into pages.
Aging every customer is most of a page's time, so the balances are kept in Redis under the
mirror's version (reminders/receivables/kept_figures.py): a page then reads the customers found
in one light query and sorts and cuts them in Python. Without kept balances (no Redis, a mirror
never written) the page is one query that ages, filters, sorts, counts and cuts in SQL; both
ways list the same rows in the same order.

"On hold" reads the credit holds (reminders/holds.py). Filters that need a state the model does
not have yet are not offered: "paused" and "disputed" come with issue #16 (pauses and disputes as
dated records); they join ``CustomerFilters`` and ``_conditions`` then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from reminders.models import CustomerStanding
from reminders.receivables.aging import AgingBasis, Buckets, open_invoices
from reminders.receivables.customer_balances import CustomerBalance, balances_query
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
    from reminders.receivables.kept_figures import kept_customer_balances

    buckets, basis = _buckets(organisation.id)
    today = clock.today(organisation.timezone)
    kept = kept_customer_balances(session, organisation.id, today, basis, buckets)
    if kept is None:
        rows, found, page = _aged_in_the_query(session, organisation, filters, today, basis, buckets)
    else:
        rows, found, page = _from_kept_balances(session, organisation, filters, kept)
    return CustomerList(
        rows=rows,
        found=found,
        page=page,
        pages=max(1, -(-found // PAGE_SIZE)),
        currency=organisation.base_currency,
        bucket_labels=buckets.labels,
        filters=filters,
    )


def _customers(organisation_id: int, *balance_columns: ColumnElement[Any]) -> Select[Any]:
    """The organisation's customers with their standing and hold, before filters."""
    from reminders.holds import on_hold_customers

    return (
        select(
            Customer.id,
            Customer.name,
            Customer.email,
            *balance_columns,
            CustomerStanding.risk,
            CustomerStanding.segment,
            # In the same query: a row says whether its customer is on hold.
            Customer.id.in_(on_hold_customers(organisation_id)).label("on_hold"),
        )
        .select_from(Customer)
        .outerjoin(
            CustomerStanding,
            and_(
                CustomerStanding.organisation_id == Customer.organisation_id,
                CustomerStanding.customer_ledger_id == Customer.ledger_id,
            ),
        )
        .where(Customer.organisation_id == organisation_id, Customer.deleted.is_(False))
    )


def _row(row: Any, owed: Decimal, overdue: Decimal, oldest_days: int | None) -> CustomerRow:
    return CustomerRow(
        id=row.id,
        name=row.name,
        email=row.email,
        owed=owed,
        overdue=overdue,
        oldest_days=oldest_days,
        risk=RiskClass(row.risk) if row.risk is not None else None,
        segment=row.segment,
        on_hold=bool(row.on_hold),
    )


def _aged_in_the_query(
    session: Session,
    organisation: Organisation,
    filters: CustomerFilters,
    today: date,
    basis: AgingBasis,
    buckets: Buckets,
) -> tuple[list[CustomerRow], int, int]:
    """The page in one query that ages every customer, counts those found and cuts the page."""
    balances = balances_query(session, organisation.id, today, basis, buckets)
    owed = func.coalesce(balances.c.owed, 0)
    overdue = func.coalesce(balances.c.overdue, 0)
    statement = _customers(
        organisation.id,
        owed.label("owed"),
        overdue.label("overdue"),
        balances.c.oldest,
        func.count().over().label("found"),
    ).outerjoin(balances, balances.c.customer == Customer.ledger_id)
    for condition in _conditions(organisation.id, filters):
        statement = statement.where(condition)
    if filters.bucket is not None:
        statement = statement.where(balances.c.bucket == filters.bucket)
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
    return [_row(row, Decimal(row.owed), Decimal(row.overdue), row.oldest) for row in rows], found, page


def _from_kept_balances(
    session: Session, organisation: Organisation, filters: CustomerFilters, kept: dict[str, CustomerBalance]
) -> tuple[list[CustomerRow], int, int]:
    """The page from balances kept: the customers found are read in name order (the database's,
    so names compare as in the query), then sorted by their balance in Python. The sort is stable,
    so customers with equal balances stay in name order, as the query's tie-break has them."""
    statement = _customers(organisation.id, Customer.ledger_id.label("ledger_id"))
    for condition in _conditions(organisation.id, filters):
        statement = statement.where(condition)
    name = func.lower(Customer.name)
    by_name = filters.sort == CustomerSort.NAME and filters.descending
    statement = statement.order_by(name.desc() if by_name else name.asc(), name, Customer.id)
    nothing = CustomerBalance(ZERO, ZERO, None, -1)  # -1: in no bucket
    found = [(row, kept.get(row.ledger_id, nothing)) for row in session.execute(statement)]
    if filters.bucket is not None:
        found = [(row, balance) for row, balance in found if balance.bucket == filters.bucket]
    sort_keys: dict[CustomerSort, Callable[[tuple[Any, CustomerBalance]], Any]] = {
        CustomerSort.OWED: lambda entry: entry[1].owed,
        CustomerSort.OVERDUE: lambda entry: entry[1].overdue,
        CustomerSort.OLDEST: lambda entry: entry[1].oldest_days or 0,
        CustomerSort.RISK: lambda entry: entry[0].risk or 0,
    }
    if filters.sort in sort_keys:
        found.sort(key=sort_keys[filters.sort], reverse=filters.descending)
    page = max(1, filters.page)
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    rows = [_row(row, balance.owed, balance.overdue, balance.oldest_days) for row, balance in shown]
    return rows, len(found), page


def _conditions(organisation_id: int, filters: CustomerFilters) -> list[ColumnElement[bool]]:
    """What ``filters`` ask of the customers, but for the bucket (which needs their balances)."""
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
