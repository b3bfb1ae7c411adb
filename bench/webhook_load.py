"""Benchmark: webhook intake at a steady rate, open-loop, through the web process as it ships.

    .venv/bin/python bench/webhook_load.py --rate 500 --seconds 60
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/webhook_load.py --rate 500 --seconds 60

Starts gunicorn exactly as the Procfile does (``web/gunicorn_conf.py``: its workers and threads,
or WEB_CONCURRENCY / WEB_THREADS if set) on a throwaway database and Redis, then a load generator
in a process of its own that sends signed Xero deliveries (one event each, for 50 tenants) at
``--rate`` a second for ``--seconds``, each at its own appointed time whether or not earlier ones
have been answered (open loop: a slow answer does not slow the sending, as Xero's and Intuit's
senders do not wait for each other). Each delivery's time is counted from its appointed time,
so time spent waiting for a connection counts too. Afterwards the inbox is counted: every event
must be stored exactly once. Prints the answers' p50, p99 and max, the rate achieved, and what
was stored.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.services import from_environment

KEY = "bench-webhook-key"
TENANTS = 50
REPO = Path(__file__).resolve().parent.parent


def deliveries(count: int) -> list[tuple[bytes, str]]:
    """``count`` signed Xero deliveries of one event each (bodies and signatures made beforehand)."""
    tenants = [str(uuid.UUID(int=n + 1)) for n in range(TENANTS)]
    made = []
    for n in range(count):
        event = {
            "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{n}",
            "resourceId": str(uuid.UUID(int=10**9 + n)),
            "eventDateUtc": "2026-11-20T01:15:39.902",
            "eventType": "UPDATE",
            "eventCategory": "INVOICE",
            "tenantId": tenants[n % TENANTS],
            "tenantType": "ORGANISATION",
        }
        body = json.dumps(
            {"events": [event], "firstEventSequence": n, "lastEventSequence": n, "entropy": "bench"}
        ).encode()
        made.append((body, base64.b64encode(hmac.new(KEY.encode(), body, hashlib.sha256).digest()).decode()))
    return made


def generate(url: str, rate: float, seconds: float, connections: int, warm_up: float) -> dict[str, object]:
    """In its own process: send the deliveries open-loop; their times from their appointed times.
    The first ``warm_up`` seconds are sent at the same rate but not counted in the times (the
    workers' first connections, the statement cache, the generator's own connections)."""
    import aiohttp

    planned = deliveries(int(rate * (seconds + warm_up)))
    counted_from = int(rate * warm_up)

    async def run() -> dict[str, object]:
        connector = aiohttp.TCPConnector(limit=connections)
        timeout = aiohttp.ClientTimeout(total=60)
        times: list[float] = []
        statuses: dict[int, int] = {}
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

            async def send(n: int, appointed: float, body: bytes, signature: str) -> None:
                await asyncio.sleep(max(0.0, appointed - time.perf_counter()))
                try:
                    async with session.post(
                        url, data=body, headers={"x-xero-signature": signature}
                    ) as answer:
                        await answer.read()
                        status = answer.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                if n >= counted_from:
                    times.append(time.perf_counter() - appointed)
                statuses[status] = statuses.get(status, 0) + 1

            start = time.perf_counter() + 0.5
            await asyncio.gather(
                *(send(n, start + n / rate, body, signature) for n, (body, signature) in enumerate(planned))
            )
            # From the first counted delivery's appointed time to the last answer.
            wall = time.perf_counter() - (start + counted_from / rate)
        times.sort()
        return {
            "sent": len(planned),
            "counted": len(times),
            "p50": times[len(times) // 2],
            "p99": times[max(0, int(len(times) * 0.99) - 1)],
            "max": times[-1],
            "wall": wall,
            "statuses": statuses,
        }

    return asyncio.run(run())


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=200, help="the generator's connections at most")
    parser.add_argument(
        "--warm-up", type=float, default=5, help="seconds sent first, not counted in the times"
    )
    arguments = parser.parse_args()
    services = from_environment(Path(tempfile.mkdtemp(prefix="relance-bench-")))
    environment = {**os.environ, **services.start(), "XERO_WEBHOOK_KEY": KEY}
    port = free_port()
    from tests.test_deploy_manifest import procfile

    command = [arg.replace("0.0.0.0:$PORT", f"127.0.0.1:{port}") for arg in procfile()["web"]]
    log = open(Path(services.folder) / "gunicorn.log", "w")  # noqa: SIM115  # closed below
    web = subprocess.Popen(
        [sys.executable, "-m", *command],
        cwd=REPO,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            found = pool.apply(
                generate,
                (
                    f"http://127.0.0.1:{port}/webhooks/xero",
                    arguments.rate,
                    arguments.seconds,
                    arguments.connections,
                    arguments.warm_up,
                ),
            )
        from sqlalchemy import create_engine, text

        from runtime.settings import Settings

        engine = create_engine(Settings(database_url=environment["DATABASE_URL"]).sqlalchemy_url)
        with engine.connect() as connection:
            stored, distinct = connection.execute(
                text("SELECT count(*), count(DISTINCT dedupe_key) FROM inbox_events")
            ).one()
        engine.dispose()
        backend = "postgresql" if "postgresql" in environment["DATABASE_URL"] else "sqlite"
        sent = int(found["sent"])  # type: ignore[call-overload]
        print(
            f"webhook intake, {backend}, offered {arguments.rate:.0f}/s for {arguments.seconds:.0f} s: "
            f"p50 {float(found['p50']) * 1000:.1f} ms, p99 {float(found['p99']) * 1000:.1f} ms, "  # type: ignore[arg-type]
            f"max {float(found['max']) * 1000:.0f} ms; {int(found['counted']) / float(found['wall']):.0f} deliveries/s achieved; "  # type: ignore[arg-type]
            f"answers {found['statuses']}; {stored} events stored ({distinct} distinct) of {sent} sent"
        )
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        try:
            web.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(web.pid, signal.SIGKILL)
        log.close()
        services.stop()


if __name__ == "__main__":
    main()
