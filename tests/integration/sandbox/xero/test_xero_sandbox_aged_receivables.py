"""AgedReceivablesByContact as at a date: invoices less credits and payments, unallocated credits negative."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from xero_python.accounting import (
    Allocation,
    Allocations,
    Contact,
    CreditNote,
    CreditNotes,
    Invoice,
    LineItem,
)


@pytest.fixture
def customer(xero_sandbox):
    return xero_sandbox.create_contact("Harbour Bakery")


@pytest.fixture
def today(xero_sandbox) -> date:
    return xero_sandbox.clock.today()


def credit_note(xero_sandbox, xero_accounting, contact_id: str, amount: str, on: date, status="AUTHORISED"):
    """A sales credit note of `amount` plus 15% GST, through the API."""
    note = CreditNote(
        type="ACCRECCREDIT",
        contact=Contact(contact_id=contact_id),
        status=status,
        date=on,
        line_items=[LineItem(description="Returned", quantity=Decimal(1), unit_amount=Decimal(amount))],
    )
    return xero_accounting.create_credit_notes(
        xero_sandbox.tenant_id, CreditNotes(credit_notes=[note])
    ).credit_notes[0]


def allocation(invoice_id: str, amount: str, on: date) -> Allocations:
    return Allocations(
        allocations=[Allocation(invoice=Invoice(invoice_id=invoice_id), amount=Decimal(amount), date=on)]
    )


def report_on(xero_sandbox, xero_accounting, contact_id: str, **dates):
    return xero_accounting.get_report_aged_receivables_by_contact(
        xero_sandbox.tenant_id, contact_id, **dates
    ).reports[0]


def lines(report) -> dict[str, list[str]]:
    """Number -> [Total, Paid, Credited, Due] of each transaction row."""
    return {
        r.cells[1].value: [c.value for c in r.cells[4:]]
        for r in report.rows[2].rows
        if r.row_type.value == "Row"
    }


def opening_and_closing(report) -> tuple[str, str]:
    return report.rows[1].rows[0].cells[7].value, report.rows[3].rows[0].cells[7].value


def test_part_allocated_credit_note_and_overpayment_show_what_remains_as_negative_due(
    xero_sandbox, xero_accounting, customer, today
):
    invoice = xero_sandbox.create_invoice(
        customer.contact_id, Decimal("100"), issued=today - timedelta(days=10)
    )
    note = credit_note(xero_sandbox, xero_accounting, customer.contact_id, "40", today - timedelta(days=5))
    xero_accounting.create_credit_note_allocation(
        xero_sandbox.tenant_id,
        note.credit_note_id,
        allocation(invoice.invoice_id, "30.00", today - timedelta(days=3)),
    )
    overpayment = xero_sandbox.create_credit("Overpayment", customer.contact_id, Decimal("25"))
    xero_sandbox.books.credits[overpayment.credit_id].reference = "BANK-7"

    report = report_on(xero_sandbox, xero_accounting, customer.contact_id, date=today)

    assert lines(report) == {
        invoice.invoice_number: ["115.00", "0.00", "30.00", "85.00"],
        note.credit_note_number: ["-46.00", "0.00", "-30.00", "-16.00"],
        "BANK-7": ["-25.00", "0.00", "0.00", "-25.00"],
    }
    summary = report.rows[2].rows[-1]
    assert [c.value for c in summary.cells[4:]] == ["44.00", "0.00", "0.00", "44.00"]
    assert opening_and_closing(report) == ("0.00", "44.00")


def test_credit_rows_name_the_credit_and_have_no_due_date(xero_sandbox, xero_accounting, customer, today):
    note = credit_note(xero_sandbox, xero_accounting, customer.contact_id, "10", today)
    prepayment = xero_sandbox.create_credit("Prepayment", customer.contact_id, Decimal("5"))

    rows = report_on(xero_sandbox, xero_accounting, customer.contact_id).rows[2].rows[:-1]

    attributes = {(r.cells[0].attributes[0].id, r.cells[0].attributes[0].value) for r in rows}
    assert attributes == {
        ("creditNoteID", str(note.credit_note_id)),
        ("prepaymentID", prepayment.credit_id),
    }
    assert all(r.cells[2].value == "" and r.cells[3].value == "" for r in rows)


def test_credit_allocated_after_the_report_date_counts_in_full_on_that_date(
    xero_sandbox, xero_accounting, customer, today
):
    invoice = xero_sandbox.create_invoice(
        customer.contact_id, Decimal("100"), issued=today - timedelta(days=20)
    )
    note = credit_note(xero_sandbox, xero_accounting, customer.contact_id, "40", today - timedelta(days=10))
    xero_accounting.create_credit_note_allocation(
        xero_sandbox.tenant_id, note.credit_note_id, allocation(invoice.invoice_id, "46.00", today)
    )

    earlier = report_on(xero_sandbox, xero_accounting, customer.contact_id, date=today - timedelta(days=5))
    now = report_on(xero_sandbox, xero_accounting, customer.contact_id, date=today)

    assert lines(earlier) == {
        invoice.invoice_number: ["115.00", "0.00", "0.00", "115.00"],
        note.credit_note_number: ["-46.00", "0.00", "0.00", "-46.00"],
    }
    assert lines(now) == {invoice.invoice_number: ["115.00", "0.00", "46.00", "69.00"]}
    assert opening_and_closing(earlier)[1] == opening_and_closing(now)[1] == "69.00"


def test_overpayment_allocation_counts_as_credited_on_the_invoice_from_its_date(
    xero_sandbox, xero_accounting, customer, today
):
    invoice = xero_sandbox.create_invoice(
        customer.contact_id, Decimal("100"), issued=today - timedelta(days=10)
    )
    overpayment = xero_sandbox.create_credit("Overpayment", customer.contact_id, Decimal("50"))
    xero_sandbox.books.credits[overpayment.credit_id].date = today - timedelta(days=8)
    xero_accounting.create_overpayment_allocations(
        xero_sandbox.tenant_id,
        overpayment.credit_id,
        allocation(invoice.invoice_id, "20.00", today - timedelta(days=2)),
    )

    before = report_on(xero_sandbox, xero_accounting, customer.contact_id, date=today - timedelta(days=4))
    after = report_on(xero_sandbox, xero_accounting, customer.contact_id, date=today)

    assert lines(before) == {
        invoice.invoice_number: ["115.00", "0.00", "0.00", "115.00"],
        "": ["-50.00", "0.00", "0.00", "-50.00"],
    }
    assert lines(after) == {
        invoice.invoice_number: ["115.00", "0.00", "20.00", "95.00"],
        "": ["-50.00", "0.00", "-20.00", "-30.00"],
    }


def test_credits_before_from_date_go_into_the_opening_balance(xero_sandbox, xero_accounting, customer, today):
    credit_note(xero_sandbox, xero_accounting, customer.contact_id, "20", today - timedelta(days=40))
    invoice = xero_sandbox.create_invoice(
        customer.contact_id, Decimal("100"), issued=today - timedelta(days=5)
    )

    report = report_on(
        xero_sandbox,
        xero_accounting,
        customer.contact_id,
        date=today,
        from_date=today - timedelta(days=30),
        to_date=today,
    )

    assert lines(report) == {invoice.invoice_number: ["115.00", "0.00", "0.00", "115.00"]}
    assert opening_and_closing(report) == ("-23.00", "92.00")


def test_draft_and_voided_credits_are_not_on_the_report(xero_sandbox, xero_accounting, customer, today):
    credit_note(xero_sandbox, xero_accounting, customer.contact_id, "10", today, status="DRAFT")
    voided = xero_sandbox.create_credit("Overpayment", customer.contact_id, Decimal("5"))
    xero_sandbox.books.credits[voided.credit_id].status = "VOIDED"

    report = report_on(xero_sandbox, xero_accounting, customer.contact_id)

    assert lines(report) == {}
    assert opening_and_closing(report) == ("0.00", "0.00")
