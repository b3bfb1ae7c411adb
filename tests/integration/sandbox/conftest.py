"""Fixtures for the ledger sandboxes: a running Xero sandbox, tokens, SDK clients, a webhook receiver.

Every sandbox started through `xero_sandbox_factory` records its answers, and at teardown each
JSON body is validated against Xero's OpenAPI contract (see xero_contract.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask, Response, request
from xero_clients import fast_settings, sdk_client
from xero_contract import check_contract
from xero_python.accounting import AccountingApi
from xero_python.api_client.oauth2 import TokenApi
from xero_python.identity import IdentityApi

from integration.sandbox.common.server import SandboxServer
from integration.sandbox.xero.sandbox import XeroSandbox, XeroSandboxSettings


@pytest.fixture
def xero_sandbox_factory() -> Iterator[Callable[..., XeroSandbox]]:
    """Start sandboxes (seed, settings, scale as XeroSandbox takes); stopped and contract-checked after the test."""
    started: list[XeroSandbox] = []

    def start(seed="empty", settings: XeroSandboxSettings | None = None, **kwargs) -> XeroSandbox:
        sandbox = XeroSandbox(seed=seed, settings=settings or fast_settings(), **kwargs).start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()
    for sandbox in started:
        check_contract(sandbox)


@pytest.fixture
def xero_sandbox(xero_sandbox_factory) -> XeroSandbox:
    """An empty organisation on a running sandbox."""
    return xero_sandbox_factory()


@pytest.fixture
def xero_token(xero_sandbox: XeroSandbox) -> dict:
    """A token dict for the default app, connected to the primary organisation."""
    return xero_sandbox.connect()


@pytest.fixture
def token_urls(monkeypatch: pytest.MonkeyPatch, xero_sandbox: XeroSandbox) -> None:
    """Point xero-python's token refresh and revocation at the sandbox (class attributes in the SDK)."""
    monkeypatch.setattr(TokenApi, "refresh_token_url", xero_sandbox.urls.token)
    monkeypatch.setattr(TokenApi, "revoke_token_url", xero_sandbox.urls.revocation)


@pytest.fixture
def xero_accounting(xero_sandbox: XeroSandbox, xero_token: dict) -> AccountingApi:
    """xero-python's AccountingApi pointed at the sandbox by base URL alone."""
    return AccountingApi(sdk_client(xero_sandbox, xero_token), base_url=xero_sandbox.urls.accounting_api)


@pytest.fixture
def xero_identity(xero_sandbox: XeroSandbox, xero_token: dict) -> IdentityApi:
    """xero-python's IdentityApi pointed at the sandbox."""
    return IdentityApi(sdk_client(xero_sandbox, xero_token), base_url=xero_sandbox.urls.identity_api)


@dataclass
class WebhookReceiver:
    """A receiver that verifies signatures itself (independent HMAC), as Relance's intake must."""

    key: str = ""
    accept_bad_signatures: bool = False
    fail_next: int = 0
    deliveries: list[dict] = field(default_factory=list)
    rejected: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def expected_signature(self, body: bytes) -> str:
        return base64.b64encode(hmac.new(self.key.encode(), body, hashlib.sha256).digest()).decode()

    def events(self) -> list[dict]:
        with self.lock:
            return [e for d in self.deliveries for e in d["payload"]["events"]]


@pytest.fixture
def xero_webhook_receiver() -> Iterator[WebhookReceiver]:
    """A real HTTP receiver on a loopback port."""
    receiver = WebhookReceiver()
    app = Flask("receiver")

    @app.post("/xero/webhooks")
    def intake() -> Response:
        body = request.get_data()
        good = hmac.compare_digest(
            receiver.expected_signature(body), request.headers.get("x-xero-signature", "")
        )
        with receiver.lock:
            if not good and not receiver.accept_bad_signatures:
                receiver.rejected += 1
                return Response(status=401)
            if receiver.fail_next > 0:
                receiver.fail_next -= 1
                return Response(status=503)
            receiver.deliveries.append(
                {
                    "payload": json.loads(body),
                    "raw": body,
                    "signature": request.headers.get("x-xero-signature"),
                    "good": good,
                }
            )
        return Response(status=200)

    server = SandboxServer(app).start()
    receiver.url = f"{server.base_url}/xero/webhooks"
    yield receiver
    server.stop()
