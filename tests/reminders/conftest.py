"""The collections tests' shared fixtures: a small mirrored ledger to compute figures on (an
organisation and invoices paid on given days). The Xero organisation connected over HTTP, ``xero``,
is in tests/conftest.py (the portal's tests use it too)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

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
    number="",
    payments=(),
):  # type: ignore[no-untyped-def]
    """An invoice; ``paid_on`` pays it in full that day, ``payments`` are (amount, day) pairs."""
    session.add(
        Invoice(
            organisation_id=organisation_id,
            ledger_id=ledger_id,
            customer_ledger_id=customer,
            number=number,
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
        payments = [(Decimal(total), paid_on)]
    for index, (amount, on) in enumerate(payments):
        session.add(
            Allocation(
                organisation_id=organisation_id,
                source_kind="payment",
                source_ledger_id=f"pay-{ledger_id}-{index}",
                invoice_ledger_id=ledger_id,
                amount=Decimal(amount),
                applied_on=on,
            )
        )
