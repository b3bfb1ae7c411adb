"""The credit-hold decision: the account's facts and the organisation's rules in, the reason out."""

from __future__ import annotations

from decimal import Decimal

from reminders.holds import AccountFacts, HoldReason, Rules, clears, decide

ON = Rules(enabled=True)


def facts(**changes) -> AccountFacts:  # type: ignore[no-untyped-def]
    base = {"oldest_days_past_due": 0, "overdue_balance": Decimal("0"), "balance": Decimal("0")}
    return AccountFacts(**{**base, **changes})


def test_an_invoice_ninety_days_past_due_puts_the_account_on_hold() -> None:
    late = facts(oldest_days_past_due=90, overdue_balance=Decimal("500"), balance=Decimal("500"))
    decision = decide(ON, late)
    assert decision is not None and decision.reason == HoldReason.DAYS_PAST_DUE
    assert decide(ON, facts(oldest_days_past_due=89, overdue_balance=Decimal("500"))) is None


def test_rules_switched_off_hold_nobody() -> None:
    late = facts(oldest_days_past_due=200, overdue_balance=Decimal("500"), balance=Decimal("500"))
    assert decide(Rules(enabled=False), late) is None
    assert decide(Rules(enabled=True, days_past_due=None), late) is None


def test_a_balance_over_the_credit_limit_holds_even_with_nothing_overdue() -> None:
    over = facts(balance=Decimal("1200.00"), credit_limit=Decimal("1000.00"))
    decision = decide(ON, over)
    assert decision is not None and decision.reason == HoldReason.CREDIT_LIMIT
    assert decide(ON, facts(balance=Decimal("1000.00"), credit_limit=Decimal("1000.00"))) is None
    assert decide(Rules(enabled=True, over_credit_limit=False), over) is None


def test_a_broken_promise_and_a_risk_class_hold_only_an_account_that_is_late() -> None:
    rules = Rules(enabled=True, risk_class=3)
    late = facts(oldest_days_past_due=5, overdue_balance=Decimal("80"), balance=Decimal("80"))
    promise = decide(rules, facts(**{**late.__dict__, "broken_promise": True}))
    assert promise is not None and promise.reason == HoldReason.BROKEN_PROMISE
    risky = decide(rules, facts(**{**late.__dict__, "risk_class": 3}))
    assert risky is not None and risky.reason == HoldReason.RISK_CLASS
    assert decide(rules, facts(broken_promise=True, risk_class=3)) is None


def test_a_persons_release_overrides_that_rule_but_not_another() -> None:
    late = facts(
        oldest_days_past_due=120,
        overdue_balance=Decimal("900"),
        balance=Decimal("900"),
        overridden=HoldReason.DAYS_PAST_DUE,
    )
    assert decide(ON, late) is None
    limited = facts(**{**late.__dict__, "credit_limit": Decimal("500")})
    decision = decide(ON, limited)
    assert decision is not None and decision.reason == HoldReason.CREDIT_LIMIT


def test_a_rules_hold_clears_when_nothing_is_overdue_and_the_balance_is_within_the_limit() -> None:
    assert clears(facts(balance=Decimal("300")))
    assert not clears(facts(overdue_balance=Decimal("0.01"), balance=Decimal("300")))
    assert not clears(facts(balance=Decimal("300"), credit_limit=Decimal("200")))
