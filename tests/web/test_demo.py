"""`relance demo` (what `make demo` runs) on a fresh instance: up within 60 s, down on one Ctrl-C."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import requests

from tests.conftest import free_port, wait_until


def healthy(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def test_demo_serves_healthz_and_one_ctrl_c_stops_everything(tmp_path: Path, start_process) -> None:
    port = free_port()
    instance = tmp_path / "instance"
    demo = start_process(
        "demo",
        "--port",
        str(port),
        "--xero-port",
        str(free_port()),
        "--quickbooks-port",
        str(free_port()),
        "--mail-port",
        str(free_port()),
        env={"RELANCE_INSTANCE": str(instance), "RELANCE_ENV": "development"},
        unset=("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY"),
    )

    wait_until(lambda: healthy(f"http://127.0.0.1:{port}/healthz"), timeout=60, interval=0.5)
    body = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
    assert body["database"] == "ok" and body["redis"] == "ok"
    assert (instance / "relance.db").exists()
    assert (instance / "redis" / "redis.sock").exists()  # the embedded Redis, owned by the demo
    # The demo companies are connected and their first sync lands in the mirror.
    mirror = sqlite3.connect(instance / "relance.db")
    wait_until(lambda: mirror.execute("SELECT count(*) FROM connections").fetchone()[0] == 2, timeout=30)
    wait_until(
        lambda: mirror.execute("SELECT count(DISTINCT organisation_id) FROM invoices").fetchone()[0] == 2,
        timeout=60,
    )
    mirror.close()

    demo.send_signal(signal.SIGINT)
    demo.wait(timeout=30)
    output = demo.output()

    assert demo.returncode is not None
    assert not healthy(f"http://127.0.0.1:{port}/healthz")
    assert not (instance / "redis" / "redis.sock").exists(), "the embedded Redis stops with the demo"
    assert f"http://127.0.0.1:{port}/" in output
    for process in ("web", "worker", "scheduler"):
        assert f"| {process} started" in output and f"| {process} stopped" in output
    assert "Traceback" not in output
