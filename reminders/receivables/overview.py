"""The headline figures of an organisation's receivables, today and a week ago: what the practice
view shows per organisation and the dashboard's tiles.

Owed, overdue and over 90 days are open invoices' balances in base currency (as the key figures
count them, reminders/receivables/figures.py); DSO and CEI are the key figures'. A week ago's
figures are computed as of that date from the mirror, whose allocations are dated, so the past is
exact; not from that day's aging snapshot, whose total nets unused credit off (as the ledger's
report does) and would show a change that is only a difference of definition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from integration.ledger import InvoiceStatus
from reminders.models import AgingSnapshot, CustomerStanding
from reminders.receivables.aging import (
    OPEN_ABOVE,
    ZERO,
    AgingBasis,
    AgingReport,
    AgingView,
    Buckets,
    aging_report,
    aging_totals,
    cents,
)
from reminders.receivables.figures import KeyFigures, credit_sales_in, days_sales_outstanding, figures_of
from reminders.receivables.snapshots import settings_of
from reminders.risk.classes import RiskClass
from sync.models import Allocation, Customer, Invoice

WEEK = timedelta(days=7)
# The edges that split receivables into current, 1-90 days past due and over 90.
OVER_90 = Buckets((90,))


@dataclass(frozen=True)
class Headline:
    """One day's headline figures, all amounts in the organisation's base currency."""

    as_of: date
    owed: Decimal
    overdue: Decimal
    over_90: Decimal
    figures: KeyFigures

    @property
    def dso(self) -> Decimal | None:
        return self.figures.dso

    @property
    def cei(self) -> Decimal | None:
        return self.figures.cei


@dataclass(frozen=True)
class Overview:
    """Today's headline and a week ago's; ``dso_change`` is today's DSO minus a week ago's."""

    today: Headline
    week_ago: Headline

    @property
    def dso_change(self) -> Decimal | None:
        if self.today.dso is None or self.week_ago.dso is None:
            return None
        return self.today.dso - self.week_ago.dso


def headline(session: Session, organisation_id: int, as_of: date) -> Headline:
    """The headline figures as of ``as_of``, computed from the mirror."""
    return headlines(session, organisation_id, [as_of])[0][0]


def headlines(
    session: Session, organisation_id: int, days: list[date], also: Sequence[AgingView] = (), period: int = 90
) -> tuple[list[Headline], list[list[Decimal]]]:
    """The headline figures of each of ``days``, and the totals of the agings ``also`` asked for,
    from one pass over the mirror for all the agings (each day's and the start of its period's)
    and one query for the sales."""
    views: list[AgingView] = []
    for day in days:
        views += [AgingView(day, buckets=OVER_90), AgingView(day - timedelta(days=period), buckets=OVER_90)]
    totals = aging_totals(session, organisation_id, [*views, *also])
    sales = credit_sales_in(session, organisation_id, [(day - timedelta(days=period), day) for day in days])
    found = []
    for n, day in enumerate(days):
        end, beginning = totals[2 * n], totals[2 * n + 1]
        current, _, over_90 = end
        owed = sum(end, ZERO)
        figures = figures_of(day, period, end, sum(beginning, ZERO), sales[n])
        found.append(Headline(as_of=day, owed=owed, overdue=owed - current, over_90=over_90, figures=figures))
    return found, totals[len(views) :]


@dataclass(frozen=True)
class PracticeFigures:
    """What the practice view shows of one organisation: today's amounts, DSO today and a week ago."""

    owed: Decimal
    overdue: Decimal
    over_90: Decimal
    dso: Decimal | None
    dso_week_ago: Decimal | None

    @property
    def dso_change(self) -> Decimal | None:
        if self.dso is None or self.dso_week_ago is None:
            return None
        return self.dso - self.dso_week_ago


def practice_figures(
    session: Session, todays: Mapping[int, date], days: int = 90
) -> dict[int, PracticeFigures]:
    """The practice view's figures of many organisations (id -> its today) in one query per
    distinct "today" (organisations' zones put them on one or two dates), not per organisation.

    The same definitions as ``key_figures`` and ``aging_report(credits=False)`` by due date, written
    as conditional sums grouped by organisation: an invoice's balance on a day is its total less the
    allocations applied by then; it is overdue once its due date (or issue date) has passed, and
    over 90 days when that was more than 90 days ago. Sums are rounded to the cent per customer and
    currency, then added up, as the report rounds them: the two agree to the cent in any currency.
    """
    by_day: dict[date, list[int]] = defaultdict(list)
    for organisation_id, today in todays.items():
        by_day[today].append(organisation_id)
    found: dict[int, PracticeFigures] = {}
    for today, ids in by_day.items():
        found.update(_practice_figures_on(session, ids, today, days))
    return found


