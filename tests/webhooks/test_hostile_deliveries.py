"""Correctly signed but hostile deliveries: each is answered 200 or 400 (never a 5xx the ledger
would retry for a day), and a delivery that cannot be read is kept as one "malformed" row. Bodies
are signed with the real keys and posted as raw bytes, on SQLite here and PostgreSQL in CI (which
refuses NUL and lone surrogates in text and JSONB)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from sqlalchemy import select

from runtime.settings import reload_settings
from sync.models import InboxEvent
from web import create_app
from webhooks.intake import WEBHOOK_MAX_BYTES

XERO_KEY = "xero-webhook-key-for-tests"
INTUIT_VERIFIER = "intuit-verifier-for-tests"
TENANT = "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f"
REALM = "9130355"


def sign(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def xero_event(**fields: object) -> dict:
    return {
        "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/0a1b",
        "resourceId": "0a1b",
        "eventDateUtc": "2026-11-20T01:15:39.902",
        "eventType": "UPDATE",
        "eventCategory": "INVOICE",
        "tenantId": TENANT,
        "tenantType": "ORGANISATION",
        **fields,
    }


def xero_body(*events: dict, **fields: object) -> bytes:
    document = {"events": list(events), "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "XYZ"}
    return json.dumps({**document, **fields}).encode()


def classic_entity(**fields: object) -> dict:
    return {
        "name": "Invoice",
        "id": "130",
        "operation": "Update",
        "lastUpdated": "2026-11-20T14:42:19-0700",
        **fields,
    }


def classic_body(*entities: dict, realm: object = REALM, change: object = None) -> bytes:
    change = {"entities": list(entities)} if change is None else change
    return json.dumps({"eventNotifications": [{"realmId": realm, "dataChangeEvent": change}]}).encode()


def cloud_event(number: int = 1, **fields: object) -> dict:
    return {
        "specversion": "1.0",
        "id": f"88cd52aa-33b6-4351-9aa4-{number:012d}",
        "source": "intuit.abc",
        "type": "qbo.invoice.updated.v1",
        "datacontenttype": "application/json",
        "time": "2026-11-20T21:31:25.179851Z",
        "intuitentityid": str(number),
        "intuitaccountid": REALM,
        "data": {},
        **fields,
    }


def cloud_body(*events: dict) -> bytes:
    return json.dumps(list(events)).encode()


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.fixture
def relance(monkeypatch, session, redis_client):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XERO_WEBHOOK_KEY", XERO_KEY)
    monkeypatch.setenv("QUICKBOOKS_WEBHOOK_VERIFIER", INTUIT_VERIFIER)
    return create_app(reload_settings()).test_client()


def deliver(relance, provider: str, body: bytes):  # type: ignore[no-untyped-def]
    if provider == "xero":
        return relance.post("/webhooks/xero", data=body, headers={"x-xero-signature": sign(XERO_KEY, body)})
    return relance.post(
        "/webhooks/quickbooks", data=body, headers={"intuit-signature": sign(INTUIT_VERIFIER, body)}
    )


def kept(session) -> list[InboxEvent]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.scalars(select(InboxEvent).order_by(InboxEvent.id)))


UNREADABLE = {
    "xero: a resourceId of 65 characters": ("xero", xero_body(xero_event(resourceId="a" * 65))),
    "xero: a tenantId of 300 characters": ("xero", xero_body(xero_event(tenantId="t" * 300))),
    "xero: an eventType past its column": ("xero", xero_body(xero_event(eventType="U" * 17))),
    "xero: an eventCategory past its column": ("xero", xero_body(xero_event(eventCategory="C" * 40))),
    "xero: a NUL in the resourceId": ("xero", xero_body(xero_event(resourceId="0a\u00001b"))),
    "xero: a NUL in a field Relance does not read": ("xero", xero_body(xero_event(note="\u0000"))),
    "xero: a raw NUL byte in the body": ("xero", xero_body(xero_event()).replace(b"XYZ", b"X\x00Z")),
    "xero: NaN": ("xero", xero_body(xero_event(), firstEventSequence=float("nan"))),
    "xero: Infinity": ("xero", xero_body(xero_event(), lastEventSequence=float("inf"))),
    "xero: a number past a float": ("xero", xero_body(xero_event()).replace(b'"XYZ"', b"1e999999")),
    "xero: a 5,000-digit integer": ("xero", xero_body(xero_event()).replace(b'"XYZ"', b"9" * 5000)),
    "xero: a 5,000-digit resourceId": ("xero", xero_body(xero_event()).replace(b'"0a1b"', b"9" * 5000)),
    "xero: nesting 100,000 deep": ("xero", xero_body(xero_event()).replace(b'"XYZ"', nested(100_000))),
    "xero: nesting 200 deep": ("xero", xero_body(xero_event()).replace(b'"XYZ"', nested(200))),
    "xero: a lone surrogate in the resourceId": ("xero", xero_body(xero_event(resourceId="\ud800"))),
    "xero: a lone surrogate as a key": ("xero", xero_body(xero_event(**{"\udfff": 1}))),
    "xero: a lone surrogate as raw bytes": ("xero", xero_body(xero_event()).replace(b"XYZ", b"\xed\xa0\x80")),
    "xero: a tenantId that is an object": ("xero", xero_body(xero_event(tenantId={"id": TENANT}))),
    "xero: a resourceId that is true": ("xero", xero_body(xero_event(resourceId=True))),
    "xero: events that is an object": ("xero", json.dumps({"events": {"0": xero_event()}}).encode()),
    "xero: an event that is a string": ("xero", xero_body("INVOICE")),  # type: ignore[arg-type]
    "quickbooks: dataChangeEvent a string": ("quickbooks", classic_body(change="entities")),
    "quickbooks: dataChangeEvent a list": ("quickbooks", classic_body(change=[classic_entity()])),
    "quickbooks: dataChangeEvent a number": ("quickbooks", classic_body(change=5)),
    "quickbooks: entities an object": ("quickbooks", classic_body(change={"entities": classic_entity()})),
    "quickbooks: a realmId of 65 characters": ("quickbooks", classic_body(classic_entity(), realm="9" * 65)),
    "quickbooks: a NUL in the realmId": ("quickbooks", classic_body(classic_entity(), realm="91\u000030")),
    "quickbooks: a realmId that is a list": ("quickbooks", classic_body(classic_entity(), realm=[REALM])),
    "quickbooks: an entity id of 5,000 digits": (
        "quickbooks",
        classic_body(classic_entity()).replace(b'"130"', b"1" * 5000),
    ),
    "quickbooks: an entity name past its column": ("quickbooks", classic_body(classic_entity(name="N" * 33))),
    "quickbooks: an operation past its column": (
        "quickbooks",
        classic_body(classic_entity(operation="O" * 17)),
    ),
    "quickbooks: a CloudEvent id of 200 characters": ("quickbooks", cloud_body(cloud_event(id="i" * 200))),
    "quickbooks: a CloudEvent type past the columns": (
        "quickbooks",
        cloud_body(cloud_event(type=f"qbo.{'x' * 40}.created.v1")),
    ),
    "quickbooks: a CloudEvent account of lone surrogates": (
        "quickbooks",
        cloud_body(cloud_event(intuitaccountid="\ud83d")),
    ),
    "quickbooks: a CloudEvent with NaN data": (
        "quickbooks",
        cloud_body(cloud_event(data={"x": float("nan")})),
    ),
    "quickbooks: a CloudEvent that is a number": ("quickbooks", b"[1]"),
}


@pytest.mark.parametrize("provider, body", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_a_hostile_signed_delivery_gets_400_and_is_kept_once(
    relance, session, provider: str, body: bytes
) -> None:
    answers = [deliver(relance, provider, body) for _ in range(2)]  # and when the ledger retries

    assert [answer.status_code for answer in answers] == [400, 400]
    assert answers[0].data.startswith(f"unreadable {provider} webhook payload".encode())
    rows = kept(session)
    assert [(row.provider, row.status) for row in rows] == [(provider, "malformed")]
    assert "\x00" not in rows[0].payload["body"]
    assert len(rows[0].payload["body"]) <= 100_000


OVERFLOWING_TIMES = {
    "xero: the last moment of 9999 (no offset)": (
        "xero",
        xero_body(xero_event(eventDateUtc="9999-12-31T23:59:59.999")),
    ),
    "xero: past datetime.max in UTC": (
        "xero",
        xero_body(xero_event(eventDateUtc="9999-12-31T23:59:59-01:00")),
    ),
    "xero: before datetime.min in UTC": (
        "xero",
        xero_body(xero_event(eventDateUtc="0001-01-01T00:00:00+14:00")),
    ),
    "xero: a year of 5 digits": ("xero", xero_body(xero_event(eventDateUtc="99999-01-01T00:00:00"))),
    "xero: a number of seconds": ("xero", xero_body(xero_event(eventDateUtc=10**18))),
    "quickbooks: classic, past datetime.max in UTC": (
        "quickbooks",
        classic_body(classic_entity(lastUpdated="9999-12-31T23:59:59-0700")),
    ),
    "quickbooks: CloudEvents, past datetime.max in UTC": (
        "quickbooks",
        cloud_body(cloud_event(time="9999-12-31T23:59:59.999999-12:00")),
    ),
}


@pytest.mark.parametrize("provider, body", OVERFLOWING_TIMES.values(), ids=OVERFLOWING_TIMES.keys())
def test_a_timestamp_that_overflows_is_stored_without_a_time(
    relance, session, provider: str, body: bytes
) -> None:
    answer = deliver(relance, provider, body)

    assert answer.status_code == 200
    [row] = kept(session)
    assert row.status == "pending" and row.resource_type == "invoice"
    assert row.event_at is None or row.event_at.year == 9999  # what the ledger said, or nothing


def test_ten_thousand_events_in_one_delivery_are_all_stored(relance, session) -> None:
    body = cloud_body(*(cloud_event(number) for number in range(10_000)))

    answer = deliver(relance, "quickbooks", body)

    assert answer.status_code == 200
    assert len(kept(session)) == 10_000
    assert deliver(relance, "quickbooks", body).status_code == 200  # delivered again: nothing new
    assert len(kept(session)) == 10_000


def test_a_body_past_the_limit_gets_413_and_is_not_read(relance, session) -> None:
    body = xero_body(xero_event(), entropy="x" * WEBHOOK_MAX_BYTES)

    answer = deliver(relance, "xero", body)

    assert answer.status_code == 413
    assert kept(session) == []
