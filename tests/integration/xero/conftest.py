"""A running Xero sandbox (empty organisation, no call limits unless a test sets them) and
XeroLedgers pointed at it by URL, each with a real Redis rate limiter."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis

from integration.rate_limit import TenantRateLimiter
from integration.sandbox.xero import XeroLimits, XeroSandbox, XeroSandboxSettings
from integration.xero.client import XeroLedger


@pytest.fixture
def xero_sandbox() -> Iterator[XeroSandbox]:
    sandbox = XeroSandbox(seed="empty", settings=XeroSandboxSettings(limits=XeroLimits.unlimited())).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def make_ledger(xero_sandbox: XeroSandbox, redis_client: redis.Redis) -> Callable[..., XeroLedger]:
    """XeroLedger(tenant, sandbox URL, token) with a limiter; keyword arguments override."""

    def make(**overrides) -> XeroLedger:
        token = xero_sandbox.connect()["access_token"]
        arguments = {
            "tenant_id": xero_sandbox.tenant_id,
            "api_url": xero_sandbox.base_url,
            "access_token": lambda: token,
            "limiter": TenantRateLimiter(redis_client, "xero", xero_sandbox.tenant_id),
            "client_id": xero_sandbox.app.client_id,
            "client_secret": xero_sandbox.app.client_secret,
        }
        arguments.update(overrides)
        return XeroLedger(**arguments)

    return make


@pytest.fixture
def ledger(make_ledger: Callable[..., XeroLedger]) -> XeroLedger:
    return make_ledger()
