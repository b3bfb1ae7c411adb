"""Reading each ledger's webhook payloads into inbox events.

Xero (xero-webhooks.yaml; xero-details.md §7.1): ``{"events": [...], "firstEventSequence",
"lastEventSequence", "entropy"}``; categories INVOICE, CONTACT, CREDITNOTE (and SUBSCRIPTION for
the app store); ``eventDateUtc`` without an offset, in UTC. Intuit (quickbooks-details.md §8):
the classic ``{"eventNotifications": [...]}`` and the CloudEvents array that replaced it.
Raises :class:`UnreadablePayload` for anything else.

A delivery is correctly signed long before it is known to be sane: the signature proves who sent
it, not what is in it. So every value is checked here against what the inbox can hold (its column
widths, and what PostgreSQL's text and JSONB refuse: NUL and lone surrogates, NaN and infinities),
and anything else is unreadable: the intake keeps it as a "malformed" row and answers 400, instead
of a 5xx that the ledger would retry for a day.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from sync.inbox import IncomingEvent

XERO_RESOURCES = {"INVOICE": "invoice", "CONTACT": "contact", "CREDITNOTE": "credit_note"}
# CloudEvents types say "created"; the classic format (and the inbox) says "create".
CLOUD_EVENT_OPERATIONS = {
    "created": "create",
    "updated": "update",
    "deleted": "delete",
    "voided": "void",
    "merged": "merge",
}
QUICKBOOKS_RESOURCES = {
    "invoice": "invoice",
    "customer": "contact",
    "creditmemo": "credit_note",
    "payment": "payment",
}


# The widths of the inbox's columns (sync.models.InboxEvent): a longer value is not an event.
TENANT_ID_WIDTH = 64
RESOURCE_TYPE_WIDTH = 32
RESOURCE_ID_WIDTH = 64
OPERATION_WIDTH = 16
# Real payloads are two or three levels deep (Xero's CREDITNOTE "data", CloudEvents' "data").
MAX_DEPTH = 16
# Real numbers here are sequences (1..2147483647) and small ids; a longer one is an attack.
MAX_INTEGER_DIGITS = 20
# NUL, the other C0 controls and DEL have no place in an id; surrogates cannot be stored at all.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89abcdefABCDEF])")
_NOT_AN_ID = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


class UnreadablePayload(ValueError):
    """The body is not a webhook payload of this ledger; the message says what is wrong."""


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise UnreadablePayload(f"a number has more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999999 reads as infinity, which JSONB cannot hold
        raise UnreadablePayload("a number is too large")
    return number


def _no_constant(name: str) -> Any:
    raise UnreadablePayload(f"{name} is not JSON")


def _json(body: bytes) -> Any:
    try:
        # UTF-8 only (RFC 8259 §8.1): json.loads would guess UTF-16 or UTF-32 from raw bytes.
        text = body.decode("utf-8")
        document = json.loads(text, parse_int=_integer, parse_float=_finite, parse_constant=_no_constant)
    except UnreadablePayload:
        raise
    except RecursionError:
        raise UnreadablePayload(f"the body is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as error:  # UnicodeDecodeError and JSONDecodeError among them
        raise UnreadablePayload(f"the body is not JSON ({str(error)[:200]})") from None
    # Strict JSON has no raw control characters in strings, and valid UTF-8 no surrogates, so a
    # NUL or a lone surrogate can only come from an escape: look in the strings only if one is there.
    _check_storable(document, strings=_SUSPECT_ESCAPE.search(text) is not None)
    return document


def _check_storable(document: Any, *, strings: bool) -> None:
    """Refuse what the inbox could not store: deep nesting, and (``strings``) NUL or lone surrogates."""
    pending = [(document, 1)]
    while pending:
        container, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise UnreadablePayload(f"the body is nested more than {MAX_DEPTH} levels deep")
        values = container
        if isinstance(container, dict):
            values = container.values()
            if strings and any(_UNSTORABLE.search(key) for key in container):
                raise UnreadablePayload("a name holds a NUL or a lone surrogate")
        for value in values:
            if isinstance(value, dict | list):
                pending.append((value, depth + 1))
            elif strings and isinstance(value, str) and _UNSTORABLE.search(value):
                raise UnreadablePayload("a string holds a NUL or a lone surrogate")


def _text(record: dict[str, Any], name: str, width: int) -> str:
    """One id-like field: a string (or a whole number) of 1 to ``width`` printable characters."""
    value = record.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise UnreadablePayload(f"an event lacks {name}")
    if len(value) > width:
        raise UnreadablePayload(f"an event's {name} is longer than {width} characters")
    if _NOT_AN_ID.search(value):
        raise UnreadablePayload(f"an event's {name} holds control characters")
    return value


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # 2015-10-05T14:42:19-0700
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = datetime.fromisoformat(text)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # 9999-12-31T23:59:59-01:00 is past datetime.max in UTC
        return None


def is_xero_intent_probe(body: bytes) -> bool:
    """Whether a body is one of Xero's intent-to-receive deliveries: no events, and sequence 0
    (xero-details.md §7.3). Xero signs some of them wrongly on purpose and wants a 401 back."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return (
        isinstance(document, dict)
        and document.get("events") == []
        and document.get("firstEventSequence") == 0
        and document.get("lastEventSequence") == 0
    )


