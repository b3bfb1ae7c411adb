"""Webhook notifications: Intuit's two payload formats, the signature, batching, retries and faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
from quickbooks.objects.customer import Customer

pytest_plugins = ["qbo_fixtures"]  # the shared fixtures (see qbo_fixtures.py for why not conftest)

VERIFIER = "verifier-token-0f3c"


@pytest.fixture(autouse=True)
def connected_realms(qbo_sandbox):
    """Intuit only notifies about companies the app is connected to; connect both."""
    return [qbo_sandbox.connect(realm) for realm in qbo_sandbox.realm_ids]


def independent_signature(body: bytes, token: str = VERIFIER) -> str:
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def all_entities(qbo_receiver) -> list[dict]:
    found = []
    for body, _ in qbo_receiver.received:
        for notification in json.loads(body)["eventNotifications"]:
            found += [(notification["realmId"], e) for e in notification["dataChangeEvent"]["entities"]]
    return found


def test_classic_notification_is_signed_and_lists_the_change(qbo_sandbox, qbo_realm_id, qb, qbo_receiver):
    qbo_sandbox.subscribe_webhooks(qbo_receiver.url, VERIFIER)
    customer = Customer()
    customer.DisplayName = "Webhook Co"
    created = customer.save(qb=qb)

    assert qbo_sandbox.webhooks.wait_idle(5)
    body, headers = qbo_receiver.received[0]
    assert headers["Intuit-Signature"] == independent_signature(body)
    assert qb.validate_webhook_signature(body.decode(), headers["Intuit-Signature"], VERIFIER)
    payload = json.loads(body)
    notification = payload["eventNotifications"][0]
    assert notification["realmId"] == qbo_realm_id
    entity = notification["dataChangeEvent"]["entities"][0]
    assert {k: entity[k] for k in ("name", "id", "operation")} == {
        "name": "Customer",
        "id": created.Id,
        "operation": "Create",
    }
    assert entity["lastUpdated"].endswith("Z")


def test_a_wrong_verifier_does_not_match(qbo_sandbox, qbo_realm_id, qbo_receiver):
    qbo_sandbox.subscribe_webhooks(qbo_receiver.url, VERIFIER)
    qbo_sandbox.company(qbo_realm_id).create("Customer", {"DisplayName": "X"})
    qbo_sandbox.webhooks.wait_idle(5)
    body, headers = qbo_receiver.received[0]
    assert headers["Intuit-Signature"] != independent_signature(body, "another-token")


def test_changes_are_batched_per_realm_in_order(qbo_sandbox, qbo_receiver):
    qbo_sandbox.subscribe_webhooks(qbo_receiver.url, VERIFIER)
    first, second = (qbo_sandbox.company(realm) for realm in qbo_sandbox.realm_ids)
    customer = first.create("Customer", {"DisplayName": "Batched"})
    invoice = first.create(
        "Invoice", {"CustomerRef": {"value": customer.id}, "Line": [{"Amount": Decimal(5)}]}
    )
    first.void("Invoice", {"Id": invoice.id, "SyncToken": "0"})
    second.create("Customer", {"DisplayName": "Elsewhere"})

    assert qbo_sandbox.webhooks.wait_idle(5)
    assert len(qbo_receiver.received) == 1
    payload = json.loads(qbo_receiver.received[0][0])
    assert [n["realmId"] for n in payload["eventNotifications"]] == qbo_sandbox.realm_ids
    operations = [
        (e["name"], e["operation"]) for e in payload["eventNotifications"][0]["dataChangeEvent"]["entities"]
    ]
    assert operations == [("Customer", "Create"), ("Invoice", "Create"), ("Invoice", "Void")]


def test_payment_announces_the_invoice_it_settles(qbo_sandbox, qbo_realm_id, qbo_receiver):
    company = qbo_sandbox.company(qbo_realm_id)
    customer = company.create("Customer", {"DisplayName": "Payer"})
    invoice = qbo_sandbox.create_invoice(qbo_realm_id, customer.id, "40")
    qbo_sandbox.subscribe_webhooks(qbo_receiver.url, VERIFIER)
    payment = qbo_sandbox.record_payment(qbo_realm_id, invoice.id)
    company.delete("Payment", {"Id": payment.id, "SyncToken": "0"})
    qbo_sandbox.webhooks.wait_idle(5)
    changes = [(e["name"], e["id"], e["operation"]) for _, e in all_entities(qbo_receiver)]
    assert changes == [
        ("Payment", payment.id, "Create"),
        ("Invoice", invoice.id, "Update"),
        ("Payment", payment.id, "Delete"),
        ("Invoice", invoice.id, "Update"),
    ]


def test_merge_names_the_merged_away_customer(qbo_sandbox, qbo_realm_id, qbo_receiver):
    company = qbo_sandbox.company(qbo_realm_id)
    keep = company.create("Customer", {"DisplayName": "Keep"})
    gone = company.create("Customer", {"DisplayName": "Gone"})
    qbo_sandbox.subscribe_webhooks(qbo_receiver.url, VERIFIER)
    company.merge_customers(gone.id, keep.id)
    qbo_sandbox.webhooks.wait_idle(5)
    [(_, entity)] = all_entities(qbo_receiver)
    assert entity["operation"] == "Merge" and entity["id"] == keep.id and entity["deletedId"] == gone.id


def test_cloudevents_format_on_request(qbo_sandbox, qbo_realm_id, qbo_receiver):
    qbo_sandbox.subscribe_webhooks(qbo_receiver.url, VERIFIER, payload_format="cloudevents")
    customer = qbo_sandbox.company(qbo_realm_id).create("Customer", {"DisplayName": "Cloudy"})
    qbo_sandbox.webhooks.wait_idle(5)
    body, headers = qbo_receiver.received[0]
    assert headers["Intuit-Signature"] == independent_signature(body)
    [event] = json.loads(body)
    assert event["specversion"] == "1.0" and event["type"] == "qbo.customer.created.v1"
    assert event["intuitaccountid"] == qbo_realm_id and event["intuitentityid"] == customer.id
    assert event["source"].startswith("intuit.") and event["data"] == {} and event["time"].endswith("Z")


def test_failed_delivery_is_retried_and_logged(qbo_sandbox, qbo_realm_id, qbo_receiver):
    qbo_receiver.statuses = [500, 503]
    qbo_sandbox.subscribe_webhooks(qbo_receiver.url, VERIFIER)
    qbo_sandbox.company(qbo_realm_id).create("Customer", {"DisplayName": "Retry"})
    assert qbo_sandbox.webhooks.wait_idle(5)
    outcomes = [(a.attempt, a.status, a.outcome) for a in qbo_sandbox.webhooks.log()]
    assert outcomes == [(1, 500, "failed"), (2, 503, "failed"), (3, 200, "delivered")]
    bodies = {body for body, _ in qbo_receiver.received}
    assert len(bodies) == 1  # the same signed body each time


def test_delivery_never_happens_inside_the_api_request(qbo_sandbox, qb, qbo_receiver):
    qbo_receiver.delay = 1.0
    qbo_sandbox.subscribe_webhooks(qbo_receiver.url, VERIFIER)
    customer = Customer()
    customer.DisplayName = "Fast answer"
    began = time.monotonic()
    customer.save(qb=qb)
    assert time.monotonic() - began < 0.5
    assert qbo_sandbox.webhooks.wait_idle(5)
    assert len(qbo_receiver.received) == 1


def test_dropped_and_duplicated_deliveries(qbo_sandbox, qbo_realm_id, qbo_receiver):
    qbo_sandbox.subscribe_webhooks(qbo_receiver.url, VERIFIER)
    company = qbo_sandbox.company(qbo_realm_id)
    qbo_sandbox.faults.drop_webhooks(1)
    company.create("Customer", {"DisplayName": "Lost"})
    qbo_sandbox.webhooks.wait_idle(5)
    qbo_sandbox.faults.duplicate_webhooks(1)
    company.create("Customer", {"DisplayName": "Twice"})
    qbo_sandbox.webhooks.wait_idle(5)
    names = [
        json.loads(body)["eventNotifications"][0]["dataChangeEvent"]["entities"][0]["id"]
        for body, _ in qbo_receiver.received
    ]
    twice = company.live("Customer")[-1].id
    assert names == [twice, twice]
    assert [a.outcome for a in qbo_sandbox.webhooks.log()] == ["dropped", "delivered", "duplicate"]


def test_reordered_deliveries_arrive_swapped(qbo_sandbox, qbo_realm_id, qbo_receiver):
    qbo_sandbox.subscribe_webhooks(qbo_receiver.url, VERIFIER)
    company = qbo_sandbox.company(qbo_realm_id)
    qbo_sandbox.faults.reorder_webhooks(1)
    first = company.create("Customer", {"DisplayName": "First"})
    time.sleep(0.15)
    second = company.create("Customer", {"DisplayName": "Second"})
    qbo_sandbox.webhooks.wait_idle(5)
    ids = [e["id"] for _, e in all_entities(qbo_receiver)]
    assert ids == [second.id, first.id]


def test_a_disconnected_company_sends_nothing(qbo_sandbox, qbo_receiver):
    qbo_sandbox.subscribe_webhooks(qbo_receiver.url, VERIFIER)
    first, second = qbo_sandbox.realm_ids
    qbo_sandbox.revoke_connection(second)
    qbo_sandbox.company(second).create("Customer", {"DisplayName": "Silent"})
    qbo_sandbox.company(first).create("Customer", {"DisplayName": "Heard"})
    qbo_sandbox.webhooks.wait_idle(5)
    assert [realm for realm, _ in all_entities(qbo_receiver)] == [first]
