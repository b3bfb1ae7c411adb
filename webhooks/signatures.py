"""Webhook signatures: both ledgers sign the raw body with HMAC-SHA256 and send it base64.

Each provider names its header and key (Xero: xero-details.md §7.2; Intuit: quickbooks-details.md
§8.3). The comparison runs in constant time, on the raw bytes as received, never on re-serialised
JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def signature_of(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def signature_matches(key: str, body: bytes, presented: str | None) -> bool:
    """Whether ``presented`` is the body's signature under ``key``, compared in constant time."""
    if not key or not presented:
        return False
    return hmac.compare_digest(signature_of(key, body).encode(), presented.strip().encode())
