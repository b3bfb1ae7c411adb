"""Every API call the sandbox answered, so benchmarks and tests can count calls.

Call counts are the currency of the ledger APIs (60 per minute per tenant on Xero), so tests
assert on them: "an incremental sync after 1,000 webhook events costs at most 3 calls".
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LoggedRequest:
    """One answered call; `endpoint` is the route pattern (e.g. `GET /Invoices/{id}`)."""

    at: datetime
    tenant: str | None
    method: str
    endpoint: str
    path: str
    status: int
    client_id: str | None = None


class RequestLog:
    """Thread-safe, append-only list of calls with per-tenant and per-endpoint counts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def record(self, entry: LoggedRequest) -> None:
        """Append one answered call."""
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        """A snapshot of every call, oldest first."""
        with self._lock:
            return list(self._entries)

    def count(
        self,
        tenant: str | None = None,
        endpoint: str | None = None,
        method: str | None = None,
        status: int | None = None,
    ) -> int:
        """How many calls match every filter given (None = any)."""
        return sum(
            1
            for e in self.entries()
            if (tenant is None or e.tenant == tenant)
            and (endpoint is None or e.endpoint == endpoint)
            and (method is None or e.method == method)
            and (status is None or e.status == status)
        )

    def counts(self, tenant: str | None = None) -> Counter[str]:
        """Calls per endpoint (`METHOD /pattern`), optionally for one tenant."""
        return Counter(
            f"{e.method} {e.endpoint}" for e in self.entries() if tenant is None or e.tenant == tenant
        )

    def per_tenant(self) -> Counter[str | None]:
        """Calls per tenant id."""
        return Counter(e.tenant for e in self.entries())

    def clear(self) -> None:
        """Forget every call (between benchmark phases)."""
        with self._lock:
            self._entries.clear()
