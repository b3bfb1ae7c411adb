"""Faults to inject on purpose: slow answers, 500s, 429 storms, and webhook misbehaviour.

Relance must survive what the hosted ledgers do on a bad day; each fault is armed for a number
of uses (or until cleared) and optionally only for paths containing a fragment, and is
consumed by the API layer (request faults) or the webhook dispatcher (webhook faults).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    """What goes wrong."""

    LATENCY = "latency"
    SERVER_ERROR = "server_error"
    RATE_LIMIT_STORM = "rate_limit_storm"
    WEBHOOK_DROP = "webhook_drop"
    WEBHOOK_DUPLICATE = "webhook_duplicate"
    WEBHOOK_REORDER = "webhook_reorder"


REQUEST_FAULTS = frozenset({FaultKind.LATENCY, FaultKind.SERVER_ERROR, FaultKind.RATE_LIMIT_STORM})


@dataclass
class Fault:
    """One armed fault; `times=None` means until cleared."""

    kind: FaultKind
    times: int | None = 1
    seconds: float = 0.0
    retry_after: int = 1
    problem: str = "minute"
    path_contains: str | None = None
    release: threading.Event | None = None

    def delay(self) -> None:
        """A latency fault's wait: `seconds`, or until `release` is set (at most `seconds`)."""
        if self.release is not None:
            self.release.wait(self.seconds)
        else:
            time.sleep(self.seconds)

    def matches(self, path: str | None) -> bool:
        """True if the fault applies to this request path (webhook faults pass None)."""
        return self.path_contains is None or (path is not None and self.path_contains in path)


class FaultInjector:
    """The armed faults of one sandbox; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def arm(self, fault: Fault) -> Fault:
        """Arm any fault."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def add_latency(
        self, seconds: float, times: int | None = None, path_contains: str | None = None
    ) -> Fault:
        """Delay matching answers by `seconds`."""
        return self.arm(Fault(FaultKind.LATENCY, times, seconds=seconds, path_contains=path_contains))

    def hold(
        self,
        release: threading.Event,
        times: int | None = None,
        path_contains: str | None = None,
        longest: float = 30.0,
    ) -> Fault:
        """Keep matching answers (and their concurrency slots) until `release` is set.

        For tests of concurrent clients: the overlap is then certain, however slow the machine.
        """
        return self.arm(
            Fault(FaultKind.LATENCY, times, seconds=longest, path_contains=path_contains, release=release)
        )

    def fail_with_server_error(self, times: int = 1, path_contains: str | None = None) -> Fault:
        """Answer the next matching calls with a 500."""
        return self.arm(Fault(FaultKind.SERVER_ERROR, times, path_contains=path_contains))

    def rate_limit_storm(
        self, times: int, retry_after: int = 1, problem: str = "minute", path_contains: str | None = None
    ) -> Fault:
        """Answer the next matching calls with a 429, whatever the real counters say."""
        return self.arm(
            Fault(
                FaultKind.RATE_LIMIT_STORM,
                times,
                retry_after=retry_after,
                problem=problem,
                path_contains=path_contains,
            )
        )

    def drop_webhooks(self, times: int = 1) -> Fault:
        """Silently lose the next webhook deliveries (logged as dropped)."""
        return self.arm(Fault(FaultKind.WEBHOOK_DROP, times))

    def duplicate_webhooks(self, times: int = 1) -> Fault:
        """Deliver the next webhook deliveries twice."""
        return self.arm(Fault(FaultKind.WEBHOOK_DUPLICATE, times))

    def reorder_webhooks(self, times: int = 1) -> Fault:
        """Hold back the next deliveries and send each after the one that follows it."""
        return self.arm(Fault(FaultKind.WEBHOOK_REORDER, times))

    def take(self, kinds: frozenset[FaultKind] | set[FaultKind], path: str | None = None) -> list[Fault]:
        """Consume one use of every armed fault of these kinds that matches; returns them."""
        taken = []
        with self._lock:
            for fault in list(self._faults):
                if fault.kind in kinds and fault.matches(path):
                    taken.append(fault)
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
        return taken

    def take_request_faults(self, path: str) -> list[Fault]:
        """The request faults for one API call."""
        return self.take(REQUEST_FAULTS, path)

    def take_webhook_fault(self, kind: FaultKind) -> bool:
        """True (and one use consumed) if a webhook fault of this kind is armed."""
        return bool(self.take({kind}))

    def armed(self) -> list[Fault]:
        """A snapshot of the armed faults."""
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        """Disarm everything."""
        with self._lock:
            self._faults.clear()
