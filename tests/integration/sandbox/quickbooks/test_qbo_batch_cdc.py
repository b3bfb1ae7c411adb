"""The batch endpoint and change data capture, through python-quickbooks' own helpers."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from qbo_clients import quickbooks_client
from quickbooks.batch import batch_create, batch_delete
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment

from integration.sandbox.quickbooks.wire import format_timestamp

pytest_plugins = ["qbo_fixtures"]  # the shared fixtures (see qbo_fixtures.py for why not conftest)


def new_customers(count: int) -> list[Customer]:
    customers = []
    for number in range(count):
        customer = Customer()
        customer.DisplayName = f"Batch customer {number}"
        customers.append(customer)
    return customers


def test_batch_create_of_forty_customers_takes_two_calls(qb, qbo_sandbox, qbo_realm_id):
    answer = batch_create(new_customers(40), qb=qb)

    assert len(answer.successes) == 40 and not answer.faults
    assert sorted(c.DisplayName for c in answer.successes) == sorted(f"Batch customer {n}" for n in range(40))
    assert qbo_sandbox.request_log.count(tenant=qbo_realm_id, endpoint="/v3/company/{realmId}/batch") == 2
    assert Customer.count(qb=qb) == 40


def test_batch_items_fail_on_their_own(qb):
    first = batch_create(new_customers(1), qb=qb).successes[0]
    duplicate = Customer()
    duplicate.DisplayName = first.DisplayName
    fresh = Customer()
    fresh.DisplayName = "Someone new"

    answer = batch_create([duplicate, fresh], qb=qb)

    assert [c.DisplayName for c in answer.successes] == ["Someone new"]
    assert len(answer.faults) == 1 and answer.faults[0].Error[0].code == "6240"


def test_batch_mixes_queries_and_writes(qb, qbo_api, qbo_sandbox, qbo_realm_id):
    customer = qbo_sandbox.company(qbo_realm_id).create("Customer", {"DisplayName": "Mixed"})
    invoice = qbo_sandbox.create_invoice(qbo_realm_id, customer.id, "12.00")
    body = {
        "BatchItemRequest": [
            {"bId": "q1", "Query": "SELECT * FROM Invoice"},
            {
                "bId": "u1",
                "operation": "update",
                "Invoice": {"Id": invoice.id, "SyncToken": "0", "sparse": True, "PrivateNote": "batched"},
            },
            {
                "bId": "u2",
                "operation": "update",
                "Invoice": {"Id": invoice.id, "SyncToken": "0", "sparse": True, "PrivateNote": "stale"},
            },
            {"bId": "q2", "Query": "SELECT * FROM Invoice WHERE"},
        ]
    }
    answer = qbo_api.post(f"{qbo_api.company_url}/batch", json=body, params={"minorversion": 75}).json()

    items = {item["bId"]: item for item in answer["BatchItemResponse"]}
    assert items["q1"]["QueryResponse"]["Invoice"][0]["Id"] == invoice.id
    assert items["u1"]["Invoice"]["PrivateNote"] == "batched"
    assert items["u2"]["Fault"]["Error"][0]["code"] == "5010"
    assert items["q2"]["Fault"]["Error"][0]["code"] == "4000"
    assert "time" in answer


def test_more_than_thirty_items_is_refused_whole(qb, qbo_api):
    body = {"BatchItemRequest": [{"bId": str(n), "Query": "SELECT * FROM Customer"} for n in range(31)]}
    answer = qbo_api.post(f"{qbo_api.company_url}/batch", json=body)
    assert answer.status_code == 400
    fault = answer.json()["Fault"]
    assert fault["type"] == "ValidationFault" and fault["Error"][0]["element"] == "BatchItemRequest"
    with pytest.raises(ValidationException):
        qb.batch_operation(__import__("json").dumps(body))


def test_batch_delete(qb, qbo_sandbox, qbo_realm_id):
    customer = qbo_sandbox.company(qbo_realm_id).create("Customer", {"DisplayName": "Deletes"})
    invoices = [
        Invoice.get(qbo_sandbox.create_invoice(qbo_realm_id, customer.id, "5").id, qb=qb) for _ in range(3)
    ]
    answer = batch_delete(invoices, qb=qb)
    assert not answer.faults
    assert Invoice.count(qb=qb) == 0


def test_cdc_returns_changes_and_deletions_since_a_time(qb, qbo_sandbox, qbo_realm_id):
    company = qbo_sandbox.company(qbo_realm_id)
    customer = company.create("Customer", {"DisplayName": "Before"})
    old = qbo_sandbox.create_invoice(qbo_realm_id, customer.id, "10")
    gone = qbo_sandbox.create_invoice(qbo_realm_id, customer.id, "11")
    qbo_sandbox.clock.advance(timedelta(minutes=10))
    since = qbo_sandbox.clock.now()
    qbo_sandbox.clock.advance(1)
    fresh = qbo_sandbox.create_invoice(qbo_realm_id, customer.id, "12")
    payment = qbo_sandbox.record_payment(qbo_realm_id, old.id, "4")
    company.delete("Invoice", {"Id": gone.id, "SyncToken": str(gone.sync_token)})

    answer = change_data_capture([Invoice, Payment, Customer], format_timestamp(since), qb=qb)

    invoices = {i.Id: i for i in answer.Invoice}
    assert set(invoices) == {fresh.id, old.id, gone.id}
    assert invoices[gone.id].status == "Deleted"
    assert Decimal(str(invoices[old.id].Balance)) == Decimal("6.00")
    assert [p.Id for p in answer.Payment] == [payment.id]
    assert not hasattr(answer, "Customer")


def test_cdc_accepts_python_quickbooks_naive_datetime(qb, qbo_sandbox, qbo_realm_id):
    company = qbo_sandbox.company(qbo_realm_id)
    company.create("Customer", {"DisplayName": "Naive"})
    since = qbo_sandbox.clock.now().astimezone(company.zone).replace(tzinfo=None) - timedelta(minutes=1)
    answer = change_data_capture([Customer], since, qb=qb)
    assert [c.DisplayName for c in answer.Customer] == ["Naive"]


def test_cdc_look_back_is_thirty_days(qb, qbo_sandbox):
    too_old = format_timestamp(qbo_sandbox.clock.now() - timedelta(days=31))
    with pytest.raises(ValidationException) as refused:
        change_data_capture([Invoice], too_old, qb=qb)
    assert "30 days" in refused.value.detail


def test_cdc_answers_at_most_a_thousand_objects(qb, qbo_sandbox, qbo_realm_id):
    company = qbo_sandbox.company(qbo_realm_id)
    since = format_timestamp(qbo_sandbox.clock.now() - timedelta(minutes=1))
    for number in range(1005):
        company.create("Customer", {"DisplayName": f"C{number}"}, announce=False)
    answer = change_data_capture([Customer], since, qb=qb)
    assert len(answer.Customer) == 1000


def test_cdc_without_entities_is_a_fault(qbo_api):
    answer = qbo_api.get(f"{qbo_api.company_url}/cdc", params={"changedSince": "2026-01-01"})
    assert answer.status_code == 400 and "Fault" in answer.json()
    assert isinstance(QuickbooksException, type)


def test_three_thousand_invoices_in_one_batch_of_thousand_row_queries():
    """The peers' lower bound (peers.md): an initial sync of the demo company costs one call."""
    from integration.sandbox.quickbooks import QuickBooksSandbox

    with QuickBooksSandbox(seed="demo") as demo:
        connection = demo.connect()
        qb = quickbooks_client(demo, connection)
        items = [
            {
                "bId": f"page{n}",
                "Query": f"SELECT * FROM Invoice STARTPOSITION {1 + 1000 * n} MAXRESULTS 1000",
            }
            for n in range(3)
        ]
        answer = qb.batch_operation(json.dumps({"BatchItemRequest": items}))
        ids = [i["Id"] for item in answer["BatchItemResponse"] for i in item["QueryResponse"]["Invoice"]]
        assert len(ids) == len(set(ids)) == 3000
        assert demo.request_log.count(tenant=connection.realm_id) == 1


def test_old_minor_versions_are_served_as_75(qbo_api):
    answer = qbo_api.get(f"{qbo_api.company_url}/preferences", params={"minorversion": 4})
    assert answer.status_code == 200 and "Preferences" in answer.json()
