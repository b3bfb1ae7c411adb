"""Relance stays inside a tenant's rate limit across workers, and a 429 storm slows a sync
down without failing it (the Xero sandbox enforces the limits and counts every call)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from sqlalchemy import func, select

from integration.connections import ledger_for
from integration.rate_limit import RateLimits, Window
from integration.sandbox.xero.demo_company import DemoScale
from integration.sandbox.xero.limits import XeroLimits
from integration.sandbox.xero.sandbox import XeroSandbox
from integration.sandbox.xero.settings import XeroSandboxSettings
from sync.jobs import sync_tenant
from sync.models import Invoice
from tests.integration.ledgers import FAST_WEBHOOKS, point_at_xero, xero_consent


def xero_with(monkeypatch, limits: XeroLimits) -> XeroSandbox:  # type: ignore[no-untyped-def]
    sandbox = XeroSandbox(
        seed="demo",
        settings=XeroSandboxSettings(dispatch=FAST_WEBHOOKS, limits=limits),
        scale=DemoScale.small(),
    ).start()
    point_at_xero(monkeypatch, sandbox)
    return sandbox


@pytest.fixture
def tight_xero(monkeypatch):  # type: ignore[no-untyped-def]
    # Xero's rules, shrunk: 6 calls a second and 2 at once per tenant.
    sandbox = xero_with(monkeypatch, XeroLimits(per_minute=6, minute_seconds=1.0, concurrent=2))
    yield sandbox
    sandbox.stop()


def test_twenty_workers_never_exceed_the_tenants_limit(tight_xero, session, settings, redis_client) -> None:
    connection = xero_consent(session, tight_xero)[0]
    limits = RateLimits(windows=(Window(6, 1.0),), concurrent=2)
    contact_ids = list(tight_xero.books.contacts)[:5]
    tight_xero.request_log.clear()

    def worker(_: int) -> int:
        # Each worker with its own Redis connection and its own client, as separate processes would be.
        ledger = ledger_for(connection, redis.Redis.from_url(settings.redis_url), limits=limits)
        return len(ledger.contacts_by_id(contact_ids))

    with ThreadPoolExecutor(max_workers=20) as pool:
        found = list(pool.map(worker, range(20)))

    assert found == [5] * 20
    assert tight_xero.request_log.count(tenant=connection.tenant_id, status=429) == 0
    assert tight_xero.request_log.count(tenant=connection.tenant_id) == 20


def test_a_429_storm_slows_a_sync_but_it_completes(monkeypatch, session, redis_client) -> None:
    xero = xero_with(monkeypatch, XeroLimits())
    try:
        connection = xero_consent(session, xero)[0]
        xero.faults.rate_limit_storm(times=3, retry_after=1)

        records = sync_tenant(connection.id)

        assert xero.request_log.count(tenant=connection.tenant_id, status=429) == 3
        expected = sum(1 for i in xero.books.invoices.values() if i.type == "ACCREC")
        assert records["invoices"] == expected
        assert session.scalar(select(func.count()).select_from(Invoice)) == expected
    finally:
        xero.stop()
