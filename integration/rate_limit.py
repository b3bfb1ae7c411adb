"""Staying inside a ledger's rate limits, across every worker, in Redis.

Xero allows a tenant 60 calls a minute, 5 at once and 5,000 a day, and an app 10,000 calls a
minute across tenants; QuickBooks allows a realm 500 calls a minute and 10 at once (see
../shared/reference/xero.md and quickbooks.md, "Limits"). Every call first takes a slot here:
one atomic Redis script checks the tenant's sliding windows and its concurrent calls, and either
admits the call or says how long to wait. After a 429, :meth:`TenantRateLimiter.pause` makes
every worker of that tenant wait out the ledger's Retry-After.

Windows are sliding logs timed by Redis's own clock (TIME), so all workers agree on "now".
This is physics, not business time: the Relance clock that demos move is not used here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from runtime.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Window:
    calls: int
    seconds: float
    scope: str = "tenant"  # "tenant" or "app": whose calls count together


@dataclass(frozen=True)
class RateLimits:
    windows: tuple[Window, ...]
    concurrent: int
    # A slot whose holder died is freed after this long.
    lease_seconds: float = 120.0
    # Each window is held this much longer than the ledger's: a call admitted as the window
    # slides may reach the ledger a few milliseconds sooner than the one it replaces did, and
    # the ledger counts by arrival.
    margin_seconds: float = 0.25


# Xero: developer.xero.com/documentation/guides/oauth2/limits (reference/xero.md "Limits").
XERO_LIMITS = RateLimits(
    windows=(Window(60, 60), Window(5000, 86400), Window(10_000, 60, scope="app")),
    concurrent=5,
)
# QuickBooks: developer.intuit.com … /learn/rest-api-features#limits-and-throttles (reference/quickbooks.md).
QUICKBOOKS_LIMITS = RateLimits(windows=(Window(500, 60),), concurrent=10)

LIMITS = {"xero": XERO_LIMITS, "quickbooks": QUICKBOOKS_LIMITS}

# KEYS[1] concurrency set, KEYS[2] pause key, KEYS[3..] window logs.
# ARGV: member, lease ms, concurrency limit, then per window: calls, window ms.
# Returns 0 when admitted, else the milliseconds to wait before asking again.
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local member, lease, concurrent = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local paused_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused_until > now then return paused_until - now end
local wait = 0
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= concurrent then wait = 25 end
for i = 3, #KEYS do
  local calls, span = tonumber(ARGV[2 + (i - 2) * 2]), tonumber(ARGV[3 + (i - 2) * 2])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - span)
  if redis.call('ZCARD', KEYS[i]) >= calls then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + span - now + 1)
  end
end
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], now + lease, member)
redis.call('PEXPIRE', KEYS[1], lease)
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], now, member)
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[3 + (i - 2) * 2]))
end
return 0
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > current then redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1])) end
return until_ms - now
"""


class TenantRateLimiter:
    """The slots of one tenant of one ledger, shared by every process through Redis."""

    def __init__(self, client: redis.Redis, provider: str, tenant_id: str, limits: RateLimits | None = None):
        self.client = client
        self.limits = limits or LIMITS[provider]
        prefix = f"relance:ratelimit:{provider}"
        self._concurrency_key = f"{prefix}:{tenant_id}:inflight"
        self._pause_key = f"{prefix}:{tenant_id}:paused"
        self._window_keys = [
            f"{prefix}:app:{window.seconds:g}s"
            if window.scope == "app"
            else f"{prefix}:{tenant_id}:{window.seconds:g}s"
            for window in self.limits.windows
        ]
        self._admit = client.register_script(_ADMIT)
        self._pause = client.register_script(_PAUSE)

    def try_acquire(self) -> tuple[str | None, float]:
        """Take a slot now if one is free: (slot id, 0) or (None, seconds to wait)."""
        member = uuid.uuid4().hex
        args: list[str | int] = [member, int(self.limits.lease_seconds * 1000), self.limits.concurrent]
        for window in self.limits.windows:
            args += [window.calls, int((window.seconds + self.limits.margin_seconds) * 1000)]
        wait_ms = int(
            self._admit(keys=[self._concurrency_key, self._pause_key, *self._window_keys], args=args)
        )
        return (member, 0.0) if wait_ms == 0 else (None, wait_ms / 1000)

    def release(self, slot: str) -> None:
        self.client.zrem(self._concurrency_key, slot)

    @contextmanager
    def slot(self, max_wait: float = 3600.0) -> Iterator[float]:
        """Wait for a slot, hold it for one call, free it; yields the seconds spent waiting."""
        started = time.monotonic()
        while True:
            slot, wait = self.try_acquire()
            if slot is not None:
                break
            waited = time.monotonic() - started
            if waited + wait > max_wait:
                raise TimeoutError(f"no rate-limit slot within {max_wait} s")
            time.sleep(wait)
        try:
            yield time.monotonic() - started
        finally:
            self.release(slot)

    def pause(self, seconds: float, problem: str = "") -> None:
        """The ledger answered 429: no worker calls this tenant for ``seconds``."""
        self._pause(keys=[self._pause_key], args=[max(1, int(seconds * 1000))])
        log.warning("ledger.rate_limited", problem=problem, retry_after=seconds)

    def in_flight(self) -> int:
        return int(self.client.zcard(self._concurrency_key))


def forget_windows(client: redis.Redis) -> int:
    """Empty every call window (not the slots in flight, nor a pause a 429 asked for): for a clock
    moved forward by hours in the simulation and the tests, where the calls counted belong to a
    minute long past. Returns how many windows were emptied."""
    windows = [
        key for key in client.scan_iter("relance:ratelimit:*") if not key.endswith((b":inflight", b":paused"))
    ]
    return int(client.delete(*windows)) if windows else 0
