"""Key figures and payment behaviour on small ledgers worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from reminders.figures import key_figures, payment_behaviour
from runtime.tenancy import Organisation
from sync.models import Allocation, Invoice

AS_OF = date(2026, 6, 30)
STAMP = datetime(2026, 6, 30, tzinfo=UTC)


@pytest.fixture
def organisation(session) -> int:  # type: ignore[no-untyped-def]
    organisation = Organisation(name="Harbour Cafe Ltd")
    session.add(organisation)
    session.commit()
    return organisation.id


def invoice(
    session,
    organisation_id: int,
    ledger_id: str,
    customer: str,
    total: str,
    issued: date,
    due: date,
    status="open",
    paid_on=None,
):  # type: ignore[no-untyped-def]
    session.add(
        Invoice(
            organisation_id=organisation_id,
            ledger_id=ledger_id,
            customer_ledger_id=customer,
            status=status,
            currency="NZD",
            issued_on=issued,
            due_on=due,
            total=Decimal(total),
            amount_due=Decimal(0),
            amount_paid=Decimal(0),
            amount_credited=Decimal(0),
            ledger_updated_at=STAMP,
        )
    )
    if paid_on is not None:
        session.add(
            Allocation(
                organisation_id=organisation_id,
                source_kind="payment",
                source_ledger_id=f"pay-{ledger_id}",
                invoice_ledger_id=ledger_id,
                amount=Decimal(total),
                applied_on=paid_on,
            )
        )


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
