"""Reading each ledger's webhook payloads into inbox events.

Xero (xero-webhooks.yaml; xero-details.md §7.1): ``{"events": [...], "firstEventSequence",
"lastEventSequence", "entropy"}``; categories INVOICE, CONTACT, CREDITNOTE (and SUBSCRIPTION for
the app store); ``eventDateUtc`` without an offset, in UTC. Intuit (quickbooks-details.md §8):
the classic ``{"eventNotifications": [...]}`` and the CloudEvents array that replaced it.
Raises :class:`UnreadablePayload` for anything else.
"""

from __future__ import annotations

import json
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


class UnreadablePayload(ValueError):
    """The body is not a webhook payload of this ledger; the message says what is wrong."""


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadablePayload(f"the body is not JSON ({error})") from None


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # 2015-10-05T14:42:19-0700
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _require(event: dict[str, Any], *fields: str) -> None:
    missing = [name for name in fields if not event.get(name)]
    if missing:
        raise UnreadablePayload(f"an event lacks {', '.join(missing)}")


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
        _require(event, "tenantId", "eventCategory", "eventType", "resourceId")
        category = str(event["eventCategory"]).upper()
        events.append(
            IncomingEvent(
                provider="xero",
                tenant_id=str(event["tenantId"]).lower(),
                resource_type=XERO_RESOURCES.get(category, category.lower()),
                resource_id=str(event["resourceId"]).lower(),
                operation=str(event["eventType"]).lower(),
                event_at=_timestamp(event.get("eventDateUtc")),
                payload=event,
                identity=(
                    str(event["tenantId"]).lower(),
                    category,
                    str(event["resourceId"]).lower(),
                    str(event["eventType"]).upper(),
                    str(event.get("eventDateUtc", "")),
                ),
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
    _require(event, "id", "type", "intuitaccountid", "intuitentityid")
    parts = str(event["type"]).split(".")  # qbo.invoice.updated.v1
    if len(parts) < 3 or parts[0] != "qbo":
        raise UnreadablePayload(f"unknown event type {event['type']!r}")
    entity, operation = parts[1].lower(), parts[2].lower()
    return IncomingEvent(
        provider="quickbooks",
        tenant_id=str(event["intuitaccountid"]),
        resource_type=QUICKBOOKS_RESOURCES.get(entity, entity),
        resource_id=str(event["intuitentityid"]),
        operation=CLOUD_EVENT_OPERATIONS.get(operation, operation),
        event_at=_timestamp(event.get("time")),
        payload=event,
        identity=("cloudevent", str(event["id"])),
    )


def _classic_notification(notification: Any) -> list[IncomingEvent]:
    if not isinstance(notification, dict):
        raise UnreadablePayload("a notification is not an object")
    realm = notification.get("realmId")
    entities = (notification.get("dataChangeEvent") or {}).get("entities")
    if not realm or not isinstance(entities, list):
        raise UnreadablePayload("a notification lacks realmId or dataChangeEvent.entities")
    events = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise UnreadablePayload("an entity is not an object")
        _require(entity, "name", "id", "operation")
        name = str(entity["name"]).lower()
        events.append(
            IncomingEvent(
                provider="quickbooks",
                tenant_id=str(realm),
                resource_type=QUICKBOOKS_RESOURCES.get(name, name),
                resource_id=str(entity["id"]),
                operation=str(entity["operation"]).lower(),
                event_at=_timestamp(entity.get("lastUpdated")),
                payload={"realmId": realm, **entity},
                identity=(
                    str(realm),
                    name,
                    str(entity["id"]),
                    str(entity["operation"]),
                    str(entity.get("lastUpdated", "")),
                ),
            )
        )
    return events
