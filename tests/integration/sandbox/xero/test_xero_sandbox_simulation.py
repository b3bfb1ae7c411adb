"""Simulated customers, the sandbox clock, the request log and the /_sandbox/ admin API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import requests
from xero_clients import sdk_client
from xero_python.accounting import AccountingApi, HistoryRecord, HistoryRecords

from integration.sandbox.common.personas import Persona


def test_prompt_customers_pay_by_the_due_date_and_never_payers_do_not(xero_sandbox):
    prompt = xero_sandbox.create_contact("Prompt Ltd", persona=Persona.PROMPT)
    never = xero_sandbox.create_contact("Never Ltd", persona=Persona.NEVER_PAYS)
    paid_soon = xero_sandbox.create_invoice(prompt.contact_id, Decimal("100"), due_in_days=14)
    unpaid = xero_sandbox.create_invoice(never.contact_id, Decimal("100"), due_in_days=14)

    payments = xero_sandbox.advance_clock(timedelta(days=15))

    assert [p.invoice_id for p in payments] == [paid_soon.invoice_id]
    assert xero_sandbox.books.invoices[paid_soon.invoice_id].status == "PAID"
    assert xero_sandbox.books.invoices[unpaid.invoice_id].amount_due == Decimal("115.00")


def test_a_customer_who_pays_after_a_reminder_waits_for_the_note(xero_sandbox):
    customer = xero_sandbox.create_contact("Nudge Me Ltd", persona=Persona.PAYS_AFTER_REMINDER)
    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("100"), due_in_days=7)

    assert xero_sandbox.advance_clock(timedelta(days=30)) == []
    xero_accounting = AccountingApi(
        sdk_client(xero_sandbox, xero_sandbox.connect()), base_url=xero_sandbox.urls.accounting_api
    )
    xero_accounting.create_invoice_history(
        xero_sandbox.tenant_id,
        invoice.invoice_id,
        HistoryRecords(history_records=[HistoryRecord(details="Reminder: invoice is 23 days overdue")]),
    )
    xero_sandbox.advance_clock(timedelta(days=6))

    assert xero_sandbox.books.invoices[invoice.invoice_id].status == "PAID"


def test_disputing_customers_leave_a_note_and_do_not_pay(xero_sandbox):
    customer = xero_sandbox.create_contact("Argue Ltd", persona=Persona.DISPUTES)
    invoice = xero_sandbox.create_invoice(customer.contact_id, Decimal("100"), due_in_days=7)
    xero_sandbox.advance_clock(timedelta(days=10))
    xero_sandbox.advance_clock(timedelta(days=10))
    history = xero_sandbox.books.invoices[invoice.invoice_id].history
    assert [h.details for h in history] == ["Customer disputes this invoice: goods not received as ordered"]
    assert xero_sandbox.books.invoices[invoice.invoice_id].status == "AUTHORISED"


def test_same_seed_same_payment_story(xero_sandbox_factory):
    def story():
        sandbox = xero_sandbox_factory(seed=5, scale=_small())
        paid = sandbox.advance_clock(timedelta(days=45))
        return sorted((p.invoice_id, str(p.amount), p.date.isoformat()) for p in paid)

    assert story() == story()


def _small():
    from integration.sandbox.xero.demo_company import DemoScale

    return DemoScale(customers=15, invoices=80, over_and_prepayments=2)


def test_request_log_counts_calls_per_tenant_and_endpoint(xero_sandbox, xero_accounting):
    xero_accounting.get_invoices(xero_sandbox.tenant_id)
    xero_accounting.get_invoices(xero_sandbox.tenant_id, page=2)
    xero_accounting.get_contacts(xero_sandbox.tenant_id)

    counts = xero_sandbox.request_log.counts(tenant=xero_sandbox.tenant_id)
    assert counts["GET /Invoices"] == 2
    assert counts["GET /Contacts"] == 1
    assert xero_sandbox.request_log.per_tenant()[xero_sandbox.tenant_id] == 3


def test_admin_api_drives_the_sandbox_over_http(xero_sandbox, xero_accounting):
    admin = f"{xero_sandbox.base_url}/_sandbox"
    customer = xero_sandbox.create_contact("Admin Driven Ltd")
    tenant = xero_sandbox.tenant_id

    created = requests.post(
        f"{admin}/tenants/{tenant}/invoices",
        json={"contact_id": customer.contact_id, "amount": "200.00", "due_in_days": 10},
        timeout=5,
    ).json()
    requests.post(
        f"{admin}/tenants/{tenant}/invoices/{created['InvoiceID']}/payments", json={"amount": "30"}, timeout=5
    ).raise_for_status()
    clock = requests.post(f"{admin}/clock", json={"advance_days": 3}, timeout=5).json()
    requests.post(f"{admin}/faults", json={"kind": "server_error", "times": 1}, timeout=5).raise_for_status()
    failed = requests.get(f"{xero_sandbox.urls.accounting_api}/Organisation", timeout=5)
    calls = requests.get(f"{admin}/requests", timeout=5).json()
    credentials = requests.get(f"{admin}/credentials", timeout=5).json()

    invoice = xero_sandbox.books.invoices[created["InvoiceID"]]
    assert invoice.amount_due == Decimal("200.00")  # 230.00 less 30.00
    assert clock["now"].startswith(str(xero_sandbox.clock.today()))
    assert failed.status_code == 500
    assert calls["per_endpoint"]["GET /Organisation"] == 1
    assert credentials["client_id"] == xero_sandbox.app.client_id
    assert credentials["tenant_id"] == tenant


def test_admin_api_revokes_a_connection_and_sets_limits(xero_sandbox, xero_token):
    admin = f"{xero_sandbox.base_url}/_sandbox"
    limits = requests.put(f"{admin}/limits", json={"per_minute": 7}, timeout=5).json()
    revoked = requests.post(f"{admin}/connections/revoke", json={}, timeout=5).json()
    answer = requests.get(
        f"{xero_sandbox.urls.accounting_api}/Organisation",
        timeout=5,
        headers={
            "Authorization": f"Bearer {xero_token['access_token']}",
            "xero-tenant-id": xero_sandbox.tenant_id,
        },
    )
    assert limits["per_minute"] == 7
    assert revoked == {"revoked": 1}
    assert answer.status_code == 403
