"""Webhooks: intent to receive, signed batched payloads, retries, and drop/duplicate/reorder faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import time
from decimal import Decimal

import pytest
from xero_clients import FAST_DISPATCH, fast_settings
from xero_contract import contract_available, validate_webhook
from xero_python.accounting import Contact, Contacts

from integration.sandbox.common.webhook_dispatch import DispatchSettings


def independent_signature(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def wait_until(condition, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def subscribed(xero_sandbox, xero_token, xero_webhook_receiver):
    xero_webhook_receiver.key = "relance-signing-key-" + "k" * 40
    assert xero_sandbox.subscribe_webhooks(xero_webhook_receiver.url, xero_webhook_receiver.key)
    return xero_webhook_receiver


def test_intent_to_receive_enables_a_receiver_that_checks_signatures(xero_sandbox, subscribed):
    probes = [a for a in xero_sandbox.webhook_log() if a.outcome == "intent"]
    assert xero_sandbox.app.webhook.enabled
    assert [p.status for p in probes] == [200, 401, 200, 401]
    assert subscribed.rejected == 2
    assert all(json.loads(p.body)["events"] == [] for p in probes)


def test_intent_to_receive_fails_a_receiver_that_accepts_bad_signatures(
    xero_sandbox, xero_token, xero_webhook_receiver
):
    xero_webhook_receiver.key = "some-key"
    xero_webhook_receiver.accept_bad_signatures = True

    enabled = xero_sandbox.subscribe_webhooks(xero_webhook_receiver.url, xero_webhook_receiver.key)
    xero_sandbox.create_contact("Ignored Ltd")
    xero_sandbox.wait_for_webhooks()

    assert not enabled
    assert not xero_sandbox.app.webhook.enabled
    assert [d for d in xero_webhook_receiver.deliveries if d["payload"]["events"]] == []


def test_invoice_create_is_delivered_signed_with_xeros_payload(xero_sandbox, subscribed):
    contact = xero_sandbox.create_contact("Ironbark Roofing")
    invoice = xero_sandbox.create_invoice(contact.contact_id, Decimal("10"))
    assert wait_until(lambda: len(subscribed.events()) >= 2)

    delivery = subscribed.deliveries[-1]
    assert delivery["signature"] == independent_signature(subscribed.key, delivery["raw"])
    events = subscribed.events()
    invoice_event = next(e for e in events if e["eventCategory"] == "INVOICE")
    assert invoice_event == {
        "resourceUrl": f"{xero_sandbox.base_url}/api.xro/2.0/Invoices/{invoice.invoice_id}",
        "resourceId": invoice.invoice_id,
        "eventDateUtc": invoice_event["eventDateUtc"],
        "eventType": "CREATE",
        "eventCategory": "INVOICE",
        "tenantId": xero_sandbox.tenant_id,
        "tenantType": "ORGANISATION",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", invoice_event["eventDateUtc"])
    payload = delivery["payload"]
    assert payload["lastEventSequence"] - payload["firstEventSequence"] == len(payload["events"]) - 1
    assert payload["entropy"]
    if contract_available():
        assert [
            p for d in subscribed.deliveries if d["payload"]["events"] for p in validate_webhook(d["payload"])
        ] == []


def test_changes_within_the_window_arrive_as_one_batch(xero_sandbox_factory, xero_webhook_receiver):
    sandbox = xero_sandbox_factory(
        settings=fast_settings(dispatch=DispatchSettings(batch_window=0.3, retry_delays=(0.05,), timeout=2.0))
    )
    sandbox.connect()
    xero_webhook_receiver.key = "batch-key"
    assert sandbox.subscribe_webhooks(xero_webhook_receiver.url, xero_webhook_receiver.key)
    contact = sandbox.create_contact("Batch Co")
    for _ in range(4):
        sandbox.create_invoice(contact.contact_id, Decimal("5"))
    assert sandbox.wait_for_webhooks()

    batches = [d["payload"] for d in xero_webhook_receiver.deliveries if d["payload"]["events"]]
    assert len(batches) == 1
    assert len(batches[0]["events"]) == 5
    assert (batches[0]["firstEventSequence"], batches[0]["lastEventSequence"]) == (1, 5)


def test_payments_contacts_and_credit_notes_raise_their_events(xero_sandbox, xero_accounting, subscribed):
    contact = xero_accounting.create_contacts(
        xero_sandbox.tenant_id, Contacts(contacts=[Contact(name="Pacific Logistics")])
    ).contacts[0]
    invoice = xero_sandbox.create_invoice(str(contact.contact_id), Decimal("10"))
    xero_sandbox.wait_for_webhooks()
    xero_sandbox.pay_invoice(invoice.invoice_id)
    note = xero_sandbox.create_credit("CreditNote", str(contact.contact_id), Decimal("5"))
    assert xero_sandbox.wait_for_webhooks()

    kinds = [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in subscribed.events()]
    assert ("CONTACT", "CREATE", str(contact.contact_id)) in kinds
    assert ("INVOICE", "UPDATE", invoice.invoice_id) in kinds  # a payment shows as an invoice update
    credit_event = next(e for e in subscribed.events() if e["eventCategory"] == "CREDITNOTE")
    assert credit_event["resourceId"] == note.credit_id
    assert credit_event["data"] == {"Type": "ACCRECCREDIT", "Status": "AUTHORISED"}
    if contract_available():
        assert [
            p for d in subscribed.deliveries if d["payload"]["events"] for p in validate_webhook(d["payload"])
        ] == []


def test_failed_deliveries_are_retried_with_backoff(xero_sandbox, subscribed):
    subscribed.fail_next = 2
    xero_sandbox.create_contact("Retry Ltd")
    assert xero_sandbox.wait_for_webhooks()

    attempts = [a for a in xero_sandbox.webhook_log() if a.outcome != "intent"]
    assert [(a.attempt, a.outcome, a.status) for a in attempts] == [
        (1, "failed", 503),
        (2, "failed", 503),
        (3, "delivered", 200),
    ]
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(attempts)]
    assert gaps[1] > gaps[0]  # backoff grows
    assert len(subscribed.events()) == 1


def test_a_receiver_that_keeps_failing_is_given_up_on(xero_sandbox, subscribed):
    subscribed.fail_next = 100
    xero_sandbox.create_contact("Gone Ltd")
    assert xero_sandbox.wait_for_webhooks()
    outcomes = [a.outcome for a in xero_sandbox.webhook_log() if a.outcome != "intent"]
    assert outcomes == ["failed"] * len(FAST_DISPATCH.retry_delays) + ["gave_up"]
    assert not xero_sandbox.app.webhook.enabled  # disabled until saved again

    subscribed.fail_next = 0
    assert xero_sandbox.subscribe_webhooks(subscribed.url, subscribed.key)
    xero_sandbox.create_contact("Back Again Ltd")
    assert xero_sandbox.wait_for_webhooks()
    assert [xero_sandbox.books.contacts[e["resourceId"]].name for e in subscribed.events()] == [
        "Back Again Ltd"
    ]


def test_dropped_and_duplicated_deliveries(xero_sandbox, subscribed):
    xero_sandbox.faults.drop_webhooks(1)
    xero_sandbox.create_contact("Lost Ltd")
    assert xero_sandbox.wait_for_webhooks()
    xero_sandbox.faults.duplicate_webhooks(1)
    xero_sandbox.create_contact("Twice Ltd")
    assert xero_sandbox.wait_for_webhooks()

    event_names = [xero_sandbox.books.contacts[e["resourceId"]].name for e in subscribed.events()]
    assert event_names == ["Twice Ltd", "Twice Ltd"]
    assert [a.outcome for a in xero_sandbox.webhook_log() if a.outcome != "intent"] == [
        "dropped",
        "delivered",
        "duplicate",
    ]


def test_reordered_deliveries_arrive_out_of_sequence(xero_sandbox, subscribed):
    xero_sandbox.faults.reorder_webhooks(1)
    xero_sandbox.create_contact("First Ltd")
    time.sleep(0.15)  # past the batching window, so the second change makes its own delivery
    xero_sandbox.create_contact("Second Ltd")
    assert xero_sandbox.wait_for_webhooks()

    sequences = [d["payload"]["firstEventSequence"] for d in subscribed.deliveries if d["payload"]["events"]]
    assert sequences == [2, 1]


def test_delivery_never_happens_inside_the_api_request(xero_sandbox, xero_accounting, subscribed):
    gate = {"slow": True}
    original = subscribed.expected_signature

    def slow_signature(body: bytes) -> str:
        if gate["slow"] and json.loads(body)["events"]:
            time.sleep(0.5)
        return original(body)

    subscribed.expected_signature = slow_signature
    started = time.monotonic()
    xero_accounting.create_contacts(
        xero_sandbox.tenant_id, Contacts(contacts=[Contact(name="Quick Answer Ltd")])
    )
    assert time.monotonic() - started < 0.4
    assert xero_sandbox.wait_for_webhooks()
    assert len(subscribed.events()) == 1


def test_changes_in_an_organisation_not_connected_to_the_app_are_not_sent(
    xero_sandbox_factory, xero_webhook_receiver
):
    sandbox = xero_sandbox_factory(settings=fast_settings(extra_organisations=("Unconnected Co",)))
    sandbox.connect()  # connects only the primary organisation
    xero_webhook_receiver.key = "k"
    assert sandbox.subscribe_webhooks(xero_webhook_receiver.url, xero_webhook_receiver.key)
    other = list(sandbox.organisations)[1]
    sandbox.create_contact("Elsewhere Ltd", tenant_id=other)
    sandbox.create_contact("Here Ltd")
    assert sandbox.wait_for_webhooks()
    assert {e["tenantId"] for e in xero_webhook_receiver.events()} == {sandbox.tenant_id}
