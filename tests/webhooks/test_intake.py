"""Webhook intake: signed deliveries stored exactly once before the 200; bad ones refused
with a reason; nothing lost. Signatures are computed here independently of Relance's code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from integration.sandbox.common.server import SandboxServer
from runtime import jobs
from runtime.settings import reload_settings
from sync.jobs import sync_from_inbox
from sync.models import InboxEvent
from tests.integration.ledgers import running_xero, xero_consent
from web import create_app

XERO_KEY = "xero-webhook-key-for-tests"
INTUIT_VERIFIER = "intuit-verifier-for-tests"
TENANT = "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f"


def sign(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def xero_body(*events: dict, sequence: int = 1) -> bytes:
    return json.dumps(
        {
            "events": list(events),
            "firstEventSequence": sequence,
            "lastEventSequence": sequence,
            "entropy": "XYZ",
        }
    ).encode()


def xero_event(resource_id: str, category: str = "INVOICE", when: str = "2026-11-20T01:15:39.902") -> dict:
    return {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{resource_id}",
        "resourceId": resource_id,
        "eventDateUtc": when,
        "eventType": "UPDATE",
        "eventCategory": category,
        "tenantId": TENANT,
        "tenantType": "ORGANISATION",
    }


@pytest.fixture
def relance(monkeypatch, session, redis_client):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XERO_WEBHOOK_KEY", XERO_KEY)
    monkeypatch.setenv("QUICKBOOKS_WEBHOOK_VERIFIER", INTUIT_VERIFIER)
    app = create_app(reload_settings())
    return app.test_client()


def post_xero(relance, body: bytes, key: str = XERO_KEY):  # type: ignore[no-untyped-def]
    return relance.post("/webhooks/xero", data=body, headers={"x-xero-signature": sign(key, body)})


def stored(session) -> list[InboxEvent]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.scalars(select(InboxEvent).order_by(InboxEvent.id)))


def test_a_signed_xero_delivery_is_stored_then_acknowledged_with_an_empty_200(relance, session) -> None:
    body = xero_body(xero_event("0a1b"), xero_event("77ff", category="CONTACT"))

    answer = post_xero(relance, body)

    assert answer.status_code == 200 and answer.data == b""
    assert "Set-Cookie" not in answer.headers  # Xero wants no body and no cookies
    events = stored(session)
    assert [(e.resource_type, e.resource_id, e.operation) for e in events] == [
        ("invoice", "0a1b", "update"),
        ("contact", "77ff", "update"),
    ]
    assert events[0].payload["resourceUrl"].endswith("/Invoices/0a1b")
    assert events[0].event_at.isoformat() == "2026-11-20T01:15:39.902000+00:00"


def test_the_same_delivery_twice_or_replayed_changes_nothing(relance, session) -> None:
    first = xero_body(xero_event("0a1b"), sequence=1)
    replay = xero_body(xero_event("0a1b"), sequence=2)  # the same event in a later delivery

    for body in (first, first, replay):
        assert post_xero(relance, body).status_code == 200

    assert len(stored(session)) == 1


def test_one_sync_is_queued_per_tenant_however_many_events_arrive(relance, session) -> None:
    post_xero(relance, xero_body(xero_event("a1"), xero_event("a2")))
    post_xero(relance, xero_body(xero_event("a3")))

    queued = jobs.queue("sync").jobs
    assert [(job.func_name, job.args) for job in queued] == [("sync.jobs.sync_from_inbox", ("xero", TENANT))]


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", sign("another-key", b"{}")])
def test_a_bad_signature_is_refused_and_nothing_is_stored(relance, session, signature: str) -> None:
    body = xero_body(xero_event("0a1b"))

    answer = relance.post("/webhooks/xero", data=body, headers={"x-xero-signature": signature})

    assert answer.status_code == 401
    assert stored(session) == []


def test_xero_intent_to_receive(relance, session) -> None:
    probe = json.dumps(
        {"events": [], "lastEventSequence": 0, "firstEventSequence": 0, "entropy": "S0m3"}
    ).encode()

    good = post_xero(relance, probe)
    bad = relance.post("/webhooks/xero", data=probe, headers={"x-xero-signature": sign("wrong", probe)})

    assert (good.status_code, good.data) == (200, b"")
    assert bad.status_code == 401


def test_the_intent_probes_wrong_signature_is_expected_and_no_warning(relance, session, capsys) -> None:
    probe = json.dumps(
        {"events": [], "lastEventSequence": 0, "firstEventSequence": 0, "entropy": "S0m3"}
    ).encode()
    forged = xero_body(xero_event("0a1b"))

    relance.post("/webhooks/xero", data=probe, headers={"x-xero-signature": sign("wrong", probe)})
    relance.post("/webhooks/xero", data=forged, headers={"x-xero-signature": sign("wrong", forged)})

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    refusals = [(line["event"], line["level"]) for line in lines if line["event"].startswith("webhook.")]
    assert refusals == [("webhook.intent_probe_refused", "info"), ("webhook.bad_signature", "warning")]


def test_a_signed_but_unreadable_body_gets_a_reason_and_is_kept(relance, session) -> None:
    for body in (b"{not json", b'{"events": [{"eventCategory": "INVOICE"}]}'):
        answer = post_xero(relance, body)
        assert answer.status_code == 400
        assert b"unreadable xero webhook payload" in answer.data
    post_xero(relance, b"{not json")  # delivered again: still one row

    kept = stored(session)
    assert [e.status for e in kept] == ["malformed", "malformed"]
    assert kept[0].payload["body"] == "{not json"
    assert "lacks tenantId" in kept[1].payload["problem"]


def test_database_down_means_5xx_so_the_ledger_delivers_again(monkeypatch, redis_client) -> None:
    monkeypatch.setenv("XERO_WEBHOOK_KEY", XERO_KEY)
    monkeypatch.setenv("DATABASE_URL", "postgresql://relance@127.0.0.1:1/gone")
    relance = create_app(reload_settings()).test_client()

    answer = post_xero(relance, xero_body(xero_event("0a1b")))

    assert answer.status_code == 503


def test_quickbooks_classic_and_cloudevents_deliveries(relance, session) -> None:
    classic = json.dumps(
        {
            "eventNotifications": [
                {
                    "realmId": "9130355",
                    "dataChangeEvent": {
                        "entities": [
                            {
                                "name": "Invoice",
                                "id": "130",
                                "operation": "Update",
                                "lastUpdated": "2026-11-20T14:42:19-0700",
                            },
                            {
                                "name": "Vendor",
                                "id": "7",
                                "operation": "Create",
                                "lastUpdated": "2026-11-20T14:42:19-0700",
                            },
                        ]
                    },
                }
            ]
        }
    ).encode()
    cloud = json.dumps(
        [
            {
                "specversion": "1.0",
                "id": "88cd52aa-33b6-4351-9aa4-47572edbd068",
                "source": "intuit.abc",
                "type": "qbo.payment.created.v1",
                "datacontenttype": "application/json",
                "time": "2026-11-20T21:31:25.179851Z",
                "intuitentityid": "1234",
                "intuitaccountid": "9130355",
                "data": {},
            }
        ]
    ).encode()

    for body in (classic, cloud):
        answer = relance.post(
            "/webhooks/quickbooks", data=body, headers={"intuit-signature": sign(INTUIT_VERIFIER, body)}
        )
        assert answer.status_code == 200

    events = stored(session)
    assert [(e.resource_type, e.resource_id, e.operation, e.status) for e in events] == [
        ("invoice", "130", "update", "pending"),
        ("vendor", "7", "create", "ignored"),  # kept, but Relance does not mirror vendors
        ("payment", "1234", "create", "pending"),
    ]
    assert events[0].event_at.isoformat() == "2026-11-20T21:42:19+00:00"


def test_events_of_an_unknown_tenant_are_kept_and_ignored(relance, session) -> None:
    post_xero(relance, xero_body(xero_event("0a1b")))

    assert sync_from_inbox("xero", TENANT) == 1

    assert [e.status for e in stored(session)] == ["ignored"]


def test_the_xero_sandbox_delivers_to_relance_over_http(monkeypatch, session, redis_client) -> None:
    with running_xero() as xero:
        monkeypatch.setenv("XERO_WEBHOOK_KEY", XERO_KEY)
        app = create_app(reload_settings())
        with SandboxServer(app) as relance_server:
            connection = xero_consent(session, xero)[0]
            assert xero.subscribe_webhooks(f"{relance_server.base_url}/webhooks/xero", XERO_KEY)
            customer = xero.create_contact("Harbour Cafe Ltd")
            invoice = xero.create_invoice(customer.contact_id, Decimal("120.00"))
            assert xero.wait_for_webhooks(10)

    events = stored(session)
    assert {(e.resource_type, e.resource_id) for e in events} >= {
        ("contact", customer.contact_id),
        ("invoice", invoice.invoice_id),
    }
    assert {e.tenant_id for e in events} == {connection.tenant_id}
    assert (
        session.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.status == "malformed"))
        == 0
    )
