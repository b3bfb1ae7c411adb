"""Risk classes and their words: the rules alone, then over a mirrored ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reminders.receivables.figures import PaymentBehaviour
from reminders.risk.classes import RiskClass, RiskRules, assess_customers, classify
from tests.reminders.conftest import AS_OF, invoice

RULES = RiskRules()


def paid(invoices: int, beyond: str) -> PaymentBehaviour:
    return PaymentBehaviour("c", invoices, 0, Decimal("30"), Decimal(beyond))


def test_a_new_customer_without_history_is_riskier_than_a_long_term_slightly_late_one() -> None:
    new = classify(None, None, date(2026, 6, 1), AS_OF, RULES)
    old = classify(paid(20, "3"), paid(4, "4"), date(2022, 1, 1), AS_OF, RULES)

    assert new == (RiskClass.MEDIUM, "new customer, no history")
    assert old == (RiskClass.LOW, "usually pays 3 days late")
    assert new[0] > old[0]


def test_getting_worse_raises_the_class_and_says_so() -> None:
    assert classify(paid(10, "12"), paid(3, "25"), date(2025, 1, 1), AS_OF, RULES) == (
        RiskClass.HIGH,
        "usually pays 12 days late, getting worse",
    )
    assert classify(paid(10, "12"), paid(3, "14"), date(2025, 1, 1), AS_OF, RULES) == (
        RiskClass.MEDIUM,
        "usually pays 12 days late",
    )


def test_a_long_term_punctual_customer_is_a_long_term_good_payer() -> None:
    assert classify(paid(30, "-2"), None, date(2023, 5, 1), AS_OF, RULES) == (
        RiskClass.LOW,
        "long-term good payer",
    )
    assert classify(paid(5, "0"), None, date(2026, 1, 1), AS_OF, RULES) == (RiskClass.LOW, "pays on time")


def test_each_organisation_sets_its_own_thresholds() -> None:
    strict = RiskRules(late_days_medium=2, late_days_high=5)

    assert classify(paid(10, "6"), None, date(2025, 1, 1), AS_OF, strict)[0] == RiskClass.HIGH
    assert classify(paid(10, "6"), None, date(2025, 1, 1), AS_OF, RULES)[0] == RiskClass.LOW


def test_customers_are_assessed_and_segmented_from_the_mirror(session, organisation) -> None:
    for number, (issued, due, paid_on) in enumerate(
        [
            (date(2025, 9, 1), date(2025, 10, 1), date(2025, 10, 20)),  # 19 days late
            (date(2025, 11, 1), date(2025, 12, 1), date(2025, 12, 15)),  # 14
            (date(2026, 1, 1), date(2026, 1, 31), date(2026, 2, 5)),  # 5
            (date(2026, 5, 1), date(2026, 5, 31), date(2026, 6, 28)),  # 28: recent, worse
        ]
    ):
        invoice(session, organisation, f"p{number}", "slow-co", "500.00", issued, due, "paid", paid_on)
    invoice(session, organisation, "open-big", "slow-co", "9000.00", date(2026, 6, 1), date(2026, 7, 1))
    invoice(session, organisation, "open-small", "new-co", "50.00", date(2026, 6, 15), date(2026, 7, 15))
    session.commit()

    found = {
        a.customer_ledger_id: a
        for a in assess_customers(
            session, organisation, AS_OF, RiskRules(large_account_threshold=Decimal("5000"))
        )
    }

    assert found["slow-co"].explanation == "usually pays 16 days late, getting worse"
    assert found["slow-co"].risk == RiskClass.HIGH
    assert (found["slow-co"].segment, found["slow-co"].open_balance) == ("large", Decimal("9000.00"))
    assert (found["new-co"].risk, found["new-co"].explanation, found["new-co"].segment) == (
        RiskClass.MEDIUM,
        "new customer, no history",
        "small",
    )


def test_a_broken_promise_to_pay_raises_the_class_by_one_and_says_so() -> None:
    assert classify(paid(10, "3"), None, date(2025, 1, 1), AS_OF, RULES, broken_promises=1) == (
        RiskClass.MEDIUM,
        "usually pays 3 days late, broke a promise to pay",
    )
    assert classify(None, None, None, AS_OF, RULES, broken_promises=2)[0] == RiskClass.HIGH
