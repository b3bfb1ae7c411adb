"""Deliver webhook batches from a background thread, with batching, retries and a log.

The ledger's API request only records that something changed; delivery happens later on this
thread, as on the hosted ledgers, so a slow or failing receiver never slows the API. Each API
supplies `encode(events) -> (body, headers)` (payload shape and signature are its own) and the
target URL; this module owns timing: a batching window, retries with backoff, the fault hooks
(drop, duplicate, reorder) and the delivery log that tests read.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from .clock import SandboxClock
from .faults import FaultInjector, FaultKind

Encoder = Callable[[list[Any]], tuple[bytes, dict[str, str]]]


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST (or a fault standing in for it) in the delivery log."""

    batch_id: int
    attempt: int
    url: str
    body: bytes
    headers: dict[str, str]
    status: int | None
    ok: bool
    outcome: str  # delivered | failed | gave_up | dropped | duplicate | intent
    error: str | None
    at: datetime
    event_count: int


@dataclass
class _Batch:
    batch_id: int
    events: list[Any]
    attempt: int = 0
    faults_checked: bool = False
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DispatchSettings:
    """Timing of deliveries; tests shrink everything to milliseconds."""

    batch_window: float = 1.0
    max_batch: int = 100
    retry_delays: Sequence[float] = (5.0, 30.0, 120.0, 600.0, 3600.0)
    timeout: float = 5.0
    reorder_hold: float = 2.0  # how long a held-back batch waits for a later one to overtake it


def post_body(url: str, body: bytes, headers: dict[str, str], timeout: float = 5.0) -> int | None:
    """POST raw bytes and return the status, or None when the receiver could not be reached."""
    try:
        return requests.post(url, data=body, headers=headers, timeout=timeout).status_code
    except requests.RequestException:
        return None


class WebhookDispatcher:
    """Queue of events -> batches -> signed POSTs on one daemon thread."""

    def __init__(
        self,
        encode: Encoder,
        target: Callable[[], str | None],
        settings: DispatchSettings | None = None,
        faults: FaultInjector | None = None,
        accepts: Callable[[int | None], bool] = lambda status: status is not None and 200 <= status < 300,
        on_give_up: Callable[[list[Any]], None] | None = None,
        clock: SandboxClock | None = None,
    ) -> None:
        self.clock = clock or SandboxClock()
        self.encode = encode
        self.target = target
        self.settings = settings or DispatchSettings()
        self.faults = faults or FaultInjector()
        self.accepts = accepts
        self.on_give_up = on_give_up
        self._cond = threading.Condition()
        self._queue: list[Any] = []
        self._first_queued_at: float | None = None
        self._retries: list[tuple[float, int, _Batch]] = []
        self._held: _Batch | None = None
        self._held_since = 0.0
        self._busy = False
        self._log: list[DeliveryAttempt] = []
        self._ids = itertools.count(1)
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the delivery thread (idempotent)."""
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread; undelivered events are abandoned."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def enqueue(self, event: Any) -> None:
        """Record an event for the next batch; never blocks on the network."""
        with self._cond:
            if self._first_queued_at is None:
                self._first_queued_at = time.monotonic()
            self._queue.append(event)
            self._cond.notify_all()

    def log(self) -> list[DeliveryAttempt]:
        """Every attempt so far, oldest first."""
        with self._cond:
            return list(self._log)

    def record(self, attempt: DeliveryAttempt) -> None:
        """Add an attempt made outside the thread (e.g. an intent-to-receive probe)."""
        with self._cond:
            self._log.append(attempt)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until nothing is queued, held, retrying or being sent; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._retries or self._busy or self._held is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.01))
            return True

    def _next_batch(self) -> _Batch | None:
        """Wait for work; returns a batch due now, or None when stopping."""
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                if self._retries and self._retries[0][0] <= now:
                    self._busy = True
                    return heapq.heappop(self._retries)[2]
                if self._queue and self._first_queued_at is not None:
                    due = self._first_queued_at + self.settings.batch_window
                    if now >= due or len(self._queue) >= self.settings.max_batch:
                        events = self._queue[: self.settings.max_batch]
                        del self._queue[: self.settings.max_batch]
                        self._first_queued_at = time.monotonic() if self._queue else None
                        self._busy = True
                        return _Batch(next(self._ids), events)
                waits = [0.5]
                if self._retries:
                    waits.append(self._retries[0][0] - now)
                if self._queue and self._first_queued_at is not None:
                    waits.append(self._first_queued_at + self.settings.batch_window - now)
                if self._held is not None and not self._queue:
                    release_at = self._held_since + self.settings.reorder_hold
                    if now >= release_at:
                        # Nothing overtook the held batch in time: release it so it is not lost.
                        held, self._held = self._held, None
                        self._busy = True
                        return held
                    waits.append(release_at - now)
                self._cond.wait(max(0.001, min(waits)))
            return None

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                self._dispatch(batch)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _dispatch(self, batch: _Batch) -> None:
        if not batch.faults_checked:
            batch.faults_checked = True
            if self.faults.take_webhook_fault(FaultKind.WEBHOOK_DROP):
                batch.body, batch.headers = self.encode(batch.events)
                self._note(batch, "", batch.body, batch.headers, None, "dropped", None)
                return
            if self._held is None and self.faults.take_webhook_fault(FaultKind.WEBHOOK_REORDER):
                # Encode now so the held batch keeps its (earlier) sequence numbers.
                batch.body, batch.headers = self.encode(batch.events)
                with self._cond:
                    self._held = batch
                    self._held_since = time.monotonic()
                return
        self._send(batch)
        with self._cond:
            held, self._held = self._held, None
        if held is not None and held is not batch:
            self._send(held)

    def _send(self, batch: _Batch) -> None:
        url = self.target()
        if batch.body is None:
            batch.body, batch.headers = self.encode(batch.events)
        batch.attempt += 1
        if not url:
            self._note(batch, "", batch.body, batch.headers, None, "gave_up", "no subscription")
            return
        status = post_body(url, batch.body, batch.headers, self.settings.timeout)
        ok = self.accepts(status)
        if ok:
            self._note(batch, url, batch.body, batch.headers, status, "delivered", None)
            if batch.attempt == 1 and self.faults.take_webhook_fault(FaultKind.WEBHOOK_DUPLICATE):
                again = post_body(url, batch.body, batch.headers, self.settings.timeout)
                self._note(batch, url, batch.body, batch.headers, again, "duplicate", None)
            return
        error = "unreachable" if status is None else f"HTTP {status}"
        delays = list(self.settings.retry_delays)
        if batch.attempt <= len(delays):
            self._note(batch, url, batch.body, batch.headers, status, "failed", error)
            with self._cond:
                due = time.monotonic() + delays[batch.attempt - 1]
                heapq.heappush(self._retries, (due, batch.batch_id, batch))
                self._cond.notify_all()
            return
        self._note(batch, url, batch.body, batch.headers, status, "gave_up", error)
        if self.on_give_up is not None:
            self.on_give_up(batch.events)

    def _note(
        self,
        batch: _Batch,
        url: str,
        body: bytes,
        headers: dict[str, str],
        status: int | None,
        outcome: str,
        error: str | None,
    ) -> None:
        self.record(
            DeliveryAttempt(
                batch_id=batch.batch_id,
                attempt=batch.attempt,
                url=url,
                body=body,
                headers=dict(headers),
                status=status,
                ok=outcome in ("delivered", "duplicate"),
                outcome=outcome,
                error=error,
                at=self.clock.now(),
                event_count=len(batch.events),
            )
        )
