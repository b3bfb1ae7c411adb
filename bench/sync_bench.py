"""Benchmark: webhook answer times under a burst, and initial sync time and calls per ledger.

    .venv/bin/python bench/sync_bench.py webhooks --events 2000
    .venv/bin/python bench/sync_bench.py sync --ledger xero --invoices 10000

Runs on its own throwaway database and Redis (SQLite and the embedded Redis, or a server named
by DATABASE_URL / REDIS_URL), real HTTP to the sandboxes and to Relance. Prints one line of
figures; results are written on the issue, never asserted in tests.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.services import from_environment


def prepare() -> object:
    folder = Path(tempfile.mkdtemp(prefix="relance-bench-"))
    services = from_environment(folder)
    os.environ.update(services.start())
    os.environ["LOG_LEVEL"] = "WARNING"
    return services


def bench_webhooks(events: int, threads: int) -> None:
    """POST `events` signed Xero deliveries of one event each, `threads` at a time."""
    from integration.sandbox.common.server import SandboxServer
    from runtime.settings import reload_settings
    from web import create_app

    os.environ["XERO_WEBHOOK_KEY"] = key = "bench-key"
    app = create_app(reload_settings())
    tenant = str(uuid.uuid4())

    def body(n: int) -> bytes:
        event = {
            "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{n}",
            "resourceId": str(uuid.UUID(int=n)),
            "eventDateUtc": "2026-11-20T01:15:39.902",
            "eventType": "CREATE",
            "eventCategory": "INVOICE",
            "tenantId": tenant,
            "tenantType": "ORGANISATION",
        }
        return json.dumps(
            {"events": [event], "firstEventSequence": n, "lastEventSequence": n, "entropy": "x"}
        ).encode()

    with SandboxServer(app) as server:
        url = f"{server.base_url}/webhooks/xero"
        session = requests.Session()

        def post(n: int) -> float:
            data = body(n)
            signature = base64.b64encode(hmac.new(key.encode(), data, hashlib.sha256).digest()).decode()
            started = time.perf_counter()
            answer = session.post(url, data=data, headers={"x-xero-signature": signature}, timeout=30)
            elapsed = time.perf_counter() - started
            assert answer.status_code == 200, answer.status_code
            return elapsed

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            times = sorted(pool.map(post, range(1, events + 1)))
        wall = time.perf_counter() - started
    p50 = statistics.median(times) * 1000
    p99 = times[int(len(times) * 0.99) - 1] * 1000
    backend = "postgresql" if "postgresql" in os.environ["DATABASE_URL"] else "sqlite"
    print(
        f"webhooks: {events} deliveries, {threads} concurrent, {backend}: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {times[-1] * 1000:.1f} ms, {events / wall:.0f} deliveries/s"
    )


def bench_sync(ledger: str, invoices: int) -> None:
    """The initial sync of a generated company of `invoices` sales invoices."""
    from integration.connections import Provider, Tenant, TokenSet, record_consent
    from runtime import clock
    from runtime.db import db
    from runtime.settings import reload_settings
    from web import create_app

    customers = max(50, invoices // 10)
    built = time.perf_counter()
    if ledger == "xero":
        from integration.sandbox.xero.demo_company import DemoScale
        from integration.sandbox.xero.limits import XeroLimits
        from integration.sandbox.xero.sandbox import XeroSandbox
        from integration.sandbox.xero.settings import XeroSandboxSettings

        sandbox = XeroSandbox(
            seed=7,
            settings=XeroSandboxSettings(limits=XeroLimits.unlimited()),
            scale=DemoScale(customers=customers, invoices=invoices),
        ).start()
        os.environ.update(
            XERO_BASE_URL=sandbox.base_url,
            XERO_CLIENT_ID=sandbox.app.client_id,
            XERO_CLIENT_SECRET=sandbox.app.client_secret,
            XERO_WEBHOOK_KEY="k",
        )
        token = sandbox.connect()
        tokens = TokenSet(
            token["access_token"], clock.now() + timedelta(minutes=30), (), token["refresh_token"]
        )
        tenant = Tenant(sandbox.tenant_id, "bench")
        provider = Provider.XERO
    else:
        from integration.sandbox.quickbooks import QuickBooksSandbox
        from integration.sandbox.quickbooks.throttle import ThrottlePolicy

        sandbox = QuickBooksSandbox(
            seed=7,
            demo_customers=customers,
            demo_invoices=invoices,
            throttle=ThrottlePolicy(per_minute=10**9, concurrent=10**9),
        ).start()
        os.environ.update(
            QUICKBOOKS_BASE_URL=sandbox.base_url,
            QUICKBOOKS_CLIENT_ID=sandbox.app.client_id,
            QUICKBOOKS_CLIENT_SECRET=sandbox.app.client_secret,
            QUICKBOOKS_WEBHOOK_VERIFIER="k",
        )
        realm = sandbox.realm_ids[0]
        granted = sandbox.connect(realm)
        tokens = TokenSet(granted.access_token, clock.now() + timedelta(hours=1), (), granted.refresh_token)
        tenant = Tenant(realm, "bench")
        provider = Provider.QUICKBOOKS
    built = time.perf_counter() - built
    app = create_app(reload_settings())
    connection = record_consent(db.session, provider, tokens, [tenant])[0]
    db.session.commit()
    del app
    sandbox.request_log.clear()
    # The sync runs in a process of its own, as in a worker, so that its peak memory is Relance's
    # alone (the sandbox, which holds the whole company, stays in this one).
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        records, seconds, peak_kib = pool.apply(_sync_alone, (connection.id,))
    calls = sandbox.request_log.count(tenant=tenant.tenant_id)
    sandbox.stop()
    backend = "postgresql" if "postgresql" in os.environ["DATABASE_URL"] else "sqlite"
    print(
        f"initial sync, {ledger}, {backend}: {records.get('invoices')} invoices, {sum(records.values())} records "
        f"in {seconds:.1f} s with {calls} calls; the syncing process peaked at {peak_kib / 1024:.0f} MiB RSS "
        f"(sandbox built in {built:.1f} s)"
    )


def _sync_alone(connection_id: int) -> tuple[dict[str, int], float, int]:
    """In a fresh process: the initial sync of the connection; its records, time and peak RSS (KiB)."""
    import resource

    from runtime import jobs
    from runtime import redis as relance_redis
    from runtime.settings import reload_settings
    from sync.jobs import sync_tenant
    from web import create_app

    settings = reload_settings()
    app = create_app(settings)
    jobs.use_connection(relance_redis.connect(settings))
    with app.app_context():
        started = time.perf_counter()
        records = sync_tenant(connection_id)
        seconds = time.perf_counter() - started
    return records, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    webhooks = commands.add_parser("webhooks")
    webhooks.add_argument("--events", type=int, default=2000)
    webhooks.add_argument("--threads", type=int, default=20)
    sync = commands.add_parser("sync")
    sync.add_argument("--ledger", choices=("xero", "quickbooks"), default="xero")
    sync.add_argument("--invoices", type=int, default=10_000)
    arguments = parser.parse_args()
    services = prepare()
    try:
        if arguments.command == "webhooks":
            bench_webhooks(arguments.events, arguments.threads)
        else:
            bench_sync(arguments.ledger, arguments.invoices)
    finally:
        from runtime.db import db

        db.close()
        services.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
