"""The aged receivables report: the ledger's own report, rebuilt from the mirror, to the cent.

What each customer owes on a date, per aging bucket: open invoices less what was paid or credited
up to that date, net of the credit the customer had not used yet (reminders/receivables/aging.py does the
arithmetic in SQL). How each ledger defines its report, and so what this one reproduces:

**Xero** (`GET /Reports/AgedReceivablesByContact?contactId=…&date=…`, one contact per call; the
"Accounts Receivable Invoices" report of https://help.xero.com/us/Report_AgedreceivableInvoices):
each invoice, credit note, overpayment and prepayment of the contact, with its Total, Paid,
Credited and Due "as at" the date: payments and allocations dated after it do not count yet.
Amounts are in each transaction's currency. The report carries no buckets: a row says "N days
overdue" (date less due date), and nothing when it is not yet due or has no due date (credits).
Xero's Aged Receivables Summary in its web app groups the same by month ("Current", "< 1 Month",
"1 Month", …) and can put the report date in "Current" (an option; Relance always does: an
invoice due today is current). Xero's newer Aged Receivables Detail leaves prepayments out
(https://poolwerx.freshdesk.com/support/solutions/articles/13000108203): the API report keeps them.

**QuickBooks Online** (`GET /reports/AgedReceivables?report_date=…&aging_period=30&num_periods=4`,
the A/R Aging Summary): per customer, Current then periods of `aging_period` days past due
(1-30, 31-60, …) and "N and over"; invoices at their open balance on `report_date`; unapplied
payments and credit memos as negative amounts
(https://help.goodshuffle.com/en/articles/6210828-why-does-my-report-in-quickbooks-online-have-a-negative-value);
amounts in the home currency.

Relance's buckets are whole days past due with each organisation's edges (30, 60, 90, 120 by
default: current, 1-30, …, over 120); credits age from their own date. So Relance's report equals
QuickBooks' summary when the organisation's edges are QuickBooks' periods, and, per contact and
per "days overdue", Xero's report, as tests/reminders/test_ledger_reports.py shows on both
sandboxes' seeded companies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from reminders.receivables.aging import ZERO, AgingBasis, Buckets, aging_report, cents, open_items
from reminders.receivables.snapshots import settings_of
from runtime import clock
from runtime.tenancy import Organisation
from sync.models import Customer
from sync.status import FirstSync, first_sync_of


@dataclass(frozen=True)
class OpenItem:
    """One line of the detail: an invoice still owing, or credit not yet used (negative)."""

    kind: str  # reminders.receivables.aging.ItemKind
    ledger_id: str
    number: str
    dated: date
    due: date | None
    currency: str
    total: Decimal  # in ``currency``; negative for credits
    balance: Decimal  # in ``currency``: what is still open
    base_balance: Decimal
    days_past_due: int
    bucket: int

    @property
    def part_paid(self) -> bool:
        return self.kind == "invoice" and self.balance < self.total

    def status(self, as_of: date) -> str:
        """In words: "due in 3 days", "due today", "12 days overdue", "credit"; "part paid" added."""
        if self.due is None:
            return "credit not yet used"
        days = (as_of - self.due).days
        if days < 0:
            words = f"due in {-days} day{'s' if days != -1 else ''}"
        elif days == 0:
            words = "due today"
        else:
            words = f"{days} day{'s' if days != 1 else ''} overdue"
        return f"{words}, part paid" if self.part_paid else words


@dataclass
class ReceivablesRow:
    customer_ledger_id: str
    name: str
    amounts: list[Decimal]  # base currency, per bucket
    by_currency: dict[str, list[Decimal]]
    items: list[OpenItem] = field(default_factory=list)
    customer_id: int | None = None  # the mirror's Customer.id (None for a customer not mirrored yet)

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO)


@dataclass
class AgedReceivables:
    organisation_id: int
    organisation_name: str
    base_currency: str
    as_of: date
    basis: AgingBasis
    labels: tuple[str, ...]
    rows: list[ReceivablesRow]
    # Set while the connection's first sync is filling the mirror: every total is "so far".
    first_sync: FirstSync | None = None

    @property
    def totals(self) -> list[Decimal]:
        return [sum((row.amounts[i] for row in self.rows), ZERO) for i in range(len(self.labels))]

    @property
    def total(self) -> Decimal:
        return sum(self.totals, ZERO)

    def ordered_by(self, column: str, descending: bool = False) -> list[ReceivablesRow]:
        """The rows sorted by ``column``: "customer", "total" or a bucket's index ("0", "1", …);
        ties (and an unknown column) by name. Raises ValueError for a column that is none of these."""
        by_name = sorted(self.rows, key=lambda row: (row.name.casefold(), row.customer_ledger_id))
        if column == "customer":
            return by_name[::-1] if descending else by_name
        if column == "total":
            return sorted(by_name, key=lambda row: row.total, reverse=descending)
        if column.isascii() and column.isdigit() and int(column) < len(self.labels):
            bucket = int(column)
            return sorted(by_name, key=lambda row: row.amounts[bucket], reverse=descending)
        raise ValueError(f"no column {column!r} to sort by")


def aged_receivables(
    session: Session,
    organisation_id: int,
    as_of: date | None = None,
    buckets: Buckets | None = None,
    basis: AgingBasis | None = None,
    detail: bool = False,
) -> AgedReceivables:
    """The organisation's aged receivables on ``as_of`` (its today), with its own settings unless
    ``buckets`` or ``basis`` are given; ``detail`` adds each customer's open items."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise LookupError(f"no organisation {organisation_id}")
    chosen = settings_of(organisation_id)
    day = as_of or clock.today(organisation.timezone)
    buckets = buckets or Buckets(tuple(chosen.aging_edges))
    basis = basis or AgingBasis(chosen.aging_basis)
    aging = aging_report(session, organisation_id, day, basis, buckets, credits=True)
    mirrored = {
        ledger_id: (customer_id, name)
        for ledger_id, customer_id, name in session.execute(
            select(Customer.ledger_id, Customer.id, Customer.name).where(
                Customer.organisation_id == organisation_id,
                Customer.ledger_id.in_([c.customer_ledger_id for c in aging.customers]),
            )
        )
    }
    rows = {
        c.customer_ledger_id: ReceivablesRow(
            c.customer_ledger_id,
            mirrored.get(c.customer_ledger_id, (None, c.customer_ledger_id))[1],
            c.amounts,
            c.by_currency,
            customer_id=mirrored.get(c.customer_ledger_id, (None, None))[0],
        )
        for c in aging.customers
    }
    if detail:
        for item in _items(session, organisation_id, day, basis, buckets):
            rows[item[0]].items.append(item[1])
    ordered = sorted(rows.values(), key=lambda row: (row.name.casefold(), row.customer_ledger_id))
    return AgedReceivables(
        organisation_id,
        organisation.name,
        organisation.base_currency,
        day,
        basis,
        aging.labels,
        ordered,
        first_sync=first_sync_of(session, organisation_id),
    )


def _items(
    session: Session, organisation_id: int, day: date, basis: AgingBasis, buckets: Buckets
) -> list[tuple[str, OpenItem]]:
    items = open_items(session, organisation_id, day, basis, buckets, credits=True).subquery()
    found = session.execute(select(items).order_by(items.c.customer, items.c.issued_on, items.c.number)).all()
    return [
        (
            row.customer,
            OpenItem(
                row.kind,
                row.ledger_id,
                row.number or "",
                row.issued_on,
                row.due_on,
                row.currency,
                cents(row.total),
                cents(row.balance),
                cents(row.base_balance),
                int(row.days),
                int(row.bucket),
            ),
        )
        for row in found
    ]
