"""Intuit's throttles per realm, enforced with common/rate_limit.py.

Published limits (BTHR blogs.intuit.com 2016-08-08; developer.intuit.com "limits and
throttles"; python-quickbooks#83 quoting the docs): 500 requests per minute per realm,
10 concurrent requests per realm and app, reports 200 per minute per realm; batch: at most 30
items per request and 40 batch requests per minute per realm (BBATCH, and
../shared/reference/quickbooks.md). The 2025 change (BAPI25) adds 120 batch calls a minute
"in addition to the throttling limits already in place", so the older 40 still binds and is the
default here. Over any of them: HTTP 429 with code 3001. Everything is a ThrottlePolicy so tests
and benchmarks can raise or lower it.
"""

from __future__ import annotations

from dataclasses import dataclass

from integration.sandbox.common.rate_limit import (
    ConcurrencyRule,
    Permit,
    RateLimited,
    RateLimiter,
    WindowRule,
)

from .faults import ThrottleExceeded


@dataclass(frozen=True)
class ThrottlePolicy:
    """Per-realm limits; `xml_429` answers throttling in XML as Intuit has been seen to do."""

    per_minute: int = 500
    concurrent: int = 10
    batch_per_minute: int = 40  # BBATCH; BAPI25's 120 is in addition, so never reached
    batch_items: int = 30
    reports_per_minute: int = 200
    window_seconds: float = 60.0
    xml_429: bool = True
    retry_after_header: bool = True  # Intuit's Retry-After on 429 is unconfirmed (details §7.3)


class RealmThrottle:
    """Admits or refuses one API call for a realm."""

    def __init__(self, limiter: RateLimiter, policy: ThrottlePolicy | None = None) -> None:
        self.limiter = limiter
        self.policy = policy or ThrottlePolicy()

    def admit(self, realm_id: str, endpoint: str) -> Permit:
        """A permit to release when the answer is sent, or ThrottleExceeded."""
        policy = self.policy
        windows = [(realm_id, WindowRule("minute", policy.per_minute, policy.window_seconds))]
        if endpoint == "batch":
            windows.append((realm_id, WindowRule("batch", policy.batch_per_minute, policy.window_seconds)))
        if endpoint == "reports":
            windows.append(
                (realm_id, WindowRule("reports", policy.reports_per_minute, policy.window_seconds))
            )
        concurrency = [(realm_id, ConcurrencyRule("concurrent", policy.concurrent))]
        try:
            return self.limiter.admit(windows=windows, concurrency=concurrency)
        except RateLimited as refused:
            raise ThrottleExceeded(refused.retry_after, refused.problem) from refused
