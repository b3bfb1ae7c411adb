"""Credit notes with allocations, overpayments, prepayments, History and Notes, online invoices, reports."""

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
    HistoryRecord,
    HistoryRecords,
    Invoice,
    LineItem,
)
from xero_python.exceptions import AccountingBadRequestException


@pytest.fixture
def customer(xero_sandbox):
    return xero_sandbox.create_contact("Lakeside Physio")


def test_credit_note_allocation_reduces_what_the_invoice_owes(xero_sandbox, xero_accounting, customer):
    tenant = xero_sandbox.tenant_id
    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("100"))
    note = xero_accounting.create_credit_notes(
        tenant,
        CreditNotes(
            credit_notes=[
                CreditNote(
                    type="ACCRECCREDIT",
                    contact=Contact(contact_id=customer.contact_id),
                    status="AUTHORISED",
                    line_items=[
                        LineItem(description="Returned", quantity=Decimal(1), unit_amount=Decimal("40"))
                    ],
                )
            ]
        ),
    ).credit_notes[0]

    xero_accounting.create_credit_note_allocation(
        tenant,
        note.credit_note_id,
        Allocations(
            allocations=[
                Allocation(
                    invoice=Invoice(invoice_id=invoice.invoice_id),
                    amount=Decimal("46.00"),
                    date=date(2026, 11, 20),
                )
            ]
        ),
    )
    credited = xero_accounting.get_invoice(tenant, invoice.invoice_id).invoices[0]
    spent = xero_accounting.get_credit_note(tenant, note.credit_note_id).credit_notes[0]

    assert note.total == Decimal("46.00")
    assert credited.amount_credited == Decimal("46.00")
    assert credited.amount_due == Decimal("69.00")
    assert str(credited.credit_notes[0].credit_note_id) == str(note.credit_note_id)
    assert spent.remaining_credit == Decimal("0.00")
    assert spent.status == "PAID"
    assert len(spent.allocations) == 1


def test_allocating_more_than_the_credit_is_refused(xero_sandbox, xero_accounting, customer):
    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("100"))
    note = xero_sandbox.create_credit("CreditNote", customer.contact_id, Decimal("10"))
    with pytest.raises(AccountingBadRequestException):
        xero_accounting.create_credit_note_allocation(
            xero_sandbox.tenant_id,
            note.credit_id,
            Allocations(
                allocations=[
                    Allocation(
                        invoice=Invoice(invoice_id=invoice.invoice_id),
                        amount=Decimal("20"),
                        date=date(2026, 11, 20),
                    )
                ]
            ),
        )


def test_overpayments_and_prepayments_are_listed_and_allocated(xero_sandbox, xero_accounting, customer):
    tenant = xero_sandbox.tenant_id
    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("100"))
    over = xero_sandbox.create_credit("Overpayment", customer.contact_id, Decimal("30"))
    xero_sandbox.create_credit("Prepayment", customer.contact_id, Decimal("50"))

    xero_accounting.create_overpayment_allocations(
        tenant,
        over.credit_id,
        Allocations(
            allocations=[
                Allocation(
                    invoice=Invoice(invoice_id=invoice.invoice_id),
                    amount=Decimal("30"),
                    date=date(2026, 11, 21),
                )
            ]
        ),
    )
    overpayments = xero_accounting.get_overpayments(tenant, page=1).overpayments
    prepayments = xero_accounting.get_prepayments(tenant).prepayments
    after = xero_accounting.get_invoice(tenant, invoice.invoice_id).invoices[0]

    assert overpayments[0].type == "RECEIVE-OVERPAYMENT"
    assert overpayments[0].remaining_credit == Decimal("0.00")
    assert prepayments[0].remaining_credit == Decimal("50.00")
    assert after.amount_due == Decimal("85.00")
    assert len(after.overpayments) == 1