def read_xero(body: bytes) -> list[IncomingEvent]:
    """Xero's events; an empty list is the intent-to-receive probe."""
    document = _json(body)
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise UnreadablePayload('expected an object with an "events" list')
    events = []
    for event in document["events"]:
        if not isinstance(event, dict):
            raise UnreadablePayload("an event is not an object")
        tenant = _text(event, "tenantId", TENANT_ID_WIDTH).lower()
        category = _text(event, "eventCategory", RESOURCE_TYPE_WIDTH).upper()
        operation = _text(event, "eventType", OPERATION_WIDTH)
        resource = _text(event, "resourceId", RESOURCE_ID_WIDTH).lower()
        events.append(
            IncomingEvent(
                provider="xero",
                tenant_id=tenant,
                resource_type=XERO_RESOURCES.get(category, category.lower()),
                resource_id=resource,
                operation=operation.lower(),
                event_at=_timestamp(event.get("eventDateUtc")),
                payload=event,
                identity=(tenant, category, resource, operation.upper(), str(event.get("eventDateUtc", ""))),
            )
        )
    return events


def read_quickbooks(body: bytes) -> list[IncomingEvent]:
    """Intuit's events, in either format."""
    document = _json(body)
    if isinstance(document, list):
        return [_cloud_event(event) for event in document]
    if isinstance(document, dict) and isinstance(document.get("eventNotifications"), list):
        return [
            event
            for notification in document["eventNotifications"]
            for event in _classic_notification(notification)
        ]
    raise UnreadablePayload('expected a CloudEvents array or an object with "eventNotifications"')


def _cloud_event(event: Any) -> IncomingEvent:
    if not isinstance(event, dict):
        raise UnreadablePayload("an event is not an object")
    event_id = _text(event, "id", 128)
    kind = _text(event, "type", 128)
    tenant = _text(event, "intuitaccountid", TENANT_ID_WIDTH)
    resource = _text(event, "intuitentityid", RESOURCE_ID_WIDTH)
    parts = kind.split(".")  # qbo.invoice.updated.v1
    if len(parts) < 3 or parts[0] != "qbo":
        raise UnreadablePayload(f"unknown event type {kind!r}")
    entity, operation = parts[1].lower(), parts[2].lower()
    operation = CLOUD_EVENT_OPERATIONS.get(operation, operation)
    if not entity or len(entity) > RESOURCE_TYPE_WIDTH or not operation or len(operation) > OPERATION_WIDTH:
        raise UnreadablePayload(f"unknown event type {kind!r}")
    return IncomingEvent(
        provider="quickbooks",
        tenant_id=tenant,
        resource_type=QUICKBOOKS_RESOURCES.get(entity, entity),
        resource_id=resource,
        operation=operation,
        event_at=_timestamp(event.get("time")),
        payload=event,
        identity=("cloudevent", event_id),
    )


def _classic_notification(notification: Any) -> list[IncomingEvent]:
    if not isinstance(notification, dict):
        raise UnreadablePayload("a notification is not an object")
    change = notification.get("dataChangeEvent")
    entities = change.get("entities") if isinstance(change, dict) else None
    if not notification.get("realmId") or not isinstance(entities, list):
        raise UnreadablePayload("a notification lacks realmId or dataChangeEvent.entities")
    realm = _text(notification, "realmId", TENANT_ID_WIDTH)
    events = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise UnreadablePayload("an entity is not an object")
        name = _text(entity, "name", RESOURCE_TYPE_WIDTH).lower()
        resource = _text(entity, "id", RESOURCE_ID_WIDTH)
        operation = _text(entity, "operation", OPERATION_WIDTH)
        events.append(
            IncomingEvent(
                provider="quickbooks",
                tenant_id=realm,
                resource_type=QUICKBOOKS_RESOURCES.get(name, name),
                resource_id=resource,
                operation=operation.lower(),
                event_at=_timestamp(entity.get("lastUpdated")),
                payload={"realmId": realm, **entity},
                identity=(realm, name, resource, operation, str(entity.get("lastUpdated", ""))),
            )
        )
    return events
