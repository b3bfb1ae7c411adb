"""A running QuickBooks sandbox (empty companies, throttles lifted unless a test sets them) and
QuickBooksLedgers pointed at it by URL, each with a real Redis rate limiter."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis

from integration.quickbooks.client import QuickBooksLedger
from integration.rate_limit import TenantRateLimiter
from integration.sandbox.quickbooks import QuickBooksSandbox, ThrottlePolicy
from integration.sandbox.quickbooks.company import Company


@pytest.fixture
def qbo_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[QuickBooksSandbox]:
    # The ledger sends with a plain requests.Session; this is for anything else that uses
    # requests-oauthlib against the plain-http sandbox.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    throttle = ThrottlePolicy(per_minute=10**6, concurrent=100, batch_per_minute=10**6)
    with QuickBooksSandbox(seed="empty", throttle=throttle) as sandbox:
        yield sandbox


@pytest.fixture
def realm_id(qbo_sandbox: QuickBooksSandbox) -> str:
    return qbo_sandbox.realm_ids[0]


@pytest.fixture
def company(qbo_sandbox: QuickBooksSandbox, realm_id: str) -> Company:
    return qbo_sandbox.company(realm_id)


@pytest.fixture
def make_ledger(
    qbo_sandbox: QuickBooksSandbox, realm_id: str, redis_client: redis.Redis
) -> Callable[..., QuickBooksLedger]:
    """QuickBooksLedger(realm, sandbox URL, token) with a limiter; keyword arguments override."""

    def make(**overrides) -> QuickBooksLedger:
        token = qbo_sandbox.connect(realm_id).access_token
        arguments = {
            "realm_id": realm_id,
            "api_url": qbo_sandbox.base_url,
            "access_token": lambda: token,
            "limiter": TenantRateLimiter(redis_client, "quickbooks", realm_id),
            "late_fee_item_id": "1",
        }
        arguments.update(overrides)
        return QuickBooksLedger(**arguments)

    return make


@pytest.fixture
def ledger(make_ledger: Callable[..., QuickBooksLedger]) -> QuickBooksLedger:
    return make_ledger()