def test_notes_on_invoices_and_contacts_read_back_as_history(xero_sandbox, xero_accounting, customer):
    tenant = xero_sandbox.tenant_id
    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("100"))

    made = xero_accounting.create_invoice_history(
        tenant,
        invoice.invoice_id,
        HistoryRecords(history_records=[HistoryRecord(details="Reminder 1 sent by Relance")]),
    ).history_records
    xero_accounting.create_contact_history(
        tenant,
        customer.contact_id,
        HistoryRecords(history_records=[HistoryRecord(details="Put on hold by Relance")]),
    )
    invoice_history = xero_accounting.get_invoice_history(tenant, invoice.invoice_id).history_records
    contact_history = xero_accounting.get_contact_history(tenant, customer.contact_id).history_records

    assert made[0].details == "Reminder 1 sent by Relance"
    assert [(h.changes, h.details, h.user) for h in invoice_history] == [
        ("Note", "Reminder 1 sent by Relance", "System Generated")
    ]
    assert contact_history[0].details == "Put on hold by Relance"


def test_notes_longer_than_250_characters_are_refused(xero_sandbox, xero_accounting, customer):
    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("100"))
    xero_accounting.create_invoice_history(
        xero_sandbox.tenant_id,
        invoice.invoice_id,
        HistoryRecords(history_records=[HistoryRecord(details="x" * 250)]),
    )
    with pytest.raises(AccountingBadRequestException) as raised:
        xero_accounting.create_invoice_history(
            xero_sandbox.tenant_id,
            invoice.invoice_id,
            HistoryRecords(history_records=[HistoryRecord(details="ok"), HistoryRecord(details="x" * 251)]),
        )
    assert "250" in raised.value.reason
    assert len(xero_sandbox.books.invoices[invoice.invoice_id].history) == 1  # all or nothing


def test_online_invoice_link_opens_the_customer_page(xero_sandbox, xero_accounting, customer):
    import requests

    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("100"))
    link = xero_accounting.get_online_invoice(xero_sandbox.tenant_id, invoice.invoice_id).online_invoices[0]

    page = requests.get(link.online_invoice_url, timeout=5)
    assert page.status_code == 200
    assert invoice.invoice_number in page.text


def test_draft_invoice_has_no_online_link(xero_sandbox, xero_accounting, customer):
    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("100"))
    xero_sandbox.books.invoices[invoice.invoice_id].status = "DRAFT"
    with pytest.raises(AccountingBadRequestException):
        xero_accounting.get_online_invoice(xero_sandbox.tenant_id, invoice.invoice_id)


def test_aged_receivables_by_contact_lists_open_invoices_with_days_overdue(
    xero_sandbox, xero_accounting, customer
):
    today = xero_sandbox.clock.today()
    late = xero_sandbox.create_invoice(
        customer.contact_id, Decimal("100"), due_in_days=14, issued=today - timedelta(days=60)
    )
    xero_sandbox.create_invoice(customer.contact_id, Decimal("50"), due_in_days=20)
    paid = xero_sandbox.create_invoice(customer.contact_id, Decimal("10"))
    xero_sandbox.pay_invoice(paid.invoice_id)

    report = xero_accounting.get_report_aged_receivables_by_contact(
        xero_sandbox.tenant_id, customer.contact_id
    ).reports[0]

    body = report.rows[2].rows
    assert report.report_type == "AgedReceivablesByContact"
    assert [r.cells[1].value for r in body if r.row_type.value == "Row"] == [late.invoice_number, "INV-0002"]
    assert body[0].cells[3].value == "46 days overdue"
    assert body[-1].cells[7].value == "172.50"


def test_organisation_describes_the_tenant(xero_sandbox, xero_accounting):
    organisation = xero_accounting.get_organisations(xero_sandbox.tenant_id).organisations[0]
    assert str(organisation.organisation_id) == xero_sandbox.tenant_id
    assert organisation.base_currency.value == "NZD"


def test_overpayments_filter_by_reference(xero_sandbox, xero_accounting, customer):
    first = xero_sandbox.create_credit("Overpayment", customer.contact_id, Decimal("10"))
    xero_sandbox.create_credit("Overpayment", customer.contact_id, Decimal("20"))
    xero_sandbox.books.credits[first.credit_id].reference = "BANK-42"
    found = xero_accounting.get_overpayments(xero_sandbox.tenant_id, references=["BANK-42"]).overpayments
    assert [str(o.overpayment_id) for o in found] == [first.credit_id]
