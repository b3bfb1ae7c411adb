"""Call limits per key: fixed windows (calls per N seconds) and concurrency (calls in flight).

Ledgers throttle per tenant and per app, and Relance's scheduler is built around those limits,
so the sandbox enforces them for real. Windows are fixed and start at a key's first call, which
is how Xero describes its minute and day windows ("reset at different times for each tenant").
A refused call does not count against any window.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WindowRule:
    """At most `calls` per `seconds`; `problem` names the limit in the 429 answer."""

    problem: str
    calls: int
    seconds: float


@dataclass(frozen=True)
class ConcurrencyRule:
    """At most `calls` in flight at once for a key."""

    problem: str
    calls: int


class RateLimited(Exception):
    """A call was refused; `retry_after` is whole seconds until it may succeed."""

    def __init__(self, problem: str, retry_after: int, key: Hashable = None) -> None:
        super().__init__(f"rate limit '{problem}' reached, retry after {retry_after}s")
        self.problem = problem
        self.retry_after = retry_after
        self.key = key


# A concurrency slot: a key and the problem name of its rule.
Slot = tuple[Hashable, str]


@dataclass
class _Window:
    started: float
    count: int = 0


@dataclass
class Permit:
    """An admitted call; release() when the answer is sent. `remaining` is per problem name."""

    limiter: RateLimiter
    concurrency_keys: list[Slot]
    remaining: dict[str, int] = field(default_factory=dict)
    released: bool = False

    def release(self) -> None:
        """Free the concurrency slots; idempotent."""
        if not self.released:
            self.released = True
            self.limiter._release(self.concurrency_keys)

    def __enter__(self) -> Permit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class RateLimiter:
    """Thread-safe limiter; `now` returns POSIX seconds (a sandbox clock moves the windows)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._windows: dict[Slot, _Window] = {}
        self._in_flight: dict[Slot, int] = {}

    def _window(self, key: Hashable, rule: WindowRule, now: float) -> _Window:
        window = self._windows.get((key, rule.problem))
        if window is None or now >= window.started + rule.seconds or now < window.started:
            window = _Window(started=now)
            self._windows[(key, rule.problem)] = window
        return window

    def admit(
        self,
        windows: Sequence[tuple[Hashable, WindowRule]] = (),
        concurrency: Sequence[tuple[Hashable, ConcurrencyRule]] = (),
    ) -> Permit:
        """Count one call against every rule, or raise RateLimited without counting it.

        When several windows are full the one that frees last is reported, so a client that
        honours Retry-After does not come back into another full window.
        """
        with self._lock:
            now = self._now()
            refusals: list[RateLimited] = []
            for key, rule in windows:
                window = self._window(key, rule, now)
                if window.count >= rule.calls:
                    wait = max(1, math.ceil(window.started + rule.seconds - now))
                    refusals.append(RateLimited(rule.problem, wait, key))
            if refusals:
                raise max(refusals, key=lambda r: r.retry_after)
            for key, limit in concurrency:
                if self._in_flight.get((key, limit.problem), 0) >= limit.calls:
                    raise RateLimited(limit.problem, 1, key)
            remaining: dict[str, int] = {}
            for key, rule in windows:
                window = self._window(key, rule, now)
                window.count += 1
                remaining[rule.problem] = rule.calls - window.count
            held: list[Slot] = []
            for key, limit in concurrency:
                slot = (key, limit.problem)
                self._in_flight[slot] = self._in_flight.get(slot, 0) + 1
                held.append(slot)
            return Permit(self, held, remaining)

    def remaining(self, key: Hashable, rule: WindowRule) -> int:
        """Calls left in the key's current window (for headers on refused calls)."""
        with self._lock:
            return max(0, rule.calls - self._window(key, rule, self._now()).count)

    def in_flight(self, key: Hashable, rule: ConcurrencyRule) -> int:
        """Calls currently admitted and not released for a key."""
        with self._lock:
            return self._in_flight.get((key, rule.problem), 0)

    def _release(self, slots: list[Slot]) -> None:
        with self._lock:
            for slot in slots:
                self._in_flight[slot] = max(0, self._in_flight.get(slot, 0) - 1)

    def reset(self) -> None:
        """Forget every window (tests, or an admin "new day")."""
        with self._lock:
            self._windows.clear()
