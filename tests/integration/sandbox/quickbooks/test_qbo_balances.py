"""Balances stay consistent whatever order payments, voids and deletions come in (property-based)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from integration.sandbox.common.clock import SandboxClock
from integration.sandbox.quickbooks.company import Company
from integration.sandbox.quickbooks.faults import QuickBooksFault

ZERO = Decimal("0")
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(0, 3), amounts),
        st.tuples(st.just("void"), st.integers(0, 20), st.just(ZERO)),
        st.tuples(st.just("delete"), st.integers(0, 20), st.just(ZERO)),
    ),
    max_size=25,
)


def applied_by_live_payments(company: Company, invoice_id: str) -> Decimal:
    total = ZERO
    for payment in company.live("Payment"):
        if payment.voided:
            continue
        for line in payment.body.get("Line", []):
            if any(link["TxnId"] == invoice_id for link in line.get("LinkedTxn", [])):
                total += line["Amount"]
    return total


@given(totals=st.lists(amounts, min_size=4, max_size=4), steps=operations)
@settings(max_examples=60, deadline=None)
def test_invoice_and_customer_balances_follow_the_payments(totals, steps):
    company = Company("1", "Property Co", SandboxClock())
    customer = company.create("Customer", {"DisplayName": "Payer"}).id
    invoices = [
        company.create("Invoice", {"CustomerRef": {"value": customer}, "Line": [{"Amount": amount}]}).id
        for amount in totals
    ]
    for action, index, amount in steps:
        payments = company.live("Payment")
        try:
            if action == "pay":
                company.create(
                    "Payment",
                    {
                        "CustomerRef": {"value": customer},
                        "TotalAmt": amount,
                        "Line": [
                            {
                                "Amount": amount,
                                "LinkedTxn": [{"TxnId": invoices[index], "TxnType": "Invoice"}],
                            }
                        ],
                    },
                )
            elif payments:
                payment = payments[index % len(payments)]
                target = {"Id": payment.id, "SyncToken": str(payment.sync_token)}
                (company.void if action == "void" else company.delete)("Payment", target)
        except QuickBooksFault:
            pass  # overpayment or voiding twice: refused, and nothing may have changed

    open_total = ZERO
    for invoice_id, total in zip(invoices, totals, strict=True):
        invoice = company.get("Invoice", invoice_id)
        assert invoice.body["Balance"] == total - applied_by_live_payments(company, invoice_id)
        assert ZERO <= invoice.body["Balance"] <= total
        open_total += invoice.body["Balance"]
    unapplied = sum((p.body["UnappliedAmt"] for p in company.live("Payment")), ZERO)
    assert company.get("Customer", customer).body["Balance"] == open_total - unapplied
