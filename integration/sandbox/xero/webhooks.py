"""Xero's webhook wire: the payload, the `x-xero-signature`, and the intent-to-receive check.

Payload and signature per XWH-SRV and xero-webhooks.yaml: `{"events": [...], "firstEventSequence",
"lastEventSequence", "entropy"}`, signed with base64(HMAC-SHA256(key, raw body)). When a
subscription is saved Xero first sends empty, signed deliveries, some with a wrong signature; the
receiver must answer 200 to the good and 401 to the bad ones or the subscription stays disabled.
CREDITNOTE events carry `data` with Type and Status (added Dec 2025, xero-details.md 7.1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..common.webhook_dispatch import DeliveryAttempt, post_body
from .books import ChangeEvent

RESOURCE_PATHS = {"INVOICE": "Invoices", "CONTACT": "Contacts", "CREDITNOTE": "CreditNotes"}


def signature(key: str, body: bytes) -> str:
    """base64(HMAC-SHA256(key, body))."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def event_date(instant: datetime) -> str:
    """`2024-06-21T01:15:39.902`: UTC, milliseconds, no zone (OAS-WH example)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


@dataclass(frozen=True)
class TenantEvent:
    """A change in one tenant, queued for one app's subscription."""

    tenant_id: str
    change: ChangeEvent


class XeroWebhookEncoder:
    """Builds and signs deliveries for one app; sequence numbers grow across deliveries."""

    def __init__(self, signing_key: Callable[[], str], api_base: Callable[[], str]) -> None:
        self.signing_key = signing_key
        self.api_base = api_base
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()

    def event_json(self, event: TenantEvent) -> dict[str, Any]:
        change = event.change
        body: dict[str, Any] = {
            "resourceUrl": f"{self.api_base()}/api.xro/2.0/{RESOURCE_PATHS[change.category]}/{change.resource_id}",
            "resourceId": change.resource_id,
            "eventDateUtc": event_date(change.at),
            "eventType": change.event_type,
            "eventCategory": change.category,
            "tenantId": event.tenant_id,
            "tenantType": "ORGANISATION",
        }
        if change.data:
            body["data"] = dict(change.data)
        return body

    def encode(self, events: list[TenantEvent]) -> tuple[bytes, dict[str, str]]:
        """One signed delivery."""
        with self._lock:
            numbers = [next(self._sequence) for _ in events]
        document = {
            "events": [self.event_json(e) for e in events],
            "firstEventSequence": numbers[0] if numbers else 0,
            "lastEventSequence": numbers[-1] if numbers else 0,
            "entropy": secrets.token_hex(10).upper(),
        }
        body = json.dumps(document).encode()
        return body, {
            "Content-Type": "application/json; charset=utf-8",
            "x-xero-signature": signature(self.signing_key(), body),
        }


def intent_to_receive(
    url: str, key: str, now: Callable[[], datetime], probes: int = 4, timeout: float = 5.0
) -> tuple[bool, list[DeliveryAttempt]]:
    """Send empty deliveries, alternately well and badly signed; True if answered 200 / 401 as Xero wants."""
    attempts = []
    passed = True
    for number in range(probes):
        good = number % 2 == 0
        document = {
            "events": [],
            "firstEventSequence": 0,
            "lastEventSequence": 0,
            "entropy": secrets.token_hex(10).upper(),
        }
        body = json.dumps(document).encode()
        sign_with = key if good else secrets.token_urlsafe(24)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "x-xero-signature": signature(sign_with, body),
        }
        status = post_body(url, body, headers, timeout)
        ok = status == (200 if good else 401)
        passed = passed and ok
        attempts.append(
            DeliveryAttempt(
                batch_id=0,
                attempt=number + 1,
                url=url,
                body=body,
                headers=headers,
                status=status,
                ok=ok,
                outcome="intent",
                error=None if ok else f"expected {200 if good else 401}, got {status}",
                at=now(),
                event_count=0,
            )
        )
    return passed, attempts
