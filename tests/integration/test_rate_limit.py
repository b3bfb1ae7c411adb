"""The Redis rate limiter keeps every worker of a tenant inside the ledger's limits."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from integration.rate_limit import RateLimits, TenantRateLimiter, Window


def test_twenty_clients_never_exceed_the_concurrency_or_the_window(redis_client) -> None:
    limits = RateLimits(windows=(Window(12, 1.0),), concurrent=3)
    in_flight = 0
    most_in_flight = 0
    started_at: list[float] = []
    lock = threading.Lock()

    def call() -> None:
        nonlocal in_flight, most_in_flight
        limiter = TenantRateLimiter(redis_client, "xero", "tenant-a", limits)  # one per worker, shared Redis
        with limiter.slot():
            with lock:
                in_flight += 1
                most_in_flight = max(most_in_flight, in_flight)
                started_at.append(time.monotonic())
            time.sleep(0.02)
            with lock:
                in_flight -= 1

    with ThreadPoolExecutor(max_workers=20) as pool:
        for future in [pool.submit(call) for _ in range(30)]:
            future.result(timeout=30)

    assert len(started_at) == 30
    assert most_in_flight <= 3
    started_at.sort()
    for index in range(len(started_at) - 12):
        # Any 13 consecutive calls span more than the 1 s window (a little slack for clocks).
        assert started_at[index + 12] - started_at[index] > 0.95


def test_tenants_do_not_share_slots_but_the_app_window_is_shared(redis_client) -> None:
    limits = RateLimits(windows=(Window(2, 60), Window(3, 60, scope="app")), concurrent=5)
    a = TenantRateLimiter(redis_client, "xero", "tenant-a", limits)
    b = TenantRateLimiter(redis_client, "xero", "tenant-b", limits)

    assert a.try_acquire()[0] and a.try_acquire()[0]
    slot, wait = a.try_acquire()
    assert slot is None and 58 < wait <= 60.251  # tenant a's minute (and the margin) is spent

    assert b.try_acquire()[0]  # tenant b has its own minute...
    slot, wait = b.try_acquire()
    assert slot is None and wait > 58  # ...but the app's three calls a minute are spent


def test_a_429_pauses_every_worker_of_the_tenant(redis_client) -> None:
    limits = RateLimits(windows=(Window(100, 60),), concurrent=5)
    first = TenantRateLimiter(redis_client, "quickbooks", "realm-1", limits)
    second = TenantRateLimiter(redis_client, "quickbooks", "realm-1", limits)
    other = TenantRateLimiter(redis_client, "quickbooks", "realm-2", limits)

    first.pause(0.5, problem="minute")

    slot, wait = second.try_acquire()
    assert slot is None and 0.3 < wait <= 0.5
    assert other.try_acquire()[0] is not None
    with second.slot() as waited:
        assert waited >= 0.3


def test_a_slot_held_by_a_dead_worker_is_freed_after_its_lease(redis_client) -> None:
    limits = RateLimits(windows=(Window(100, 60),), concurrent=1, lease_seconds=0.3)
    limiter = TenantRateLimiter(redis_client, "xero", "tenant-a", limits)

    assert limiter.try_acquire()[0] is not None  # never released: its worker was killed
    assert limiter.try_acquire()[0] is None

    time.sleep(0.35)
    assert limiter.try_acquire()[0] is not None
