"""Intuit's webhook deliveries read into inbox events.

quickbooks-details.md §8: the classic ``{"eventNotifications": [...]}`` and the CloudEvents
array that replaced it; either is accepted.
"""

from __future__ import annotations

from typing import Any

from integration.events import (
    OPERATION_WIDTH,
    RESOURCE_ID_WIDTH,
    RESOURCE_TYPE_WIDTH,
    TENANT_ID_WIDTH,
    IncomingEvent,
    UnreadablePayload,
    json_document,
    text_field,
    timestamp,
)

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


def read_events(body: bytes) -> list[IncomingEvent]:
    """Intuit's events, in either format."""
    document = json_document(body)
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
    event_id = text_field(event, "id", 128)
    kind = text_field(event, "type", 128)
    tenant = text_field(event, "intuitaccountid", TENANT_ID_WIDTH)
    resource = text_field(event, "intuitentityid", RESOURCE_ID_WIDTH)
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
        event_at=timestamp(event.get("time")),
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
    realm = text_field(notification, "realmId", TENANT_ID_WIDTH)
    events = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise UnreadablePayload("an entity is not an object")
        name = text_field(entity, "name", RESOURCE_TYPE_WIDTH).lower()
        resource = text_field(entity, "id", RESOURCE_ID_WIDTH)
        operation = text_field(entity, "operation", OPERATION_WIDTH)
        events.append(
            IncomingEvent(
                provider="quickbooks",
                tenant_id=realm,
                resource_type=QUICKBOOKS_RESOURCES.get(name, name),
                resource_id=resource,
                operation=operation.lower(),
                event_at=timestamp(entity.get("lastUpdated")),
                payload={"realmId": realm, **entity},
                identity=(realm, name, resource, operation, str(entity.get("lastUpdated", ""))),
            )
        )
    return events
