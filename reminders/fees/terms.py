"""The decision: which late fees fall due, from the invoices, the organisation's terms and a day.

Pure: no session, no clock, no ledger; the day step (``reminders.fees.proposing``) feeds it the
mirror and keeps what it returns, one row per (invoice, kind, period), so a fee decided twice is
one fee.

Periods are months counted from the day the fee terms start to bite on an invoice (the day after
its due date plus the grace period): period 0 runs from that day for one month, period 1 the month
after, and so on. On a given day only the period the day falls in is due: turning fees on does not
charge an old invoice for the months before, and a day step that missed days catches up with the
current period, never with a backlog.

Kinds:

- ``interest``: a share of the invoice's overdue balance for the period. A percentage a month
  (``percent_a_month``), or a yearly statutory rate counted by the days of the period over 365
  (simple interest, as both statutes reckon it).
- ``fixed``: once per invoice, keyed to its first period whatever the day it is decided: the
  organisation's fixed fee, or a statute's fixed compensation.

The statutory presets:

- UK, Late Payment of Commercial Debts (Interest) Act 1998: statutory interest at 8% a year over
  the Bank of England's official dealing (base) rate "in force on the 30th June (in respect of
  interest which starts to run between 1st July and 31st December) or the 31st December (...
  between 1st January and 30th June) immediately before the day on which statutory interest
  starts to run" (the Late Payment of Commercial Debts (Rate of Interest) (No. 3) Order 2002,
  art. 4: https://www.legislation.gov.uk/uksi/2002/1675/article/4; the Act:
  https://www.legislation.gov.uk/ukpga/1998/20). Fixed compensation by the size of the debt,
  s.5A (https://www.legislation.gov.uk/ukpga/1998/20/section/5A): £40 under £1,000, £70 under
  £10,000, £100 for £10,000 or more. Amounts in sterling: the preset charges GBP invoices only.
- France, Code de commerce L441-10 II
  (https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000038414392): late-payment penalties
  due the day after the payment date on the invoice, with no reminder needed, at the ECB's rate
  for its most recent main refinancing operation plus 10 percentage points unless the contract
  says otherwise (the rate in force on 1 January for the first half-year, on 1 July for the
  second), and the indemnité forfaitaire pour frais de recouvrement of €40 fixed by decree
  (Code de commerce D441-5, https://www.legifrance.gouv.fr/codes/id/LEGITEXT000005634379).
  Amounts in euros: the preset charges EUR invoices only.

The reference rate (the base rate or the ECB's) is a setting the organisation keeps up to date,
with the date it took effect: Relance does not fetch it, and keeps each value it was given with
its date (``reference_rates``). The rate a fee uses is the one in force on the statute's reference
day: for the UK, the 30 June or 31 December immediately before the day interest starts to run on
the debt (so one debt keeps one rate); for France, 1 January or 1 July of the half-year the
period starts in. A reference day before the first value known uses the earliest one.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")


class Preset(StrEnum):
    PERCENTAGE = "percentage"  # a percentage a month of the overdue balance
    FIXED = "fixed"  # a fixed fee per overdue invoice
    PERCENTAGE_AND_FIXED = "percentage_and_fixed"
    UK_LATE_PAYMENT_ACT = "uk_late_payment_act"
    FR_CODE_DE_COMMERCE = "fr_code_de_commerce"


class FeeKind(StrEnum):
    INTEREST = "interest"
    FIXED = "fixed"


# The statutes' margins over their reference rate, in points a year.
UK_MARGIN = Decimal(8)
FR_MARGIN = Decimal(10)
# France's indemnité forfaitaire (D441-5).
FR_FIXED = Decimal(40)


def uk_fixed_sum(debt: Decimal) -> Decimal:
    """The 1998 Act's fixed sum for a debt of ``debt`` pounds (s.5A(2))."""
    if debt < 1000:
        return Decimal(40)
    if debt < 10000:
        return Decimal(70)
    return Decimal(100)


