"""The sync engine against the QuickBooks sandbox over real HTTP with python-quickbooks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from integration.sandbox.common.server import SandboxServer
from integration.sandbox.quickbooks import QuickBooksSandbox
from runtime.settings import reload_settings
from sync.jobs import sync_from_inbox, sync_tenant
from sync.models import Customer, Invoice, Payment
from tests.integration.ledgers import demo_quickbooks, quickbooks_consent
from web import create_app

VERIFIER = "sandbox-verifier"


@pytest.fixture
def quickbooks(monkeypatch):  # type: ignore[no-untyped-def]
    with demo_quickbooks(monkeypatch) as sandbox:
        yield sandbox


def assert_mirror_equals_ledger(session, quickbooks: QuickBooksSandbox, realm: str) -> None:  # type: ignore[no-untyped-def]
    session.expire_all()
    company = quickbooks.company(realm)
    ledger = {entity.id: entity.body for entity in company.live("Invoice")}
    mirror = {
        row.ledger_id: row for row in session.scalars(select(Invoice).where(Invoice.status != "deleted"))
    }
    assert set(mirror) == set(ledger)
    for invoice_id, body in ledger.items():
        row = mirror[invoice_id]
        assert (row.number, row.customer_ledger_id) == (body["DocNumber"], body["CustomerRef"]["value"])
        assert (row.total, row.amount_due) == (body["TotalAmt"], body["Balance"]), invoice_id
    customers = {row.ledger_id: row.name for row in session.scalars(select(Customer))}
    assert customers == {c.id: c.body["DisplayName"] for c in company.live("Customer")}


def test_the_initial_sync_mirrors_the_company(quickbooks, session, redis_client) -> None:
    connection = quickbooks_consent(session, quickbooks)
    quickbooks.request_log.clear()

    records = sync_tenant(connection.id)

    assert_mirror_equals_ledger(session, quickbooks, connection.tenant_id)
    assert records["invoices"] == len(quickbooks.company(connection.tenant_id).live("Invoice"))
    assert session.scalars(select(Payment)).first() is not None
    assert quickbooks.request_log.count(tenant=connection.tenant_id) <= 8


def test_each_customers_bill_address_reaches_the_mirror(quickbooks, session, redis_client) -> None:
    connection = quickbooks_consent(session, quickbooks)

    sync_tenant(connection.id)

    session.expire_all()
    mirror = {row.ledger_id: row.postal_address for row in session.scalars(select(Customer))}
    for entity in quickbooks.company(connection.tenant_id).live("Customer"):
        bill = entity.body["BillAddr"]
        assert mirror[entity.id] == [
            bill["Line1"],
            f"{bill['City']}, CA {bill['PostalCode']}",
            "USA",
        ], entity.body["DisplayName"]


def test_webhooks_then_change_data_capture_in_few_calls(
    quickbooks, session, redis_client, monkeypatch
) -> None:
    connection = quickbooks_consent(session, quickbooks)
    realm = connection.tenant_id
    sync_tenant(connection.id)
    monkeypatch.setenv("QUICKBOOKS_WEBHOOK_VERIFIER", VERIFIER)
    app = create_app(reload_settings())
    customer = quickbooks.company(realm).live("Customer")[0]
    with SandboxServer(app) as relance:
        quickbooks.subscribe_webhooks(f"{relance.base_url}/webhooks/quickbooks", VERIFIER)
        created = [quickbooks.create_invoice(realm, customer.id, Decimal(100 + n)) for n in range(80)]
        quickbooks.record_payment(realm, created[0].id, Decimal("30.00"))
        assert quickbooks.webhooks.wait_idle(20)
    quickbooks.request_log.clear()

    settled = sync_from_inbox("quickbooks", realm)

    assert settled >= 81
    assert_mirror_equals_ledger(session, quickbooks, realm)
    assert session.scalars(select(Invoice.amount_due).where(Invoice.ledger_id == created[0].id)).one() == (
        created[0].body["TotalAmt"] - Decimal("30.00")
    )
    calls = quickbooks.request_log.count(tenant=realm)
    assert calls <= 3, f"{calls} calls for {settled} events"
