"""Xero's webhook deliveries read into inbox events.

xero-webhooks.yaml; xero-details.md §7.1: ``{"events": [...], "firstEventSequence",
"lastEventSequence", "entropy"}``; categories INVOICE, CONTACT, CREDITNOTE (and SUBSCRIPTION for
the app store); ``eventDateUtc`` without an offset, in UTC.
"""

from __future__ import annotations

import json

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

XERO_RESOURCES = {"INVOICE": "invoice", "CONTACT": "contact", "CREDITNOTE": "credit_note"}


def is_intent_probe(body: bytes) -> bool:
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


def read_events(body: bytes) -> list[IncomingEvent]:
    """Xero's events; an empty list is the intent-to-receive probe."""
    document = json_document(body)
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise UnreadablePayload('expected an object with an "events" list')
    events = []
    for event in document["events"]:
        if not isinstance(event, dict):
            raise UnreadablePayload("an event is not an object")
        tenant = text_field(event, "tenantId", TENANT_ID_WIDTH).lower()
        category = text_field(event, "eventCategory", RESOURCE_TYPE_WIDTH).upper()
        operation = text_field(event, "eventType", OPERATION_WIDTH)
        resource = text_field(event, "resourceId", RESOURCE_ID_WIDTH).lower()
        events.append(
            IncomingEvent(
                provider="xero",
                tenant_id=tenant,
                resource_type=XERO_RESOURCES.get(category, category.lower()),
                resource_id=resource,
                operation=operation.lower(),
                event_at=timestamp(event.get("eventDateUtc")),
                payload=event,
                identity=(tenant, category, resource, operation.upper(), str(event.get("eventDateUtc", ""))),
            )
        )
    return events
