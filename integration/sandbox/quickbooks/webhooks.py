"""Intuit's webhook notifications: the two payload formats, the signature, the subscription.

Classic format (DWHN): `{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities":
[{"name", "id", "operation", "lastUpdated"}]}}]}`, one element per realm, merges carrying
`deletedId`. CloudEvents format (BCE, blogs.a.intuit.com 2025-11-12, mandatory from
15 May 2026): a top-level JSON array, one CloudEvent per change, `type`
`qbo.<entity>.<created|updated|deleted|merged|voided>.v1`, `intuitaccountid` = realm,
`intuitentityid` = entity Id, empty `data`. Either way the body is signed with header
`intuit-signature` = base64(HMAC-SHA256(verifier token, raw body)) (DWHN, python-quickbooks
`validate_webhook_signature`). Timing, batching, retries and the delivery log are
common/webhook_dispatch.py's; Intuit aggregates per app and retries non-200 answers, and
expects an answer within 3 seconds (BWH), which is the dispatch timeout here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from integration.sandbox.common.faults import FaultInjector
from integration.sandbox.common.webhook_dispatch import DeliveryAttempt, DispatchSettings, WebhookDispatcher

from .company import ChangeEvent
from .wire import format_utc_z

# Entities that produce notifications (DWH supported-entity table), limited to those served.
NOTIFYING_ENTITIES = frozenset(
    {"Customer", "Invoice", "Payment", "CreditMemo", "Term", "Preferences", "Item", "Account"}
)
_CLOUD_VERBS = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Merge": "merged",
    "Void": "voided",
    "Emailed": "emailed",
}
INTUIT_DISPATCH = DispatchSettings(batch_window=1.0, timeout=3.0)


class PayloadFormat(StrEnum):
    """Which body a subscription receives."""

    CLASSIC = "classic"
    CLOUDEVENTS = "cloudevents"


@dataclass(frozen=True)
class Subscription:
    """The app's webhook endpoint, as configured on Intuit's webhooks page."""

    url: str
    verifier_token: str
    format: PayloadFormat = PayloadFormat.CLASSIC
    entities: frozenset[str] = NOTIFYING_ENTITIES
    client_id: str = ""


def sign(verifier_token: str, body: bytes) -> str:
    """The `intuit-signature` header value for a body."""
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def classic_payload(events: Sequence[ChangeEvent]) -> dict:
    """The `eventNotifications` body: one element per realm, changes in the order they happened."""
    realms: dict[str, list[dict]] = {}
    for event in events:
        entity = {
            "name": event.entity,
            "id": event.entity_id,
            "operation": event.operation,
            "lastUpdated": format_utc_z(event.at),
        }
        if event.deleted_id:
            entity["deletedId"] = event.deleted_id
        realms.setdefault(event.realm_id, []).append(entity)
    return {
        "eventNotifications": [
            {"realmId": realm, "dataChangeEvent": {"entities": entities}}
            for realm, entities in realms.items()
        ]
    }


def cloudevents_payload(events: Sequence[ChangeEvent], client_id: str) -> list[dict]:
    """The CloudEvents array; `source` is an opaque per-app value in Intuit's sample."""
    source = "intuit." + base64.b64encode(hashlib.sha256(client_id.encode()).digest()).decode()
    answer = []
    for event in events:
        cloud_event = {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": source,
            "type": f"qbo.{event.entity.lower()}.{_CLOUD_VERBS[event.operation]}.v1",
            "datacontenttype": "application/json",
            "time": format_utc_z(event.at),
            "intuitentityid": event.entity_id,
            "intuitaccountid": event.realm_id,
            "data": {},
        }
        if event.deleted_id:
            # Where a merge names the merged-away entity in CloudEvents is unconfirmed.
            cloud_event["data"] = {"deletedId": event.deleted_id}
        answer.append(cloud_event)
    return answer


class WebhookOutbox:
    """Turns company changes into signed deliveries for the current subscription."""

    def __init__(
        self,
        faults: FaultInjector,
        settings: DispatchSettings | None = None,
        connected: Callable[[str, str], bool] = lambda realm_id, client_id: True,
    ) -> None:
        self.faults = faults
        self.connected = connected
        self.settings = settings or INTUIT_DISPATCH
        self._lock = threading.Lock()
        self.subscription: Subscription | None = None
        self._dispatcher: WebhookDispatcher | None = None
        self._retired: list[WebhookDispatcher] = []

    def subscribe(self, subscription: Subscription) -> Subscription:
        """Set (or replace) the endpoint; later changes go there."""
        with self._lock:
            if self._dispatcher is not None:
                self._retired.append(self._dispatcher)
            self.subscription = subscription
            self._dispatcher = WebhookDispatcher(
                encode=lambda events: self.encode(subscription, events),
                target=lambda: subscription.url,
                settings=self.settings,
                faults=self.faults,
                # Intuit treats anything but 200 as a failure (BWH).
                accepts=lambda status: status == 200,
            )
            self._dispatcher.start()
        return subscription

    def set_settings(self, settings: DispatchSettings) -> None:
        """Change timing (tests); applies to the next subscribe()."""
        self.settings = settings
        if self.subscription is not None:
            self.subscribe(replace(self.subscription))

    def encode(self, subscription: Subscription, events: list[ChangeEvent]) -> tuple[bytes, dict[str, str]]:
        """Body and headers of one delivery."""
        if subscription.format is PayloadFormat.CLOUDEVENTS:
            payload: object = cloudevents_payload(events, subscription.client_id)
        else:
            payload = classic_payload(events)
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return body, {
            "Content-Type": "application/json",
            "intuit-signature": sign(subscription.verifier_token, body),
        }

    def notice(self, event: ChangeEvent) -> None:
        """A company listener: queue the change if the subscription wants this entity."""
        with self._lock:
            subscription, dispatcher = self.subscription, self._dispatcher
        if subscription is None or dispatcher is None or event.entity not in subscription.entities:
            return
        # "Only realms connected via OAuth 2.0 produce events" (DWH): a disconnected company is silent.
        if not self.connected(event.realm_id, subscription.client_id):
            return
        dispatcher.enqueue(event)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every queued delivery was attempted (tests)."""
        dispatcher = self._dispatcher
        return True if dispatcher is None else dispatcher.wait_idle(timeout)

    def log(self) -> list[DeliveryAttempt]:
        """Every delivery attempt, across subscriptions, oldest first."""
        attempts = [a for d in self._retired for a in d.log()]
        if self._dispatcher is not None:
            attempts += self._dispatcher.log()
        return sorted(attempts, key=lambda attempt: attempt.at)

    def stop(self) -> None:
        """Stop every delivery thread."""
        for dispatcher in [*self._retired, self._dispatcher]:
            if dispatcher is not None:
                dispatcher.stop()
