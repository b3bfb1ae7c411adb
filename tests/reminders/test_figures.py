"""Key figures and payment behaviour on small ledgers worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reminders.receivables.figures import key_figures, payment_behaviour
from tests.reminders.conftest import AS_OF, invoice


def test_dso_cei_and_the_share_over_ninety_days(session, organisation) -> None:
    # Before the period: 1,000 owed since January (over 90 days by 30 June), never paid.
    invoice(session, organisation, "old", "c-1", "1000.00", date(2026, 1, 10), date(2026, 2, 9))
    # In the period (1 April - 30 June): 3,000 of sales; 2,000 paid, 1,000 still current.
    invoice(
        session,
        organisation,
        "a",
        "c-2",
        "2000.00",
        date(2026, 4, 10),
        date(2026, 5, 10),
        "paid",
        date(2026, 5, 5),
    )
    invoice(session, organisation, "b", "c-2", "1000.00", date(2026, 6, 20), date(2026, 7, 20))
    session.commit()

    figures = key_figures(session, organisation, AS_OF, days=90)

    assert figures.receivables == Decimal("2000.00") and figures.credit_sales == Decimal("3000.00")
    assert figures.dso == Decimal("60.0")  # 2,000 / 3,000 x 90
    # (1,000 at the start + 3,000 sold - 2,000 at the end) / (1,000 + 3,000 - 1,000 current) = 66.7 %
    assert figures.cei == Decimal("66.7")
    assert figures.over_90_share == Decimal("0.5000")


def test_no_sales_no_dso(session, organisation) -> None:
    assert key_figures(session, organisation, AS_OF).dso is None


def test_days_to_pay_and_beyond_terms_per_customer(session, organisation) -> None:
    invoice(
        session,
        organisation,
        "1",
        "c-1",
        "100.00",
        date(2026, 3, 1),
        date(2026, 3, 31),
        "paid",
        date(2026, 4, 10),
    )  # 40 / +10
    invoice(
        session,
        organisation,
        "2",
        "c-1",
        "100.00",
        date(2026, 4, 1),
        date(2026, 5, 1),
        "paid",
        date(2026, 4, 21),
    )  # 20 / -10
    invoice(
        session,
        organisation,
        "3",
        "c-2",
        "100.00",
        date(2026, 5, 1),
        date(2026, 5, 31),
        "paid",
        date(2026, 6, 15),
    )  # 45 / +15
    invoice(
        session, organisation, "4", "c-2", "100.00", date(2026, 5, 1), date(2026, 5, 31)
    )  # not paid: not counted
    invoice(
        session,
        organisation,
        "5",
        "c-3",
        "100.00",
        date(2024, 1, 1),
        date(2024, 1, 31),
        "paid",
        date(2024, 2, 1),
    )  # too old
    session.commit()

    behaviour = {b.customer_ledger_id: b for b in payment_behaviour(session, organisation, AS_OF)}

    assert set(behaviour) == {"c-1", "c-2"}
    assert (behaviour["c-1"].invoices_paid, behaviour["c-1"].paid_late) == (2, 1)
    assert behaviour["c-1"].average_days_to_pay == Decimal("30.0")
    assert behaviour["c-1"].average_days_beyond_terms == Decimal("0.0")
    assert behaviour["c-2"].average_days_beyond_terms == Decimal("15.0")
