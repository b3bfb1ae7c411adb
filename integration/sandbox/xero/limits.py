"""Xero's call limits: per tenant 60/minute, 5,000/day, 5 concurrent; per app 10,000/minute.

Source: developer.xero.com/documentation/guides/oauth2/limits (XLIM in xero-details.md section 5).
X-Rate-Limit-Problem values `minute` and `day` are observed (XeroAPI/xero-python#74); `appminute`
and `concurrent` are unconfirmed names for the other two. All numbers are configurable so tests
can exhaust a window in a few calls and benchmarks can lift the limits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..common.rate_limit import ConcurrencyRule, Permit, RateLimiter, WindowRule


@dataclass(frozen=True)
class XeroLimits:
    """The numbers; window lengths are seconds of sandbox time."""

    per_minute: int = 60
    per_day: int = 5000
    concurrent: int = 5
    app_per_minute: int = 10000
    minute_seconds: float = 60.0
    day_seconds: float = 86400.0

    @classmethod
    def unlimited(cls) -> XeroLimits:
        """For benchmarks and tests that are not about limits."""
        big = 10**9
        return cls(per_minute=big, per_day=big, concurrent=big, app_per_minute=big)


class XeroRateLimits:
    """Applies XeroLimits with a RateLimiter keyed by (app, tenant) and app."""

    def __init__(self, limits: XeroLimits, now: Callable[[], float]) -> None:
        self.limits = limits
        self.limiter = RateLimiter(now)
        self._rules()

    def _rules(self) -> None:
        limits = self.limits
        self.minute = WindowRule("minute", limits.per_minute, limits.minute_seconds)
        self.day = WindowRule("day", limits.per_day, limits.day_seconds)
        self.app_minute = WindowRule("appminute", limits.app_per_minute, limits.minute_seconds)
        self.concurrent = ConcurrencyRule("concurrent", limits.concurrent)

    def configure(self, limits: XeroLimits) -> None:
        """Change the numbers (windows already open keep their counts)."""
        self.limits = limits
        self._rules()

    def admit(self, client_id: str, tenant_id: str) -> Permit:
        """Count one call or raise RateLimited."""
        tenant = (client_id, tenant_id)
        return self.limiter.admit(
            windows=[(tenant, self.day), (client_id, self.app_minute), (tenant, self.minute)],
            concurrency=[(tenant, self.concurrent)],
        )

    @staticmethod
    def headers_from(remaining: dict[str, int]) -> dict[str, str]:
        """The three X-*Limit-Remaining headers from a permit."""
        return {
            "X-DayLimit-Remaining": str(remaining.get("day", 0)),
            "X-MinLimit-Remaining": str(remaining.get("minute", 0)),
            "X-AppMinLimit-Remaining": str(remaining.get("appminute", 0)),
        }

    def remaining_headers(self, client_id: str, tenant_id: str | None) -> dict[str, str]:
        """The headers for an answer that was not counted (401, 403, 429)."""
        tenant = (client_id, tenant_id)
        return self.headers_from(
            {
                "day": self.limiter.remaining(tenant, self.day),
                "minute": self.limiter.remaining(tenant, self.minute),
                "appminute": self.limiter.remaining(client_id, self.app_minute),
            }
        )

    def in_flight(self, client_id: str, tenant_id: str) -> int:
        """Calls of an app to a tenant currently being answered."""
        return self.limiter.in_flight((client_id, tenant_id), self.concurrent)