def _practice_figures_on(
    session: Session, ids: list[int], today: date, days: int
) -> dict[int, PracticeFigures]:
    # One query: each invoice joined to its own allocations (by their index on organisation and
    # invoice) and grouped by invoice gives its balance today and a week ago; the outer query sums
    # those and both periods' sales per organisation. Grouping all the allocations first and
    # joining that to the invoices (then a second pass for the sales) took twice as long.
    before = today - WEEK
    rate = func.coalesce(Invoice.currency_rate, 1)
    invoices = (
        select(
            Invoice.organisation_id.label("organisation_id"),
            Invoice.customer_ledger_id.label("customer"),
            Invoice.currency.label("currency"),
            Invoice.issued_on.label("issued_on"),
            func.coalesce(Invoice.due_on, Invoice.issued_on).label("aged_from"),
            rate.label("rate"),
            Invoice.total.label("total"),
            (
                Invoice.total
                - func.coalesce(
                    func.sum(case((Allocation.applied_on <= today, Allocation.amount), else_=0)), 0
                )
            ).label("now"),
            (
                Invoice.total
                - func.coalesce(
                    func.sum(case((Allocation.applied_on <= before, Allocation.amount), else_=0)), 0
                )
            ).label("before"),
        )
        .select_from(Invoice)
        .outerjoin(
            Allocation,
            and_(
                Allocation.organisation_id == Invoice.organisation_id,
                Allocation.invoice_ledger_id == Invoice.ledger_id,
                Allocation.active.is_(True),
            ),
        )
        .where(
            Invoice.organisation_id.in_(ids),
            Invoice.status.in_([InvoiceStatus.OPEN.value, InvoiceStatus.PAID.value]),
            Invoice.issued_on <= today,
        )
        # By the key (PostgreSQL then knows the other columns depend on it), led by the unique
        # (organisation, ledger id): SQLite reads the invoices in that index's order and needs no sort.
        .group_by(Invoice.organisation_id, Invoice.ledger_id, Invoice.id)
        .subquery()
    )
    open_now = invoices.c.now > OPEN_ABOVE
    owed_now = invoices.c.now * invoices.c.rate
    sale = invoices.c.total * invoices.c.rate
    rows = session.execute(
        select(
            invoices.c.organisation_id,
            func.sum(case((open_now, owed_now), else_=0)),
            func.sum(case((and_(open_now, invoices.c.aged_from < today), owed_now), else_=0)),
            func.sum(
                case((and_(open_now, invoices.c.aged_from < today - timedelta(days=90)), owed_now), else_=0)
            ),
            func.sum(
                case(
                    (
                        and_(invoices.c.issued_on <= before, invoices.c.before > OPEN_ABOVE),
                        invoices.c.before * invoices.c.rate,
                    ),
                    else_=0,
                )
            ),
            func.sum(case((invoices.c.issued_on > today - timedelta(days=days), sale), else_=0)),
            func.sum(
                case(
                    (
                        and_(
                            invoices.c.issued_on > before - timedelta(days=days),
                            invoices.c.issued_on <= before,
                        ),
                        sale,
                    ),
                    else_=0,
                )
            ),
        ).group_by(invoices.c.organisation_id, invoices.c.customer, invoices.c.currency)
    ).all()
    # Each customer's amount per currency rounded to the cent, then summed: as aging_totals (the
    # dashboard) and the ledgers' reports do, so the practice view and the dashboard agree to the
    # cent (a sum rounded once differed from them by a cent in the demo).
    sums: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO] * 6)
    for organisation_id, *amounts in rows:
        totals = sums[organisation_id]
        for n, amount in enumerate(amounts):
            totals[n] += cents(amount)
        # The dashboard's overdue is what is owed less the current bucket, each rounded.
        owed_here, overdue_here = (Decimal(str(a or 0)) for a in amounts[:2])
        totals[1] += cents(owed_here) - cents(owed_here - overdue_here) - cents(overdue_here)
    found = {organisation_id: PracticeFigures(ZERO, ZERO, ZERO, None, None) for organisation_id in ids}
    for organisation_id, (owed, overdue, over_90, owed_before, sold, sold_before) in sums.items():
        found[organisation_id] = PracticeFigures(
            owed=owed,
            overdue=overdue,
            over_90=over_90,
            dso=days_sales_outstanding(owed, sold, days),
            dso_week_ago=days_sales_outstanding(owed_before, sold_before, days),
        )
    return found