@dataclass(frozen=True)
class Terms:
    """An organisation's fee terms, as the decision reads them."""

    preset: Preset
    grace_days: int = 0
    percent_a_month: Decimal = Decimal(0)
    fixed_fee: Decimal = Decimal(0)
    # The statutes' reference rate (Bank of England base rate, ECB refinancing rate), % a year:
    # the values known with the day each took effect, and the one to use when none is.
    reference_rate: Decimal = Decimal(0)
    minimum_fee: Decimal = CENT  # fees below this are not worth an invoice
    reference_rates: tuple[tuple[date, Decimal], ...] = ()

    @property
    def statutory_currency(self) -> str | None:
        """The currency a statutory preset's amounts are in (it charges those invoices only)."""
        if self.preset is Preset.UK_LATE_PAYMENT_ACT:
            return "GBP"
        if self.preset is Preset.FR_CODE_DE_COMMERCE:
            return "EUR"
        return None

    def rate_in_force(self, on: date) -> Decimal:
        """The reference rate in force on ``on``: the latest value that took effect by then, else
        the earliest known, else ``reference_rate``."""
        known = sorted(self.reference_rates)
        before = [rate for day, rate in known if day <= on]
        if before:
            return before[-1]
        return known[0][1] if known else self.reference_rate

    def yearly_rate(self, interest_starts: date, period_start: date) -> Decimal | None:
        """A statute's interest rate, % a year, for a debt whose interest starts to run on
        ``interest_starts``, over the period from ``period_start``; None for contractual terms."""
        if self.preset is Preset.UK_LATE_PAYMENT_ACT:
            # Order 2002/1675 art. 4: the rate in force on the 30 June or 31 December just before.
            if interest_starts.month <= 6:
                reference_day = date(interest_starts.year - 1, 12, 31)
            else:
                reference_day = date(interest_starts.year, 6, 30)
            return self.rate_in_force(reference_day) + UK_MARGIN
        if self.preset is Preset.FR_CODE_DE_COMMERCE:
            # L441-10 II: the rate in force on 1 January for the first half-year, on 1 July after.
            reference_day = date(period_start.year, 1 if period_start.month <= 6 else 7, 1)
            return self.rate_in_force(reference_day) + FR_MARGIN
        return None


@dataclass(frozen=True)
class OverdueInvoice:
    """An invoice as the decision needs it."""

    ledger_id: str
    number: str
    currency: str
    amount_due: Decimal
    due_on: date | None


@dataclass(frozen=True)
class FeeDue:
    """One fee the terms make due: for an invoice, of a kind, for a period (a month)."""

    invoice_ledger_id: str
    invoice_number: str
    kind: FeeKind
    period_start: date
    period_end: date  # the last day of the period
    currency: str
    amount: Decimal
    # What the amount was counted from, for the fee's description and the review page.
    balance: Decimal
    rate: Decimal | None  # % a month for percentage terms, % a year for a statute


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, kept within the month (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def current_period(first_day: date, today: date) -> tuple[date, date] | None:
    """The month-long period, counted from ``first_day``, that ``today`` falls in (None before)."""
    if today < first_day:
        return None
    months = (today.year - first_day.year) * 12 + today.month - first_day.month
    start = add_months(first_day, months)
    if start > today:
        months -= 1
        start = add_months(first_day, months)
    return start, add_months(first_day, months + 1) - timedelta(days=1)


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _fee(
    invoice: OverdueInvoice,
    kind: FeeKind,
    amount: Decimal,
    rate: Decimal | None,
    period: tuple[date, date],
    terms: Terms,
) -> list[FeeDue]:
    amount = _cents(amount)
    if amount < max(terms.minimum_fee, CENT):
        return []
    start, end = period
    return [
        FeeDue(
            invoice.ledger_id,
            invoice.number,
            kind,
            start,
            end,
            invoice.currency,
            amount,
            invoice.amount_due,
            rate,
        )
    ]


def fees_due(
    invoices: Iterable[OverdueInvoice],
    terms: Terms,
    today: date,
    excluded: frozenset[str] = frozenset(),
) -> list[FeeDue]:
    """The fees due ``today`` under ``terms`` (see the module's docstring); ``excluded`` are ledger
    ids never charged (disputed invoices, fee invoices themselves)."""
    due: list[FeeDue] = []
    statutory = terms.statutory_currency
    for invoice in invoices:
        if invoice.ledger_id in excluded or invoice.due_on is None or invoice.amount_due <= 0:
            continue
        if statutory is not None and invoice.currency.upper() != statutory:
            continue
        first_day = invoice.due_on + timedelta(days=1 + max(terms.grace_days, 0))
        period = current_period(first_day, today)
        if period is None:
            continue
        yearly = terms.yearly_rate(invoice.due_on + timedelta(days=1), period[0])
        if yearly is not None:
            days = (period[1] - period[0]).days + 1
            due += _fee(
                invoice,
                FeeKind.INTEREST,
                invoice.amount_due * yearly / 100 * days / 365,
                yearly,
                period,
                terms,
            )
        elif terms.preset in (Preset.PERCENTAGE, Preset.PERCENTAGE_AND_FIXED):
            rate = terms.percent_a_month
            due += _fee(invoice, FeeKind.INTEREST, invoice.amount_due * rate / 100, rate, period, terms)
        # The fixed part is once per invoice: always for its first period, whenever it is decided.
        first = (first_day, add_months(first_day, 1) - timedelta(days=1))
        fixed: Decimal | None = None
        if terms.preset is Preset.UK_LATE_PAYMENT_ACT:
            fixed = uk_fixed_sum(invoice.amount_due)
        elif terms.preset is Preset.FR_CODE_DE_COMMERCE:
            fixed = FR_FIXED
        elif terms.preset in (Preset.FIXED, Preset.PERCENTAGE_AND_FIXED):
            fixed = terms.fixed_fee
        if fixed is not None:
            due += _fee(invoice, FeeKind.FIXED, fixed, None, first, terms)
    return due
