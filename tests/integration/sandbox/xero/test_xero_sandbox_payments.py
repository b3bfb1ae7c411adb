"""Payments: paying an invoice changes AmountDue, AmountPaid, Status and UpdatedDateUTC."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from xero_python.accounting import Account, Invoice, Payment, PaymentDelete, Payments
from xero_python.exceptions import AccountingBadRequestException


@pytest.fixture
def invoice(xero_sandbox):
    customer = xero_sandbox.create_contact("Coastal Cafe Ltd")
    return xero_sandbox.create_invoice(customer.contact_id, Decimal("100"))  # 115.00 with GST


def pay(amount: str, invoice_id: str) -> Payment:
    return Payment(
        invoice=Invoice(invoice_id=invoice_id),
        account=Account(code="090"),
        date=date(2026, 11, 20),
        amount=Decimal(amount),
    )


def test_partial_then_full_payment_marks_the_invoice_paid(xero_sandbox, xero_accounting, invoice):
    tenant = xero_sandbox.tenant_id
    before = xero_accounting.get_invoice(tenant, invoice.invoice_id).invoices[0]
    xero_sandbox.clock.advance(timedelta(seconds=2))

    xero_accounting.create_payment(tenant, pay("15.00", invoice.invoice_id))
    partly = xero_accounting.get_invoice(tenant, invoice.invoice_id).invoices[0]
    xero_accounting.create_payments(tenant, Payments(payments=[pay("100.00", invoice.invoice_id)]))
    paid = xero_accounting.get_invoice(tenant, invoice.invoice_id).invoices[0]

    assert (partly.amount_paid, partly.amount_due, partly.status) == (
        Decimal("15.00"),
        Decimal("100.00"),
        "AUTHORISED",
    )
    assert partly.updated_date_utc > before.updated_date_utc
    assert (paid.amount_paid, paid.amount_due, paid.status) == (Decimal("115.00"), Decimal("0.00"), "PAID")
    assert paid.fully_paid_on_date == date(2026, 11, 20)
    assert len(paid.payments) == 2


def test_overpaying_is_refused_with_xeros_message(xero_sandbox, xero_accounting, invoice):
    with pytest.raises(AccountingBadRequestException) as raised:
        xero_accounting.create_payment(xero_sandbox.tenant_id, pay("500.00", invoice.invoice_id))
    assert raised.value.reason == "Payment amount exceeds the amount outstanding on this document"


def test_deleting_a_payment_reopens_the_invoice(xero_sandbox, xero_accounting, invoice):
    payment = xero_accounting.create_payment(
        xero_sandbox.tenant_id, pay("115.00", invoice.invoice_id)
    ).payments[0]
    xero_accounting.delete_payment(
        xero_sandbox.tenant_id, payment.payment_id, PaymentDelete(status="DELETED")
    )

    reopened = xero_accounting.get_invoice(xero_sandbox.tenant_id, invoice.invoice_id).invoices[0]
    assert reopened.status == "AUTHORISED"
    assert reopened.amount_due == Decimal("115.00")
    assert (
        xero_accounting.get_payment(xero_sandbox.tenant_id, payment.payment_id).payments[0].status
        == "DELETED"
    )


def test_payments_list_pages_and_filters_by_modified_since(xero_sandbox, xero_accounting, invoice):
    customer = xero_sandbox.books.invoices[invoice.invoice_id].contact_id
    others = [xero_sandbox.create_invoice(customer, Decimal("10")) for _ in range(3)]
    for other in others[:2]:
        xero_sandbox.pay_invoice(other.invoice_id)
    xero_sandbox.clock.advance(timedelta(minutes=1))
    bookmark = xero_sandbox.clock.now()
    xero_sandbox.clock.advance(timedelta(seconds=1))
    late = xero_sandbox.pay_invoice(others[2].invoice_id)

    recent = xero_accounting.get_payments(xero_sandbox.tenant_id, if_modified_since=bookmark).payments
    paged = xero_accounting.get_payments(xero_sandbox.tenant_id, page=1, page_size=2)
    where = xero_accounting.get_payments(
        xero_sandbox.tenant_id, where=f'Invoice.InvoiceID==guid("{others[0].invoice_id}")'
    )

    assert [str(p.payment_id) for p in recent] == [late.payment_id]
    assert len(paged.payments) == 2
    assert paged.pagination.item_count == 3
    assert len(where.payments) == 1
    assert where.payments[0].invoice.invoice_id is not None


def test_payment_on_a_draft_is_refused(xero_sandbox, xero_accounting, invoice):
    xero_sandbox.books.invoices[invoice.invoice_id].status = "DRAFT"
    with pytest.raises(AccountingBadRequestException):
        xero_accounting.create_payment(xero_sandbox.tenant_id, pay("1.00", invoice.invoice_id))
