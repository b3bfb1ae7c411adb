"""Intuit's throttles under concurrent clients, and injected faults, as python-quickbooks sees them."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests
from qbo_clients import FAST_WEBHOOKS
from quickbooks.exceptions import QuickbooksException, SevereException
from quickbooks.objects.company_info import CompanyInfo

from integration.sandbox.quickbooks import QuickBooksSandbox, ThrottlePolicy

pytest_plugins = ["qbo_fixtures"]  # the shared fixtures (see qbo_fixtures.py for why not conftest)


def call(url: str, token: str) -> requests.Response:
    return requests.get(
        url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}, timeout=10
    )


def test_twenty_clients_never_get_more_than_the_minute_allows():
    policy = ThrottlePolicy(per_minute=50, concurrent=20, window_seconds=60)
    with QuickBooksSandbox(seed="empty", throttle=policy, dispatch=FAST_WEBHOOKS) as qbo_sandbox:
        qbo_connection = qbo_sandbox.connect()
        url = f"{qbo_sandbox.api_url_v3}/company/{qbo_connection.realm_id}/companyinfo/{qbo_connection.realm_id}"
        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(
                pool.map(lambda _: call(url, qbo_connection.access_token).status_code, range(100))
            )
    assert statuses.count(200) == 50
    assert statuses.count(429) == 50


def test_more_than_ten_at_once_are_refused():
    with QuickBooksSandbox(seed="empty", dispatch=FAST_WEBHOOKS) as qbo_sandbox:
        qbo_connection = qbo_sandbox.connect()
        # The admitted answers are held until the refusals are all back, so the overlap does not
        # depend on how fast a loaded machine starts 20 threads (a 0.4 s delay let 16 through).
        release = threading.Event()
        qbo_sandbox.faults.hold(release)
        url = f"{qbo_sandbox.api_url_v3}/company/{qbo_connection.realm_id}/companyinfo/{qbo_connection.realm_id}"

        with ThreadPoolExecutor(max_workers=20) as pool:
            calls = [pool.submit(call, url, qbo_connection.access_token) for _ in range(20)]
            refused = []
            deadline = time.monotonic() + 20
            while len(refused) < 10 and time.monotonic() < deadline:
                refused = [c for c in calls if c.done()]
                time.sleep(0.01)
            release.set()
            statuses = [c.result().status_code for c in calls]
    assert [c.result().status_code for c in refused] == [429] * 10
    assert statuses.count(200) == 10
    assert statuses.count(429) == 10


def test_throttled_answer_is_intuit_xml_and_python_quickbooks_cannot_read_it(qb, qbo_sandbox, qbo_connection):
    qbo_sandbox.faults.rate_limit_storm(times=2, retry_after=7)
    url = f"{qbo_sandbox.api_url_v3}/company/{qbo_connection.realm_id}/companyinfo/{qbo_connection.realm_id}"

    answer = call(url, qbo_connection.access_token)

    assert answer.status_code == 429
    assert answer.headers["Content-Type"].startswith("application/xml")
    assert '<Error code="3001">' in answer.text and "ThrottleExceeded" in answer.text
    assert answer.headers["Retry-After"] == "7"
    with pytest.raises(QuickbooksException) as raised:
        CompanyInfo.get(qbo_connection.realm_id, qb=qb)
    assert raised.value.error_code == 10000 and "ThrottleExceeded" in raised.value.message


def test_clients_that_back_off_all_complete():
    policy = ThrottlePolicy(per_minute=30, window_seconds=0.5)
    with QuickBooksSandbox(seed="empty", throttle=policy, dispatch=FAST_WEBHOOKS) as qbo_sandbox:
        qbo_connection = qbo_sandbox.connect()
        url = f"{qbo_sandbox.api_url_v3}/company/{qbo_connection.realm_id}/companyinfo/{qbo_connection.realm_id}"
        refusals = []

        def patient_client(_: int) -> int:
            done = 0
            while done < 5:
                answer = call(url, qbo_connection.access_token)
                if answer.status_code == 429:
                    refusals.append(1)
                    time.sleep(0.1)
                    continue
                assert answer.status_code == 200
                done += 1
            return done

        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=20) as pool:
            completed = list(pool.map(patient_client, range(20)))
        elapsed = time.monotonic() - began
    assert completed == [5] * 20
    assert refusals
    assert elapsed >= 3 * 0.5  # 100 calls at 30 per half second need at least four windows


def test_batch_calls_have_their_own_minute_limit():
    with QuickBooksSandbox(
        seed="empty", throttle=ThrottlePolicy(batch_per_minute=2), dispatch=FAST_WEBHOOKS
    ) as qbo_sandbox:
        qbo_connection = qbo_sandbox.connect()
        url = f"{qbo_sandbox.api_url_v3}/company/{qbo_connection.realm_id}/batch"
        body = {"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM Customer"}]}
        headers = {"Authorization": f"Bearer {qbo_connection.access_token}"}
        statuses = [requests.post(url, json=body, headers=headers, timeout=5).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert (
            call(
                f"{qbo_sandbox.api_url_v3}/company/{qbo_connection.realm_id}/preferences",
                qbo_connection.access_token,
            ).status_code
            == 200
        )


def test_limits_are_per_realm():
    with QuickBooksSandbox(
        seed="empty", throttle=ThrottlePolicy(per_minute=2), dispatch=FAST_WEBHOOKS
    ) as qbo_sandbox:
        first, second = (qbo_sandbox.connect(realm) for realm in qbo_sandbox.realm_ids)
        for qbo_connection, expected in ((first, [200, 200, 429]), (second, [200, 200, 429])):
            url = f"{qbo_sandbox.api_url_v3}/company/{qbo_connection.realm_id}/preferences"
            assert [call(url, qbo_connection.access_token).status_code for _ in range(3)] == expected


def test_injected_server_error_is_a_severe_exception(qb, qbo_sandbox, qbo_connection):
    qbo_sandbox.faults.fail_with_server_error(times=1)
    with pytest.raises(SevereException) as raised:
        CompanyInfo.get(qbo_connection.realm_id, qb=qb)
    assert raised.value.error_code == 10000
    assert CompanyInfo.get(qbo_connection.realm_id, qb=qb).Id == qbo_connection.realm_id


def test_injected_latency_slows_only_matching_paths(qb, qbo_sandbox, qbo_connection):
    qbo_sandbox.faults.add_latency(0.3, times=1, path_contains="/companyinfo/")
    began = time.monotonic()
    CompanyInfo.get(qbo_connection.realm_id, qb=qb)
    assert time.monotonic() - began >= 0.3
    began = time.monotonic()
    CompanyInfo.get(qbo_connection.realm_id, qb=qb)
    assert time.monotonic() - began < 0.3


def test_twenty_concurrent_writers_keep_ids_numbers_and_balances_consistent(qbo_sandbox, qbo_connection):
    company = qbo_sandbox.company(qbo_connection.realm_id)
    customer = company.create("Customer", {"DisplayName": "Busy"}).id
    url = f"{qbo_sandbox.api_url_v3}/company/{qbo_connection.realm_id}"
    headers = {"Authorization": f"Bearer {qbo_connection.access_token}"}

    def writer(number: int) -> int:
        refused = 0
        for _ in range(3):
            while True:
                invoice = requests.post(
                    f"{url}/invoice",
                    headers=headers,
                    timeout=10,
                    json={"CustomerRef": {"value": customer}, "Line": [{"Amount": 10 + number}]},
                )
                if invoice.status_code != 429:
                    break
                refused += 1
                time.sleep(0.02)
            assert invoice.status_code == 200
            invoice_id = invoice.json()["Invoice"]["Id"]
            while True:
                payment = requests.post(
                    f"{url}/payment",
                    headers=headers,
                    timeout=10,
                    json={
                        "CustomerRef": {"value": customer},
                        "TotalAmt": 4,
                        "Line": [{"Amount": 4, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}],
                    },
                )
                if payment.status_code != 429:
                    break
                refused += 1
                time.sleep(0.02)
            assert payment.status_code == 200
        return refused

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(writer, range(20)))

    invoices = company.live("Invoice")
    assert len(invoices) == 60
    assert len({i.body["DocNumber"] for i in invoices}) == 60
    assert all(i.body["Balance"] == i.body["TotalAmt"] - 4 for i in invoices)
    expected = sum((i.body["Balance"] for i in invoices), Decimal(0))
    assert company.get("Customer", customer).body["Balance"] == expected


def test_the_batch_limit_is_forty_a_minute_by_default():
    assert ThrottlePolicy().batch_per_minute == 40
    with QuickBooksSandbox(seed="empty", dispatch=FAST_WEBHOOKS) as qbo_sandbox:
        qbo_connection = qbo_sandbox.connect()
        url = f"{qbo_sandbox.api_url_v3}/company/{qbo_connection.realm_id}/batch"
        body = {"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM Customer"}]}
        headers = {"Authorization": f"Bearer {qbo_connection.access_token}"}
        with requests.Session() as http:
            statuses = [http.post(url, json=body, headers=headers, timeout=5).status_code for _ in range(41)]
    assert statuses == [200] * 40 + [429]
