"""Upserting into the mirror: keyed on the ledger's ids, the newer version wins, allocations
follow their source, nothing is ever deleted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from integration.ledger import (
    Allocation as LedgerAllocation,
)
from integration.ledger import (
    ContactRecord,
    InvoiceRecord,
    InvoiceStatus,
    PaymentKind,
    PaymentRecord,
    RecordStatus,
)
from runtime.tenancy import Organisation
from sync.mirror import upsert_customers, upsert_invoices, upsert_payments
from sync.models import Allocation, Customer, Invoice

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def organisation(session) -> int:  # type: ignore[no-untyped-def]
    organisation = Organisation(name="Harbour Cafe Ltd")
    session.add(organisation)
    session.commit()
    return organisation.id


def invoice(
    ledger_id: str = "inv-1", due: str = "120.00", updated: datetime = T0, **changes
) -> InvoiceRecord:  # type: ignore[no-untyped-def]
    values = {
        "ledger_id": ledger_id,
        "number": "INV-0001",
        "contact_ledger_id": "c-1",
        "status": InvoiceStatus.OPEN,
        "currency": "NZD",
        "issued_on": date(2026, 10, 1),
        "due_on": date(2026, 10, 31),
        "total": Decimal("120.00"),
        "amount_due": Decimal(due),
        "amount_paid": Decimal("120.00") - Decimal(due),
        "amount_credited": Decimal("0"),
        "updated_at": updated,
    }
    return InvoiceRecord(**{**values, **changes})


def test_a_newer_version_replaces_an_older_one_and_never_the_reverse(session, organisation) -> None:
    upsert_invoices(session, organisation, [invoice(due="120.00", updated=T0)])
    upsert_invoices(session, organisation, [invoice(due="20.00", updated=T0 + timedelta(minutes=5))])
    upsert_invoices(session, organisation, [invoice(due="120.00", updated=T0)])  # a slow, old answer
    session.commit()

    stored = session.scalars(select(Invoice)).one()
    assert stored.amount_due == Decimal("20.00")
    assert stored.ledger_updated_at == T0 + timedelta(minutes=5)


def test_the_same_record_twice_in_one_page_keeps_the_newest(session, organisation) -> None:
    upsert_invoices(
        session,
        organisation,
        [invoice(due="50.00", updated=T0 + timedelta(seconds=1)), invoice(due="120.00", updated=T0)],
    )
    session.commit()

    assert session.scalars(select(Invoice.amount_due)).one() == Decimal("50.00")


def test_voided_and_deleted_records_are_marked_not_dropped(session, organisation) -> None:
    upsert_invoices(session, organisation, [invoice()])
    upsert_invoices(
        session, organisation, [invoice(status=InvoiceStatus.VOIDED, updated=T0 + timedelta(hours=1))]
    )
    upsert_customers(
        session, organisation, [ContactRecord("c-1", "Harbour Cafe", T0, deleted=True, active=False)]
    )
    session.commit()

    assert session.scalars(select(Invoice.status)).one() == "voided"
    assert session.scalars(select(Customer.deleted)).one() is True


def test_organisations_do_not_share_ledger_ids(session, organisation) -> None:
    other = Organisation(name="Kauri Joinery")
    session.add(other)
    session.commit()

    upsert_invoices(session, organisation, [invoice(due="10.00")])
    upsert_invoices(session, other.id, [invoice(due="99.00")])
    session.commit()

    assert sorted(session.scalars(select(Invoice.amount_due))) == [Decimal("10.00"), Decimal("99.00")]


def payment(
    status: RecordStatus = RecordStatus.ACTIVE, updated: datetime = T0, *allocations
) -> PaymentRecord:  # type: ignore[no-untyped-def]
    return PaymentRecord(
        ledger_id="pay-1",
        kind=PaymentKind.PAYMENT,
        contact_ledger_id="c-1",
        received_on=date(2026, 11, 2),
        amount=Decimal("100.00"),
        currency="NZD",
        status=status,
        updated_at=updated,
        allocations=tuple(allocations),
    )


def test_a_payment_brings_its_allocations_and_a_void_takes_them_back(session, organisation) -> None:
    upsert_payments(
        session,
        organisation,
        [
            payment(
                RecordStatus.ACTIVE,
                T0,
                LedgerAllocation("inv-1", Decimal("60.00"), date(2026, 11, 2)),
                LedgerAllocation("inv-2", Decimal("40.00"), date(2026, 11, 2)),
            )
        ],
    )
    session.commit()
    assert sorted((a.invoice_ledger_id, a.amount, a.active) for a in session.scalars(select(Allocation))) == [
        ("inv-1", Decimal("60.00"), True),
        ("inv-2", Decimal("40.00"), True),
    ]

    upsert_payments(
        session,
        organisation,
        [
            payment(
                RecordStatus.VOIDED,
                T0 + timedelta(hours=1),
                LedgerAllocation("inv-1", Decimal("60.00"), date(2026, 11, 2)),
            )
        ],
    )
    # An older answer arriving late must not bring the allocations back.
    upsert_payments(
        session,
        organisation,
        [payment(RecordStatus.ACTIVE, T0, LedgerAllocation("inv-1", Decimal("60.00"), date(2026, 11, 2)))],
    )
    session.commit()

    assert [a.active for a in session.scalars(select(Allocation))] == [False, False]


def applied(session, ledger_id: str = "inv-1") -> tuple[Decimal, date | None]:  # type: ignore[no-untyped-def]
    session.expire_all()
    stored = session.scalars(select(Invoice).where(Invoice.ledger_id == ledger_id)).one()
    return stored.applied, stored.applied_through


def test_each_invoice_keeps_what_its_live_allocations_apply_whoever_writes_them(
    session, organisation
) -> None:
    # The payment arrives before its invoice: the invoice starts with the payment counted.
    upsert_payments(
        session,
        organisation,
        [payment(RecordStatus.ACTIVE, T0, LedgerAllocation("inv-1", Decimal("60.00"), date(2026, 11, 2)))],
    )
    upsert_invoices(session, organisation, [invoice(due="60.00"), invoice("inv-2")])
    session.commit()
    assert applied(session) == (Decimal("60.00"), date(2026, 11, 2))
    assert applied(session, "inv-2") == (Decimal("0"), None)

    # A second source, written as any code might (an ORM row): summed with the first, latest day kept.
    session.add(
        Allocation(
            organisation_id=organisation,
            source_kind="credit_note",
            source_ledger_id="cn-1",
            invoice_ledger_id="inv-1",
            amount=Decimal("20.00"),
            applied_on=date(2026, 11, 20),
        )
    )
    session.commit()
    assert applied(session) == (Decimal("80.00"), date(2026, 11, 20))

    # The payment voided: its money no longer counts, and the latest day is the credit note's.
    upsert_payments(
        session,
        organisation,
        [
            payment(
                RecordStatus.VOIDED,
                T0 + timedelta(hours=1),
                LedgerAllocation("inv-1", Decimal("60.00"), date(2026, 11, 2)),
            )
        ],
    )
    session.commit()
    assert applied(session) == (Decimal("20.00"), date(2026, 11, 20))

    # A newer version of the invoice leaves the sums alone; deleting the last allocation clears them.
    upsert_invoices(session, organisation, [invoice(due="100.00", updated=T0 + timedelta(hours=2))])
    session.commit()
    assert applied(session) == (Decimal("20.00"), date(2026, 11, 20))
    session.query(Allocation).filter(Allocation.source_ledger_id == "cn-1").delete()
    session.commit()
    assert applied(session) == (Decimal("0"), None)
