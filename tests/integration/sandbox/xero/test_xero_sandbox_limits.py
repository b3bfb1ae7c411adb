"""Xero's call limits and injected faults: 429 with Retry-After, remaining headers, concurrency, 500s."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from xero_clients import fast_settings, sdk_client
from xero_python.accounting import AccountingApi
from xero_python.exceptions import ApiException
from xero_python.exceptions.http_status_exceptions import RateLimitException

from integration.sandbox.xero.limits import XeroLimits


def limited(factory, **limits):
    return factory(settings=fast_settings(limits=XeroLimits(**limits)))


def call(sandbox, token: dict, tenant: str | None = None) -> requests.Response:
    return requests.get(
        f"{sandbox.urls.accounting_api}/Organisation",
        timeout=10,
        headers={
            "Authorization": f"Bearer {token['access_token']}",
            "xero-tenant-id": tenant or sandbox.tenant_id,
            "Accept": "application/json",
        },
    )


def test_every_answer_carries_the_remaining_headers(xero_sandbox_factory):
    sandbox = limited(xero_sandbox_factory, per_minute=60, per_day=5000, app_per_minute=10000)
    token = sandbox.connect()
    first, second = call(sandbox, token), call(sandbox, token)
    forbidden = call(sandbox, token, tenant="00000000-0000-0000-0000-000000000000")

    assert (first.headers["X-MinLimit-Remaining"], second.headers["X-MinLimit-Remaining"]) == ("59", "58")
    assert second.headers["X-DayLimit-Remaining"] == "4998"
    assert second.headers["X-AppMinLimit-Remaining"] == "9998"
    assert forbidden.status_code == 403
    assert "X-MinLimit-Remaining" in forbidden.headers


def test_minute_limit_answers_429_until_the_window_passes(xero_sandbox_factory):
    sandbox = limited(xero_sandbox_factory, per_minute=3)
    token = sandbox.connect()
    statuses = [call(sandbox, token).status_code for _ in range(3)]

    refused = call(sandbox, token)
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-MinLimit-Remaining"] == "0"

    sandbox.clock.advance(timedelta(seconds=61))
    assert call(sandbox, token).status_code == 200


def test_xero_python_waits_out_retry_after_by_itself(xero_sandbox_factory):
    """xero-python builds a urllib3 PoolManager with default retries: a 429 with Retry-After is slept
    on and retried up to 3 times before RateLimitException surfaces (rest.py; urllib3 Retry defaults)."""
    sandbox = limited(xero_sandbox_factory, per_minute=2, minute_seconds=1)
    api = AccountingApi(sdk_client(sandbox, sandbox.connect()), base_url=sandbox.urls.accounting_api)
    started = time.monotonic()
    for _ in range(3):
        api.get_organisations(sandbox.tenant_id)
    assert time.monotonic() - started >= 0.5
    assert sandbox.request_log.count(endpoint="/Organisation", status=429) >= 1
    assert sandbox.request_log.count(endpoint="/Organisation", status=200) == 3


def test_day_limit_reports_day_with_a_long_retry_after(xero_sandbox_factory):
    sandbox = limited(xero_sandbox_factory, per_day=2)
    token = sandbox.connect()
    call(sandbox, token), call(sandbox, token)
    refused = call(sandbox, token)
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "day"
    assert int(refused.headers["Retry-After"]) > 3600
    assert refused.headers["X-DayLimit-Remaining"] == "0"


def test_app_minute_limit_spans_tenants(xero_sandbox_factory):
    sandbox = xero_sandbox_factory(
        settings=fast_settings(limits=XeroLimits(app_per_minute=3), extra_organisations=("Second Co",))
    )
    first, second = list(sandbox.organisations)
    token = sandbox.connect(tenants=[first, second])
    statuses = [call(sandbox, token, t).status_code for t in (first, second, first)]
    refused = call(sandbox, token, second)
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "appminute"


def test_concurrency_limit_holds_under_20_concurrent_clients(xero_sandbox_factory):
    sandbox = limited(xero_sandbox_factory, concurrent=5, per_minute=10_000)
    token = sandbox.connect()
    # The admitted answers are held until the refusals are back, so all 20 calls arrive while the
    # first 5 are in flight however late a loaded machine starts the pool's threads.
    release = threading.Event()
    sandbox.faults.hold(release, path_contains="/Organisation")
    peak = {"value": 0}
    watching = threading.Event()

    def watch() -> None:
        while not watching.is_set():
            peak["value"] = max(
                peak["value"], sandbox.limits.in_flight(sandbox.app.client_id, sandbox.tenant_id)
            )
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with ThreadPoolExecutor(20) as pool:
        calls = [pool.submit(call, sandbox, token) for _ in range(20)]
        deadline = time.monotonic() + 20
        while sum(c.done() for c in calls) < 15 and time.monotonic() < deadline:
            time.sleep(0.01)
        release.set()
        answers = [c.result() for c in calls]
    watching.set()
    watcher.join()

    assert peak["value"] <= 5
    assert sum(a.status_code == 200 for a in answers) <= 5
    refused = [a for a in answers if a.status_code == 429]
    assert refused and {a.headers["X-Rate-Limit-Problem"] for a in refused} == {"concurrent"}


def test_clients_that_honour_retry_after_all_complete(xero_sandbox_factory):
    sandbox = limited(xero_sandbox_factory, concurrent=5, per_minute=20, minute_seconds=1)
    token = sandbox.connect()
    retries = {"count": 0}
    lock = threading.Lock()

    def polite_client(_: int) -> int:
        done = 0
        while done < 2:
            answer = call(sandbox, token)
            if answer.status_code == 429:
                with lock:
                    retries["count"] += 1
                time.sleep(int(answer.headers["Retry-After"]))
                continue
            assert answer.status_code == 200
            done += 1
        return done

    started = time.monotonic()
    with ThreadPoolExecutor(20) as pool:
        completed = sum(pool.map(polite_client, range(20)))
    elapsed = time.monotonic() - started

    assert completed == 40
    assert retries["count"] > 0
    assert elapsed >= 1.0  # 40 calls at 20 per window need a second window
    assert sandbox.request_log.count(status=200, endpoint="/Organisation") == 40


def test_injected_429_storm_and_500s(xero_sandbox, xero_accounting):
    xero_sandbox.faults.rate_limit_storm(times=4, retry_after=0)
    with pytest.raises(RateLimitException) as raised:
        xero_accounting.get_organisations(xero_sandbox.tenant_id)  # 1 call + urllib3's 3 retries, all refused
    assert raised.value.rate_limit == "minute"
    xero_sandbox.faults.rate_limit_storm(times=2, retry_after=0)
    assert xero_accounting.get_organisations(xero_sandbox.tenant_id).organisations  # third attempt succeeds
    xero_sandbox.faults.fail_with_server_error(times=1, path_contains="/Contacts")
    with pytest.raises(ApiException) as failed:
        xero_accounting.get_contacts(xero_sandbox.tenant_id)
    assert failed.value.status == 500
    assert xero_accounting.get_contacts(xero_sandbox.tenant_id).contacts == []
    assert xero_sandbox.request_log.count(endpoint="/Organisation", status=429) == 6


def test_injected_latency_slows_matching_calls(xero_sandbox, xero_accounting):
    xero_sandbox.faults.add_latency(0.25, times=1, path_contains="/Invoices")
    started = time.monotonic()
    xero_accounting.get_invoices(xero_sandbox.tenant_id)
    slow = time.monotonic() - started
    started = time.monotonic()
    xero_accounting.get_invoices(xero_sandbox.tenant_id)
    assert slow >= 0.25 > time.monotonic() - started


def test_revoked_connection_fault_gets_403(xero_sandbox, xero_accounting):
    xero_sandbox.revoke_connection()
    with pytest.raises(ApiException) as raised:
        xero_accounting.get_invoices(xero_sandbox.tenant_id)
    assert raised.value.status == 403
