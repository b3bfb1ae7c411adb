"""A ledger's webhook events in Relance's words, and reading a signed delivery safely.

Each ledger's reader (``integration/xero/webhooks.py``, ``integration/quickbooks/webhooks.py``)
turns its JSON into :class:`IncomingEvent` rows for the inbox (``sync.inbox``), or raises
:class:`UnreadablePayload`.

A delivery is correctly signed long before it is known to be sane: the signature proves who sent
it, not what is in it. So every value is checked here against what the inbox can hold (its column
widths, and what PostgreSQL's text and JSONB refuse: NUL and lone surrogates, NaN and infinities),
and anything else is unreadable: the intake keeps it as a "malformed" row and answers 400, instead
of a 5xx that the ledger would retry for a day.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class IncomingEvent:
    """One change a ledger told us about, in Relance's words."""

    provider: str
    tenant_id: str
    resource_type: str
    resource_id: str
    operation: str
    event_at: datetime | None
    payload: dict[str, Any]
    # What makes this event the same event when it comes again.
    identity: tuple[str, ...]

    @property
    def dedupe_key(self) -> str:
        return hashlib.sha256("\x1f".join(self.identity).encode()).hexdigest()


# The widths of the inbox's columns (sync.models.InboxEvent; a test checks they agree): a longer
# value is not an event.
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


def json_document(body: bytes) -> Any:
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


def text_field(record: dict[str, Any], name: str, width: int) -> str:
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


def timestamp(value: Any) -> datetime | None:
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
