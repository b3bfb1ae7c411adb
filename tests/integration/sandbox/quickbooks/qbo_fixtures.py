"""Fixtures for the QuickBooks sandbox tests: a started sandbox, a connection, a python-quickbooks client,
and a webhook receiver, all over real HTTP on loopback ports (see qbo_clients.py for the wiring).

Test modules load this with `pytest_plugins = ["qbo_fixtures"]` instead of it being a conftest.py:
the Xero tests next door do `from conftest import …`, and pytest keeps one module named `conftest`
in sys.modules, so a second conftest.py under tests/integration/sandbox/ shadows theirs. Being a
plugin makes the fixtures visible session-wide, hence the `qbo_` prefix on their names.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

from qbo_clients import FAST_WEBHOOKS, quickbooks_client
from quickbooks import QuickBooks
from werkzeug.wrappers import Request, Response

from integration.sandbox.common.server import SandboxServer
from integration.sandbox.quickbooks import Connection, QuickBooksSandbox


@pytest.fixture
def qbo_sandbox() -> Iterator[QuickBooksSandbox]:
    """An empty sandbox (two companies, no customers) with millisecond webhook timing."""
    with QuickBooksSandbox(seed="empty", dispatch=FAST_WEBHOOKS) as running:
        yield running


@pytest.fixture
def qbo_realm_id(qbo_sandbox: QuickBooksSandbox) -> str:
    return qbo_sandbox.realm_ids[0]


@pytest.fixture
def qbo_connection(qbo_sandbox: QuickBooksSandbox, qbo_realm_id: str) -> Connection:
    return qbo_sandbox.connect(qbo_realm_id)


@pytest.fixture
def qb(qbo_sandbox: QuickBooksSandbox, qbo_connection: Connection) -> QuickBooks:
    return quickbooks_client(qbo_sandbox, qbo_connection)


@pytest.fixture
def qbo_api(qbo_sandbox: QuickBooksSandbox, qbo_connection: Connection):  # type: ignore[no-untyped-def]
    """Raw HTTP against the company URL, for asserting exact bodies."""
    import requests

    session = requests.Session()
    session.headers.update(
        {"Authorization": f"Bearer {qbo_connection.access_token}", "Accept": "application/json"}
    )
    session.company_url = f"{qbo_sandbox.api_url_v3}/company/{qbo_connection.realm_id}"  # type: ignore[attr-defined]
    return session


@dataclass
class WebhookReceiver:
    """A loopback endpoint that records raw webhook bodies and answers with `statuses` in turn."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0
    server: SandboxServer | None = None

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        import time

        request = Request(environ)
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.received.append((request.get_data(), dict(request.headers)))
            status = self.statuses.pop(0) if self.statuses else 200
        return Response("ok", status=status)(environ, start_response)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"{self.server.base_url}/webhooks/quickbooks"


@pytest.fixture
def qbo_receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    hook.server = SandboxServer(hook).start()
    yield hook
    hook.server.stop()
