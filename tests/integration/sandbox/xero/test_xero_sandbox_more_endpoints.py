"""The rest of the surface: group edits, credit note updates, by-id reads, archived contacts, other histories."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from xero_python.accounting import (
    Allocation,
    Allocations,
    Contact,
    ContactGroup,
    ContactGroups,
    Contacts,
    CreditNote,
    CreditNotes,
    HistoryRecord,
    HistoryRecords,
    Invoice,
    LineItem,
)
from xero_python.exceptions import NotFoundException


@pytest.fixture
def customer(xero_sandbox):
    return xero_sandbox.create_contact("Orchard Vineyard Ltd")


def test_group_is_renamed_emptied_and_deleted(xero_sandbox, xero_accounting, customer):
    tenant = xero_sandbox.tenant_id
    group = xero_accounting.create_contact_group(
        tenant, ContactGroups(contact_groups=[ContactGroup(name="VIP")])
    )
    group_id = group.contact_groups[0].contact_group_id
    xero_accounting.create_contact_group_contacts(
        tenant, group_id, Contacts(contacts=[Contact(contact_id=customer.contact_id)])
    )

    renamed = xero_accounting.update_contact_group(
        tenant, group_id, ContactGroups(contact_groups=[ContactGroup(name="Key accounts")])
    )
    xero_accounting.delete_contact_group_contacts(tenant, group_id)
    emptied = xero_accounting.get_contact_group(tenant, group_id).contact_groups[0]
    xero_accounting.update_contact_group(
        tenant, group_id, ContactGroups(contact_groups=[ContactGroup(status="DELETED")])
    )

    assert renamed.contact_groups[0].name == "Key accounts"
    assert emptied.contacts == []
    assert xero_accounting.get_contact_groups(tenant, where='Status=="ACTIVE"').contact_groups == []


def test_credit_notes_list_update_and_history(xero_sandbox, xero_accounting, customer):
    tenant = xero_sandbox.tenant_id
    draft = xero_accounting.create_credit_notes(
        tenant,
        CreditNotes(
            credit_notes=[
                CreditNote(
                    type="ACCRECCREDIT",
                    contact=Contact(contact_id=customer.contact_id),
                    line_items=[
                        LineItem(description="Refund", quantity=Decimal(1), unit_amount=Decimal("20"))
                    ],
                )
            ]
        ),
    ).credit_notes[0]
    approved = xero_accounting.update_or_create_credit_notes(
        tenant,
        CreditNotes(credit_notes=[CreditNote(credit_note_id=draft.credit_note_id, status="AUTHORISED")]),
    ).credit_notes[0]
    xero_accounting.create_credit_note_history(
        tenant, draft.credit_note_id, HistoryRecords(history_records=[HistoryRecord(details="Agreed refund")])
    )

    listed = xero_accounting.get_credit_notes(tenant, where='Status=="AUTHORISED"', page=1).credit_notes
    history = xero_accounting.get_credit_note_history(tenant, draft.credit_note_id).history_records

    assert draft.status == "DRAFT"
    assert approved.status == "AUTHORISED"
    assert [str(c.credit_note_id) for c in listed] == [str(draft.credit_note_id)]
    assert listed[0].credit_note_number == "CN-0001"
    assert history[0].details == "Agreed refund"


def test_prepayment_allocation_and_reads_by_id(xero_sandbox, xero_accounting, customer):
    tenant = xero_sandbox.tenant_id
    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("100"))
    prepayment = xero_sandbox.create_credit("Prepayment", customer.contact_id, Decimal("40"))
    overpayment = xero_sandbox.create_credit("Overpayment", customer.contact_id, Decimal("5"))

    xero_accounting.create_prepayment_allocations(
        tenant,
        prepayment.credit_id,
        Allocations(
            allocations=[
                Allocation(
                    invoice=Invoice(invoice_id=invoice.invoice_id),
                    amount=Decimal("40"),
                    date=date(2026, 11, 22),
                )
            ]
        ),
    )
    fetched = xero_accounting.get_prepayment(tenant, prepayment.credit_id).prepayments[0]
    over = xero_accounting.get_overpayment(tenant, overpayment.credit_id).overpayments[0]
    by_number = xero_accounting.get_invoice(tenant, invoice.invoice_number).invoices[0]

    assert fetched.remaining_credit == Decimal("0.00")
    assert fetched.status == "PAID"
    assert over.remaining_credit == Decimal("5.00")
    assert by_number.amount_due == Decimal("75.00")
    assert len(by_number.prepayments) == 1


def test_payment_by_id_and_its_history(xero_sandbox, xero_accounting, customer):
    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("10"))
    payment = xero_sandbox.pay_invoice(invoice.invoice_id)
    xero_accounting.create_payment_history(
        xero_sandbox.tenant_id,
        payment.payment_id,
        HistoryRecords(history_records=[HistoryRecord(details="Bank ref 7")]),
    )

    fetched = xero_accounting.get_payment(xero_sandbox.tenant_id, payment.payment_id).payments[0]
    history = xero_accounting.get_payment_history(xero_sandbox.tenant_id, payment.payment_id).history_records

    assert fetched.amount == Decimal("11.50")
    assert fetched.invoice.invoice_number == invoice.invoice_number
    assert [h.details for h in history] == ["Bank ref 7"]
    with pytest.raises(NotFoundException):
        xero_accounting.get_payment(xero_sandbox.tenant_id, "00000000-0000-0000-0000-000000000001")


def test_archived_contacts_are_listed_only_when_asked(xero_sandbox, xero_accounting, customer):
    xero_accounting.update_contact(
        xero_sandbox.tenant_id, customer.contact_id, Contacts(contacts=[Contact(contact_status="ARCHIVED")])
    )
    plain = xero_accounting.get_contacts(xero_sandbox.tenant_id).contacts
    everything = xero_accounting.get_contacts(xero_sandbox.tenant_id, include_archived=True).contacts
    assert plain == []
    assert [c.contact_status for c in everything] == ["ARCHIVED"]