def overview(session: Session, organisation_id: int, today: date) -> Overview:
    """Today's headline and the one of seven days before (``today`` is the organisation's)."""
    (now, before), _ = headlines(session, organisation_id, [today, today - WEEK])
    return Overview(now, before)


@dataclass(frozen=True)
class TodaysAging:
    """Today's aging totals, one per bucket, net of unused credit."""

    labels: tuple[str, ...]
    totals: list[Decimal]


def overview_and_aging(session: Session, organisation_id: int, today: date) -> tuple[Overview, TodaysAging]:
    """The dashboard's figures: ``overview`` and ``aging_today``'s totals, in one pass over the mirror."""
    view = todays_aging(organisation_id, today)
    (now, before), (aging,) = headlines(session, organisation_id, [today, today - WEEK], also=[view])
    return Overview(now, before), TodaysAging(view.buckets.labels, aging)


@dataclass(frozen=True)
class AgingTrend:
    """The daily snapshots of the last ``days``: one list of amounts per bucket label, by day."""

    days: list[date]
    labels: list[str]
    amounts: dict[str, list[Decimal]]


def aging_trend(session: Session, organisation_id: int, today: date, days: int = 90) -> AgingTrend:
    """The aging snapshots taken in the ``days`` up to ``today``, oldest first. Buckets are the
    latest snapshot's; a day taken with other edges shows what of it fits (0 for a missing label)."""
    snapshots = session.scalars(
        select(AgingSnapshot)
        .where(
            AgingSnapshot.organisation_id == organisation_id,
            AgingSnapshot.taken_on > today - timedelta(days=days),
            AgingSnapshot.taken_on <= today,
        )
        .order_by(AgingSnapshot.taken_on)
    ).all()
    labels = list(snapshots[-1].labels) if snapshots else []
    amounts: dict[str, list[Decimal]] = {label: [] for label in labels}
    for snapshot in snapshots:
        by_bucket = snapshot.by_bucket
        for label in labels:
            amounts[label].append(by_bucket.get(label, Decimal("0")))
    return AgingTrend([snapshot.taken_on for snapshot in snapshots], labels, amounts)


@dataclass(frozen=True)
class CustomerToActOn:
    """A customer whose standing says to act: what they owe and how risky they are, in words."""

    customer_ledger_id: str
    customer_id: int | None  # the mirror's row, None if the ledger's contact is not mirrored
    name: str
    overdue: Decimal
    open_balance: Decimal
    risk: RiskClass
    explanation: str


class FirstOrder(StrEnum):
    LARGEST_OVERDUE = "largest_overdue"
    HIGHEST_RISK = "highest_risk"


def customers_to_act_on(
    session: Session, organisation_id: int, order: FirstOrder, limit: int = 8
) -> list[CustomerToActOn]:
    """Customers with something overdue, by the largest overdue amount or by the highest risk
    (then the largest overdue), from their stored standings."""
    ordering = (
        (CustomerStanding.overdue_balance.desc(),)
        if order == FirstOrder.LARGEST_OVERDUE
        else (CustomerStanding.risk.desc(), CustomerStanding.overdue_balance.desc())
    )
    rows = session.execute(
        select(CustomerStanding, Customer.id, Customer.name)
        .outerjoin(
            Customer,
            (Customer.organisation_id == CustomerStanding.organisation_id)
            & (Customer.ledger_id == CustomerStanding.customer_ledger_id),
        )
        .where(CustomerStanding.organisation_id == organisation_id, CustomerStanding.overdue_balance > 0)
        .order_by(*ordering, CustomerStanding.customer_ledger_id)
        .limit(limit)
    ).all()
    return [
        CustomerToActOn(
            standing.customer_ledger_id,
            customer_id,
            name or standing.customer_ledger_id,
            standing.overdue_balance,
            standing.open_balance,
            RiskClass(standing.risk),
            standing.explanation,
        )
        for standing, customer_id, name in rows
    ]


def todays_aging(organisation_id: int, today: date) -> AgingView:
    """The aging by the organisation's own buckets and basis, net of unused credit, as the
    ledger's aged receivables and the nightly snapshot show it."""
    chosen = settings_of(organisation_id)
    return AgingView(today, AgingBasis(chosen.aging_basis), Buckets(tuple(chosen.aging_edges)), credits=True)


def aging_today(session: Session, organisation_id: int, today: date) -> AgingReport:
    """``todays_aging``, customer by customer."""
    view = todays_aging(organisation_id, today)
    return aging_report(session, organisation_id, today, view.basis, view.buckets, credits=True)
