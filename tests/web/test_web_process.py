"""The web process as shipped (Procfile, web/gunicorn_conf.py): one slow client cannot stall it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.conftest import REPO, free_port, wait_until
from tests.test_deploy_manifest import procfile
from web.gunicorn_conf import fitted_workers


def healthz(port: int, timeout: float) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as answer:
        return answer.status


def answers(port: int) -> bool:
    try:
        return healthz(port, timeout=2) == 200
    except OSError:
        return False


@pytest.fixture
def web_process(tmp_path) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """gunicorn started as the Procfile starts it, with one worker process: the worst case."""
    port = free_port()
    # gunicorn -c python:web.gunicorn_conf --bind 0.0.0.0:$PORT web.wsgi:app
    command = [arg.replace("0.0.0.0:$PORT", f"127.0.0.1:{port}") for arg in procfile()["web"]]
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", *command],
            cwd=REPO,
            env={**os.environ, "WEB_CONCURRENCY": "1"},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: answers(port) or process.poll() is not None, timeout=90, interval=0.2)
        assert process.poll() is None, log_path.read_text()
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def trickle(port: int, request: bytes, stop: threading.Event) -> None:
    """A client on a very slow line: one byte of ``request`` a second, never the whole of it."""
    with socket.create_connection(("127.0.0.1", port)) as client:
        for byte in request[:-1]:
            if stop.wait(1.0):
                return
            client.sendall(bytes([byte]))
        stop.wait()


def test_healthz_answers_while_slow_clients_hold_connections(web_process: int) -> None:
    stop = threading.Event()
    slow_headers = b"GET /healthz HTTP/1.1\r\nHost: relance\r\nX-Slow: " + b"z" * 100 + b"\r\n\r\n"
    slow_body = b"POST /webhooks/xero HTTP/1.1\r\nHost: relance\r\nContent-Length: 500\r\n\r\n" + b"{" * 500
    clients = [
        threading.Thread(target=trickle, args=(web_process, request, stop))
        for request in (slow_headers, slow_body)
    ]
    silent = socket.create_connection(("127.0.0.1", web_process))  # connects and says nothing
    try:
        for client in clients:
            client.start()
        time.sleep(1.5)  # each slow client is in the middle of its request now

        timings = []
        for _ in range(10):
            started = time.monotonic()
            assert healthz(web_process, timeout=5) == 200
            timings.append(time.monotonic() - started)
            time.sleep(0.5)
    finally:
        stop.set()
        silent.close()
        for client in clients:
            client.join(timeout=5)

    assert max(timings) < 2.0, timings


def test_the_worker_count_fits_the_machine() -> None:
    assert [fitted_workers(cores) for cores in (None, 1, 2, 4, 64)] == [3, 3, 5, 8, 8]
