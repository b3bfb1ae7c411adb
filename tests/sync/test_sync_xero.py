"""The sync engine against the Xero sandbox over real HTTP with xero-python: the initial sync,
webhook-driven syncs in few calls, and the sweep that converges with webhooks off."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from integration.sandbox.common.server import SandboxServer
from integration.sandbox.xero.sandbox import XeroSandbox
from runtime import clock
from runtime.settings import reload_settings
from sync.jobs import sweep, sync_from_inbox, sync_tenant
from sync.models import Customer, Invoice, Payment, SyncCursor
from tests.integration.ledgers import demo_xero, xero_consent
from web import create_app

WEBHOOK_KEY = "sandbox-webhook-key"


@pytest.fixture
def xero(monkeypatch):  # type: ignore[no-untyped-def]
    with demo_xero(monkeypatch) as sandbox:
        yield sandbox


def sales_invoices(xero: XeroSandbox) -> dict:
    return {i.invoice_id: i for i in xero.books.invoices.values() if i.type == "ACCREC"}


def assert_mirror_equals_ledger(session, xero: XeroSandbox) -> None:  # type: ignore[no-untyped-def]
    """Field by field: every sales invoice and customer of the ledger, as the mirror holds it."""
    session.expire_all()
    ledger = sales_invoices(xero)
    mirror = {row.ledger_id: row for row in session.scalars(select(Invoice))}
    assert set(mirror) == set(ledger)
    for invoice_id, invoice in ledger.items():
        row = mirror[invoice_id]
        assert (row.number, row.customer_ledger_id, row.currency, row.issued_on, row.due_on) == (
            invoice.invoice_number,
            invoice.contact_id,
            invoice.currency_code,
            invoice.date,
            invoice.due_date,
        )
        assert (row.total, row.amount_paid, row.amount_credited, row.amount_due) == (
            invoice.total,
            invoice.amount_paid,
            invoice.amount_credited,
            invoice.amount_due,
        ), invoice.invoice_number
    customers = {row.ledger_id: row.name for row in session.scalars(select(Customer))}
    assert customers == {c.contact_id: c.name for c in xero.books.contacts.values()}


def test_the_initial_sync_mirrors_the_ledger_in_pages_of_a_thousand(xero, session, redis_client) -> None:
    connection = xero_consent(session, xero)[0]
    xero.request_log.clear()

    records = sync_tenant(connection.id)

    assert_mirror_equals_ledger(session, xero)
    assert records["invoices"] == len(sales_invoices(xero))
    assert session.scalars(select(Payment)).first() is not None
    # Contacts, invoices, credit notes, payments, overpayments, prepayments: one page each.
    assert xero.request_log.count(tenant=connection.tenant_id) <= 8


def test_each_customers_postal_address_reaches_the_mirror(xero, session, redis_client) -> None:
    connection = xero_consent(session, xero)[0]

    sync_tenant(connection.id)

    session.expire_all()
    mirror = {row.ledger_id: row.postal_address for row in session.scalars(select(Customer))}
    boxes = 0
    for contact in xero.books.contacts.values():
        # The PO box when the customer has one (Xero's postal address), else the street address.
        chosen = contact.postal or contact.street
        expected = [chosen[0], f"{chosen[1]} {chosen[2]}", "New Zealand"] if chosen else []
        assert mirror[contact.contact_id] == expected, contact.name
        boxes += contact.postal is not None
    assert boxes > 0


def test_the_sweep_alone_converges_with_webhooks_off(xero, session, redis_client) -> None:
    connection = xero_consent(session, xero)[0]
    sync_tenant(connection.id)
    customer = xero.create_contact("Harbour Cafe Ltd")
    fresh = xero.create_invoice(customer.contact_id, Decimal("240.00"))
    xero.pay_invoice(fresh.invoice_id, Decimal("40.00"))

    assert sweep() == 1
    sync_tenant(connection.id)  # what the sweep queued, run here

    assert_mirror_equals_ledger(session, xero)
    paid_in_part = session.scalars(select(Invoice).where(Invoice.ledger_id == fresh.invoice_id)).one()
    assert paid_in_part.amount_paid == Decimal("40.00")
    assert paid_in_part.amount_due == fresh.total - Decimal("40.00")
    assert session.scalars(
        select(Payment.amount).where(Payment.customer_ledger_id == customer.contact_id)
    ).one() == Decimal("40.00")


def test_webhook_events_are_synced_in_a_handful_of_calls(xero, session, redis_client, monkeypatch) -> None:
    connection = xero_consent(session, xero)[0]
    sync_tenant(connection.id)
    monkeypatch.setenv("XERO_WEBHOOK_KEY", WEBHOOK_KEY)
    app = create_app(reload_settings())
    with SandboxServer(app) as relance:
        assert xero.subscribe_webhooks(f"{relance.base_url}/webhooks/xero", WEBHOOK_KEY)
        customer = xero.create_contact("Kauri Joinery")
        for number in range(120):
            xero.create_invoice(customer.contact_id, Decimal(100 + number))
        assert xero.wait_for_webhooks(20)
    xero.request_log.clear()

    settled = sync_from_inbox("xero", connection.tenant_id)

    assert settled == 121  # 120 invoices and a contact
    assert_mirror_equals_ledger(session, xero)
    calls = xero.request_log.count(tenant=connection.tenant_id)
    assert calls <= 3, f"{calls} calls for 121 events"  # contacts, invoices, payments


def test_a_payment_shows_as_an_invoice_update_and_pulls_the_payment(
    xero, session, redis_client, monkeypatch
) -> None:
    connection = xero_consent(session, xero)[0]
    customer = xero.create_contact("Harbour Cafe Ltd")
    invoice = xero.create_invoice(customer.contact_id, Decimal("500.00"))
    sync_tenant(connection.id)
    monkeypatch.setenv("XERO_WEBHOOK_KEY", WEBHOOK_KEY)
    app = create_app(reload_settings())
    with SandboxServer(app) as relance:
        assert xero.subscribe_webhooks(f"{relance.base_url}/webhooks/xero", WEBHOOK_KEY)
        xero.pay_invoice(invoice.invoice_id, Decimal("100.00"))
        assert xero.wait_for_webhooks(20)

    sync_from_inbox("xero", connection.tenant_id)

    session.expire_all()
    mirrored = session.scalars(select(Invoice).where(Invoice.ledger_id == invoice.invoice_id)).one()
    assert mirrored.amount_paid == Decimal("100.00")
    assert session.scalars(
        select(Payment.amount).where(Payment.customer_ledger_id == customer.contact_id)
    ).one() == (Decimal("100.00"))


def test_duplicated_reordered_and_dropped_deliveries_still_converge(
    xero, session, redis_client, monkeypatch
) -> None:
    connection = xero_consent(session, xero)[0]
    sync_tenant(connection.id)
    monkeypatch.setenv("XERO_WEBHOOK_KEY", WEBHOOK_KEY)
    app = create_app(reload_settings())
    with SandboxServer(app) as relance:
        assert xero.subscribe_webhooks(f"{relance.base_url}/webhooks/xero", WEBHOOK_KEY)
        xero.faults.duplicate_webhooks(3)
        xero.faults.reorder_webhooks(3)
        customer = xero.create_contact("Harbour Cafe Ltd")
        invoices = [xero.create_invoice(customer.contact_id, Decimal(50 + n)) for n in range(30)]
        xero.pay_invoice(invoices[0].invoice_id, Decimal("20.00"))
        assert xero.wait_for_webhooks(20)
        xero.faults.drop_webhooks(5)  # these changes never announce themselves
        xero.pay_invoice(invoices[1].invoice_id, Decimal("10.00"))
        assert xero.wait_for_webhooks(20)

    sync_from_inbox("xero", connection.tenant_id)
    sync_tenant(connection.id)  # the sweep catches what was dropped

    assert_mirror_equals_ledger(session, xero)
    outcomes = {attempt.outcome for attempt in xero.webhook_log()}
    assert {"duplicate", "dropped"} <= outcomes


def test_relance_sync_status_shows_each_connection(xero, session, redis_client) -> None:
    from click.testing import CliRunner

    from sync.inbox import IncomingEvent, store_events
    from web.cli import cli

    connection = xero_consent(session, xero)[0]
    sync_tenant(connection.id)
    store_events(
        session,
        [
            IncomingEvent("xero", connection.tenant_id, "invoice", f"inv-{n}", "update", None, {}, (str(n),))
            for n in range(2)
        ],
    )
    session.commit()

    result = CliRunner().invoke(cli, ["sync", "status"])

    assert result.exit_code == 0, result.output
    assert connection.tenant_name[:32] in result.output
    assert "active" in result.output and "pending events 2" in result.output
    assert "s ago" in result.output and "error" not in result.output


def change_marks(session, connection_id: int) -> dict:  # type: ignore[no-untyped-def]
    session.expire_all()
    return dict(
        session.execute(
            select(SyncCursor.entity, SyncCursor.last_change_at).where(
                SyncCursor.connection_id == connection_id
            )
        ).all()
    )


def test_a_sync_marks_the_kinds_it_changed_and_a_sync_that_changes_nothing_marks_none(
    xero, session, redis_client
) -> None:
    connection = xero_consent(session, xero)[0]
    sync_tenant(connection.id)
    first = change_marks(session, connection.id)
    assert None not in (first["contacts"], first["invoices"], first["payments"])

    clock.advance(timedelta(minutes=5))
    sync_tenant(connection.id)
    sync_tenant(connection.id, full=True)  # everything read again, nothing new

    assert change_marks(session, connection.id) == first
    customer = next(iter(xero.books.contacts.values()))
    xero.create_invoice(customer.contact_id, Decimal("120.00"))
    sync_tenant(connection.id)
    marks = change_marks(session, connection.id)
    assert marks["invoices"] > first["invoices"]
    assert (marks["credit_notes"], marks["payments"]) == (first["credit_notes"], first["payments"])
