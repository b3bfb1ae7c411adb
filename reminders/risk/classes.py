"""Risk class of each customer, explained in words, from how they have paid.

The rules, each organisation's to tune (``RiskRules``):

- a customer with fewer than ``min_history`` invoices paid in the last year has no history:
  riskier than a long-term customer who pays a little late ("new customer, no history");
- the usual lateness (average days beyond terms over the year) sets the class: up to
  ``late_days_medium`` is low, up to ``late_days_high`` medium, beyond that high;
- paying later recently (the last 90 days) than usual by ``worsening_days`` or more raises the
  class by one ("getting worse");
- a customer paying on time for ``long_term_months`` or more is a "long-term good payer";
- ``broken_promises_raise`` or more promises to pay broken in the last year raise the class by one
  ("broke a promise to pay"): a customer's word is evidence beside their payments.

Segments: large and small accounts by the open balance against the organisation's threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import IntEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reminders.promises import RISK_WINDOW_DAYS, broken_counts
from reminders.receivables.aging import AgingReport, aging_report
from reminders.receivables.figures import PaymentBehaviour, payment_behaviour
from sync.models import Invoice


class RiskClass(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class RiskRules:
    min_history: int = 3
    late_days_medium: int = 7
    late_days_high: int = 30
    worsening_days: int = 10
    long_term_months: int = 24
    large_account_threshold: Decimal | None = None  # in base currency; None: everyone is "small"
    broken_promises_raise: int = 1


@dataclass(frozen=True)
class Assessment:
    customer_ledger_id: str
    risk: RiskClass
    explanation: str
    segment: str  # "large" | "small"
    open_balance: Decimal


def _days(value: Decimal) -> str:
    whole = int(value.to_integral_value())
    return f"{whole} day{'s' if abs(whole) != 1 else ''}"


def classify(
    year: PaymentBehaviour | None,
    recent: PaymentBehaviour | None,
    first_invoice: date | None,
    as_of: date,
    rules: RiskRules,
    broken_promises: int = 0,
) -> tuple[RiskClass, str]:
    """The class and the words for one customer (pure, so the rules can be tested alone)."""
    broke = rules.broken_promises_raise > 0 and broken_promises >= rules.broken_promises_raise
    promise_words = (
        ", broke a promise to pay" if broken_promises == 1 else f", broke {broken_promises} promises to pay"
    )
    if year is None or year.invoices_paid < rules.min_history:
        if broke:
            return RiskClass.HIGH, "new customer, no history" + promise_words
        return RiskClass.MEDIUM, "new customer, no history"
    usual = year.average_days_beyond_terms
    if usual <= rules.late_days_medium:
        risk = RiskClass.LOW
    elif usual <= rules.late_days_high:
        risk = RiskClass.MEDIUM
    else:
        risk = RiskClass.HIGH
    worse = recent is not None and recent.average_days_beyond_terms - usual >= rules.worsening_days
    if worse:
        risk = RiskClass(min(risk + 1, RiskClass.HIGH))
    long_term = first_invoice is not None and (as_of - first_invoice).days >= rules.long_term_months * 30.4
    if usual <= 0:
        words = "long-term good payer" if long_term else "pays on time"
    else:
        words = f"usually pays {_days(usual)} late"
    if worse:
        words += ", getting worse"
    if broke:
        risk = RiskClass(min(risk + 1, RiskClass.HIGH))
        words += promise_words
    return risk, words


@dataclass(frozen=True)
class Evidence:
    """What the assessment reads, computed once, so that a caller storing more can reuse it."""

    year: dict[str, PaymentBehaviour]
    recent: dict[str, PaymentBehaviour]
    aging: AgingReport
    first_invoice: dict[str, date]
    # Promises to pay broken in the last year, by customer ledger id.
    broken_promises: dict[str, int] = field(default_factory=dict)

    @classmethod
    def gather(cls, session: Session, organisation_id: int, as_of: date) -> Evidence:
        def by_customer(months: int) -> dict[str, PaymentBehaviour]:
            found = payment_behaviour(session, organisation_id, as_of, months=months)
            return {b.customer_ledger_id: b for b in found}

        first = session.execute(
            select(Invoice.customer_ledger_id, func.min(Invoice.issued_on))
            .where(Invoice.organisation_id == organisation_id, Invoice.issued_on <= as_of)
            .group_by(Invoice.customer_ledger_id)
        ).all()
        broken = broken_counts(session, organisation_id, as_of - timedelta(days=RISK_WINDOW_DAYS))
        return cls(
            by_customer(12),
            by_customer(3),
            aging_report(session, organisation_id, as_of),
            dict(first),
            broken,
        )


def assess_customers(
    session: Session,
    organisation_id: int,
    as_of: date,
    rules: RiskRules = RiskRules(),
    evidence: Evidence | None = None,
) -> list[Assessment]:
    """Every customer with an open balance or a payment in the last year, assessed."""
    evidence = evidence or Evidence.gather(session, organisation_id, as_of)
    balances = {c.customer_ledger_id: c.total for c in evidence.aging.customers}
    assessments = []
    for customer in sorted(set(evidence.year) | set(balances)):
        risk, words = classify(
            evidence.year.get(customer),
            evidence.recent.get(customer),
            evidence.first_invoice.get(customer),
            as_of,
            rules,
            evidence.broken_promises.get(customer, 0),
        )
        balance = balances.get(customer, Decimal("0.00"))
        large = rules.large_account_threshold is not None and balance >= rules.large_account_threshold
        assessments.append(Assessment(customer, risk, words, "large" if large else "small", balance))
    return assessments
